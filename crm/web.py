"""Small helpers shared by the rep UI's HTML views (crm/*/views.py)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

# Validation errors answer 422 so HTMX swaps the form back in with its messages
# (base.html's htmx-config swaps 422; other 4xx/5xx are not swapped).
INVALID = 422


def can_edit(user, record) -> bool:
    """Reps edit their own records; managers and admins edit all of the workspace's."""
    return bool(user.is_manager or getattr(record, "owner_id", None) == user.pk)


def require_edit(user, record) -> None:
    if not can_edit(user, record):
        raise PermissionDenied("Only the owner or a manager can change this record.")


def errors_of(exc: ValidationError) -> dict[str, list[str]]:
    """A service's ValidationError as {field: [messages]} ("__all__" for the rest)."""
    if hasattr(exc, "error_dict"):
        return {name: [str(m) for m in msgs] for name, msgs in exc.message_dict.items()}
    return {"__all__": [str(m) for m in exc.messages]}


def render_htmx(
    request: HttpRequest,
    *,
    full: str,
    partial: str,
    context: dict,
    status: int = 200,
) -> HttpResponse:
    """The partial for an HTMX request (not a boosted navigation), else the whole page."""
    htmx = getattr(request, "htmx", None)
    template = partial if htmx and not htmx.boosted else full
    return render(request, template, context, status=status)
