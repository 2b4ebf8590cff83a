"""Websocket tenancy: resolve the workspace from the Host header, load the session user inside
that workspace's schema, and fail closed (close code 1008, policy violation) otherwise."""

from __future__ import annotations

from importlib import import_module
from urllib.parse import urlsplit

from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, load_backend
from django.contrib.auth.models import AnonymousUser
from django.http.cookie import parse_cookie
from django.http.request import split_domain_port
from django.utils.crypto import constant_time_compare
from django_tenants.utils import schema_context

from .context import current_schema
from .selectors import workspace_get_by_host

POLICY_VIOLATION = 1008


def _header(scope: dict, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return ""


def _origin_matches_host(origin: str, host: str) -> bool:
    """The page that opens the socket must be on the workspace's own host.

    AllowedHostsOriginValidator accepts any `*.BASE_DOMAIN` origin, but every workspace is a
    subdomain of it and browsers count them as one site, sending alpha's session cookie along
    with a socket that a page on beta opens. Without this check beta's page could read alpha's
    feed.
    """
    try:
        parsed = urlsplit(origin)
    except ValueError:
        return False
    default_port = {"http": "80", "https": "443"}.get(parsed.scheme)
    if default_port is None or not parsed.netloc or not host:
        return False
    origin_host, origin_port = split_domain_port(parsed.netloc)
    host_name, host_port = split_domain_port(host)
    return bool(origin_host) and (origin_host, origin_port or default_port) == (
        host_name,
        host_port or default_port,
    )


def _user_from_session(session_key: str):
    engine = import_module(settings.SESSION_ENGINE)
    session = engine.SessionStore(session_key)
    try:
        user_id = session[SESSION_KEY]
        backend = load_backend(session[BACKEND_SESSION_KEY])
    except KeyError:
        return AnonymousUser()
    user = backend.get_user(user_id)
    # Same check as django.contrib.auth.get_user: a password change ends old sessions.
    if user is None or not constant_time_compare(
        session.get(HASH_SESSION_KEY, ""), user.get_session_auth_hash()
    ):
        return AnonymousUser()
    return user


@database_sync_to_async
def _resolve(host: str, session_key: str):
    with schema_context(settings.PUBLIC_SCHEMA_NAME):
        workspace = workspace_get_by_host(host=host)
    if workspace is None or not workspace.is_active:
        return None, AnonymousUser()
    if workspace.schema_name == settings.PUBLIC_SCHEMA_NAME or not session_key:
        return workspace, AnonymousUser()
    with schema_context(workspace.schema_name):
        return workspace, _user_from_session(session_key)


async def reject(send, receive) -> None:
    """Accept then close with 1008 so the client sees why (a pre-accept close is a bare 403)."""
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.close", "code": POLICY_VIOLATION})


class WorkspaceWebsocketMiddleware:
    """Puts `workspace` and `user` in the scope; refuses foreign origins, unknown hosts and
    anonymous users."""

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        host = _header(scope, b"host")
        if not _origin_matches_host(_header(scope, b"origin"), host):
            return await reject(send, receive)
        # Django's lenient parser, as for HTTP requests: http.cookies.SimpleCookie drops every
        # cookie when one of them (say a JSON consent cookie on the parent domain) is unusual.
        session_key = parse_cookie(_header(scope, b"cookie")).get(settings.SESSION_COOKIE_NAME, "")
        workspace, user = await _resolve(host, session_key)
        if workspace is None or not user.is_authenticated:
            return await reject(send, receive)
        token = current_schema.set(workspace.schema_name)
        try:
            scope = dict(scope, workspace=workspace, user=user)
            return await self.inner(scope, receive, send)
        finally:
            current_schema.reset(token)
