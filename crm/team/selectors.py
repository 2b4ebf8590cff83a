"""Reads for team members."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import User


def user_list_active_by_email(*, email: str) -> QuerySet[User]:
    """Active members of the current workspace with this email (case-insensitive)."""
    return User.objects.filter(email__iexact=email.strip(), is_active=True)


def user_email_taken(*, email: str, exclude_pk: int | None = None) -> bool:
    """Emails are unique per workspace regardless of case."""
    return User.objects.filter(email__iexact=email.strip()).exclude(pk=exclude_pk).exists()


def user_list_active() -> QuerySet[User]:
    """The workspace's active members, for owner pickers and filters."""
    return User.objects.filter(is_active=True).order_by("full_name", "email")
