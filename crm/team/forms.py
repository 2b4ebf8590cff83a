from __future__ import annotations

import unicodedata
from collections.abc import Iterator

from django.contrib.auth.forms import PasswordResetForm

from .models import User
from .selectors import user_list_active_by_email


def _fold(value: str) -> str:
    return unicodedata.normalize("NFKC", value).casefold()


def _same_email(a: str, b: str) -> bool:
    # Same comparison as Django's own form, so look-alike Unicode addresses never match.
    return _fold(a) == _fold(b)


class TeamPasswordResetForm(PasswordResetForm):
    """Django skips users whose password is unusable. Here that is exactly how a member created
    without a password (an invitation) sets their first one, so only inactive users are skipped."""

    def get_users(self, email: str) -> Iterator[User]:
        return (u for u in user_list_active_by_email(email=email) if _same_email(email, u.email))
