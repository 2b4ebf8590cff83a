"""Fixtures for the partner API: keys with chosen scopes and clients that present them."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from crm.team.apikeys import SCOPES, api_key_create

from ..conftest import WorkspaceFixture

ALL_SCOPES = list(SCOPES)
_counter = itertools.count()


class ApiClient(Client):
    """A Django test client that sends JSON and an API key on every request."""

    def __init__(self, *, host: str, secret: str | None, header: str = "bearer") -> None:
        extra = {"HTTP_HOST": host}
        if secret and header == "bearer":
            extra["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
        elif secret:
            extra["HTTP_X_API_KEY"] = secret
        super().__init__(**extra)

    def post(self, path, data=None, content_type="application/json", **extra):
        return super().post(path, data, content_type=content_type, **extra)

    def patch(self, path, data=None, content_type="application/json", **extra):
        return super().patch(path, data, content_type=content_type, **extra)

    def put(self, path, data=None, content_type="application/json", **extra):
        return super().put(path, data, content_type=content_type, **extra)


@pytest.fixture
def make_key() -> Callable[..., str]:
    def make(ws: WorkspaceFixture, scopes: list[str] | None = None, name: str = "") -> str:
        with schema_context(ws.schema):
            issued = api_key_create(
                name=name or f"key {next(_counter)}", scopes=scopes or ALL_SCOPES
            )
        return issued.secret

    return make


@pytest.fixture
def api(alpha, make_key) -> ApiClient:
    """A full-access client on alpha."""
    return ApiClient(host=alpha.host, secret=make_key(alpha))


@pytest.fixture
def beta_api(beta, make_key) -> ApiClient:
    return ApiClient(host=beta.host, secret=make_key(beta))


@pytest.fixture
def client_for(make_key) -> Callable[..., ApiClient]:
    def make(ws: WorkspaceFixture, scopes: list[str] | None = None, **kwargs) -> ApiClient:
        return ApiClient(host=ws.host, secret=make_key(ws, scopes), **kwargs)

    return make
