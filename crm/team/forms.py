from __future__ import annotations

from collections.abc import Iterator

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.exceptions import ValidationError

from crm.textfold import fold
from crm.throttle import client_address

from . import login_throttle
from .models import User
from .selectors import user_list_active_by_email


def _same_email(a: str, b: str) -> bool:
    # Same comparison as Django's own form, so look-alike Unicode addresses never match.
    return fold(a) == fold(b)


class TeamPasswordResetForm(PasswordResetForm):
    """Django skips users whose password is unusable. Here that is exactly how a member created
    without a password (an invitation) sets their first one, so only inactive users are skipped."""

    def get_users(self, email: str) -> Iterator[User]:
        return (u for u in user_list_active_by_email(email=email) if _same_email(email, u.email))

    def save(self, *args, request=None, **kwargs) -> None:
        # Past the hourly limit nothing is sent, and the page says what it always says.
        email, address = self.cleaned_data["email"], client_address(request)
        if login_throttle.password_reset_allow(email=email, address=address):
            super().save(*args, request=request, **kwargs)


class ThrottledLoginMixin:
    """Sign-in forms that refuse a throttled name or address before checking the password
    and count each failure (crm/team/login_throttle.py)."""

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        address = client_address(self.request)
        login_throttle.login_attempt_check(username=username, address=address)
        try:
            cleaned = super().clean()
        except ValidationError as error:
            # Only a wrong password counts: a rep with the right one refused by the admin
            # (not staff) is authenticated, and must not lock themselves out of the app.
            if getattr(error, "code", None) == "invalid_login" and self.get_user() is None:
                login_throttle.login_failure_record(username=username, address=address)
            raise
        login_throttle.login_success_clear(username=username, address=address)
        return cleaned


class ThrottledAuthenticationForm(ThrottledLoginMixin, AuthenticationForm):
    """The team's sign-in page."""


class ThrottledAdminAuthenticationForm(ThrottledLoginMixin, AdminAuthenticationForm):
    """Both admin sites' sign-in pages."""
