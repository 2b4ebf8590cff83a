"""Scoped access: an API key needs `<resource>:read` for safe methods and `<resource>:write`
for the rest; a signed-in team member (session, CSRF enforced) passes as in the UI."""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from crm.team.models import ApiKey


class HasResourceScope(BasePermission):
    message = "You do not have access to this resource."

    def has_permission(self, request: Request, view) -> bool:
        if isinstance(request.auth, ApiKey):
            resource = getattr(view, "scope_resource", None)
            if not resource:  # a view that names no resource is closed to keys
                self.message = "API keys cannot use this endpoint."
                return False
            write = request.method not in SAFE_METHODS
            if not request.auth.allows(resource, write=write):
                needed = f"{resource}:{'write' if write else 'read'}"
                self.message = f'This API key lacks the "{needed}" scope.'
                return False
            return True
        user = request.user
        return bool(user and user.is_authenticated and user.is_active)
