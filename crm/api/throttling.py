from __future__ import annotations

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from crm.team.models import ApiKey


class ApiKeyRateThrottle(SimpleRateThrottle):
    """One budget per API key (per member for session users). Cache keys carry the schema
    (django-tenants' key function), so ids never collide between workspaces."""

    scope = "api_key"

    def get_rate(self) -> str | None:
        # Read at request time so a changed setting (tests, reload) takes effect.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request, view) -> str | None:
        if isinstance(request.auth, ApiKey):
            ident = request.auth.prefix  # random and unique: never reused by a new key
        elif request.user and request.user.is_authenticated:
            ident = f"user{request.user.pk}"
        else:
            return None
        return self.cache_format % {"scope": self.scope, "ident": ident}
