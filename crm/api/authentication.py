"""API-key authentication: `Authorization: Bearer lsk_…` or `X-Api-Key: lsk_…`.

Keys live in the workspace's schema, so the lookup runs against the workspace the host chose;
another workspace's key simply is not there and gets 401.
"""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from crm.team.apikeys import api_key_authenticate
from crm.team.models import ApiKey


class ApiKeyPrincipal:
    """request.user for a key: authenticated, but not a team member (no roles, no admin)."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = id = None

    def __init__(self, api_key: ApiKey) -> None:
        self.api_key = api_key

    def __str__(self) -> str:
        return f"API key {self.api_key.prefix}"

    def has_perm(self, perm: str, obj=None) -> bool:
        return False


def _presented_key(request: Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.headers.get("X-Api-Key") or None


class ApiKeyAuthentication(BaseAuthentication):
    def authenticate(self, request: Request):
        secret = _presented_key(request)
        if secret is None:
            return None  # not a key request: session auth may still apply
        api_key = api_key_authenticate(secret=secret)
        if api_key is None:
            raise AuthenticationFailed("Invalid or revoked API key.")
        return ApiKeyPrincipal(api_key), api_key

    def authenticate_header(self, request: Request) -> str:
        # Makes DRF answer 401 (not 403) to requests without credentials.
        return 'Bearer realm="api"'


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = ApiKeyAuthentication
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API key from the workspace admin (`lsk_…`); "
            "`X-Api-Key: <key>` works too.",
        }
