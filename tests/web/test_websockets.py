"""The live notification socket: tenant from the host, user from that tenant's session only.

How the database is handled here, and why. The websocket middleware and consumer do their
database work through `database_sync_to_async`, i.e. in asgiref's worker thread on its own
connection, so they cannot see rows inside the test's (uncommitted) transaction. The usual answer,
`django_db(transaction=True)`, flushes every public-schema table after each test — which deletes
the session-wide `alpha`/`beta` Workspace and Domain rows that every other test routes by. So these
tests keep the ordinary `db` mark and instead create (and afterwards delete) their users and
sessions through `database_sync_to_async` too: that runs in the same worker thread as the
consumer, commits, and is visible to it. The `committed` fixture undoes every such write.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.testing.websocket import WebsocketCommunicator
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django_tenants.utils import schema_context

from config.asgi import application
from crm.team.models import Role, User
from crm.team.realtime import notify_user
from crm.team.services import user_create
from crm.tenancy.models import Workspace
from crm.tenancy.services import workspace_reactivate, workspace_suspend

from ..conftest import PASSWORD

POLICY_VIOLATION = 1008
# How long to wait for a message that must not arrive: long enough for a Redis round trip.
SILENCE_SECONDS = 0.3

pytestmark = pytest.mark.django_db


@dataclass
class Committed:
    """Writes made outside the test transaction (so the consumer's thread sees them), undone
    at teardown."""

    users: list[tuple[str, int]] = field(default_factory=list)
    sessions: list[tuple[str, str]] = field(default_factory=list)
    suspended: list[int] = field(default_factory=list)

    async def user(self, schema: str, email: str, role: str = Role.REP) -> User:
        @database_sync_to_async
        def create() -> User:
            with schema_context(schema):
                return user_create(email=email, password=PASSWORD, role=role, full_name=email)

        user = await create()
        self.users.append((schema, user.pk))
        return user

    async def session_cookie(self, schema: str, user: User) -> str:
        """A real session for `user` in `schema`, as the login view would make it."""

        @database_sync_to_async
        def login() -> str:
            client = Client()
            with schema_context(schema):
                client.force_login(user)
            return client.cookies[settings.SESSION_COOKIE_NAME].value

        key = await login()
        self.sessions.append((schema, key))
        return key

    async def suspend(self, workspace_pk: int) -> None:
        @database_sync_to_async
        def suspend() -> None:
            workspace_suspend(workspace=Workspace.objects.get(pk=workspace_pk))

        await suspend()
        self.suspended.append(workspace_pk)

    @database_sync_to_async
    def undo(self) -> None:
        for workspace_pk in self.suspended:
            workspace_reactivate(workspace=Workspace.objects.get(pk=workspace_pk))
        for schema, key in self.sessions:
            with schema_context(schema):
                Session.objects.filter(session_key=key).delete()
        for schema, user_pk in self.users:
            with schema_context(schema):
                User.objects.filter(pk=user_pk).delete()


@pytest.fixture
async def committed(alpha, beta) -> AsyncIterator[Committed]:
    done = Committed()
    try:
        yield done
    finally:
        await done.undo()


def _headers(host: str, session_key: str | None = None, origin: str | None = None) -> list:
    headers = [(b"host", host.encode()), (b"origin", f"http://{origin or host}".encode())]
    if session_key:
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={session_key}".encode()))
    return headers


async def _open(headers: list) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, "/ws/notifications/", headers=headers)
    connected, _ = await communicator.connect()
    assert connected  # refusals also accept first, then close with a code (see reject())
    return communicator


async def _assert_refused(headers: list) -> None:
    communicator = await _open(headers)
    message = await communicator.receive_output(timeout=1)
    assert message == {"type": "websocket.close", "code": POLICY_VIOLATION}
    await communicator.wait()


async def _notify(**kwargs: Any) -> None:
    # notify_user is sync (async_to_sync inside); run it off the event loop as callers would.
    await sync_to_async(notify_user)(**kwargs)


@pytest.fixture
def alpha_socket(committed: Committed, alpha) -> Callable:
    """Open a socket for a fresh alpha rep; returns (communicator, user)."""

    async def open_socket() -> tuple[WebsocketCommunicator, User]:
        user = await committed.user(alpha.schema, "socket@alpha.test")
        key = await committed.session_cookie(alpha.schema, user)
        communicator = await _open(_headers(alpha.host, key))
        hello = await communicator.receive_json_from(timeout=1)
        assert hello == {"type": "hello", "workspace": "alpha"}
        return communicator, user

    return open_socket


async def test_logged_in_user_connects_and_gets_hello(alpha_socket):
    communicator, _user = await alpha_socket()
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from(timeout=1) == {"type": "pong"}
    await communicator.disconnect()


async def test_notify_user_reaches_the_users_socket(alpha, alpha_socket):
    communicator, user = await alpha_socket()
    await _notify(user_id=user.pk, payload={"text": "new lead"}, schema_name=alpha.schema)
    message = await communicator.receive_json_from(timeout=1)
    assert message == {"type": "notification", "payload": {"text": "new lead"}}
    await communicator.disconnect()


async def test_same_user_id_in_another_workspace_does_not_reach_the_socket(
    alpha, beta, alpha_socket
):
    communicator, user = await alpha_socket()
    await _notify(user_id=user.pk, payload={"text": "for beta"}, schema_name=beta.schema)
    assert await communicator.receive_nothing(timeout=SILENCE_SECONDS)
    # Still connected and listening: alpha's own message arrives.
    await _notify(user_id=user.pk, payload={"text": "for alpha"}, schema_name=alpha.schema)
    message = await communicator.receive_json_from(timeout=1)
    assert message["payload"] == {"text": "for alpha"}
    await communicator.disconnect()


async def test_notification_for_another_user_does_not_reach_the_socket(alpha, alpha_socket):
    communicator, user = await alpha_socket()
    await _notify(user_id=user.pk + 1000, payload={"x": 1}, schema_name=alpha.schema)
    assert await communicator.receive_nothing(timeout=SILENCE_SECONDS)
    await communicator.disconnect()


async def test_no_session_is_refused(alpha, committed):
    await _assert_refused(_headers(alpha.host))


async def test_made_up_session_key_is_refused(alpha, committed):
    await _assert_refused(_headers(alpha.host, "x" * 32))


async def test_unknown_host_is_refused(committed):
    await _assert_refused(_headers("nope.localhost", "x" * 32))


async def test_public_site_host_is_refused(committed):
    await _assert_refused(_headers(settings.BASE_DOMAIN, "x" * 32))


async def test_suspended_workspace_is_refused(alpha, committed):
    user = await committed.user(alpha.schema, "socket@alpha.test")
    key = await committed.session_cookie(alpha.schema, user)
    await committed.suspend(alpha.workspace.pk)
    await _assert_refused(_headers(alpha.host, key))


async def test_alpha_session_on_beta_host_is_refused(alpha, beta, committed):
    user = await committed.user(alpha.schema, "socket@alpha.test")
    key = await committed.session_cookie(alpha.schema, user)
    await _assert_refused(_headers(beta.host, key))


async def test_inactive_user_is_refused(alpha, committed):
    user = await committed.user(alpha.schema, "socket@alpha.test")
    key = await committed.session_cookie(alpha.schema, user)

    @database_sync_to_async
    def deactivate() -> None:
        with schema_context(alpha.schema):
            User.objects.filter(pk=user.pk).update(is_active=False)

    await deactivate()
    await _assert_refused(_headers(alpha.host, key))


async def test_session_ends_with_password_change(alpha, committed):
    user = await committed.user(alpha.schema, "socket@alpha.test")
    key = await committed.session_cookie(alpha.schema, user)

    @database_sync_to_async
    def change_password() -> None:
        with schema_context(alpha.schema):
            fresh = User.objects.get(pk=user.pk)
            fresh.set_password("Brand-New-Secret-5")
            fresh.save()

    await change_password()
    await _assert_refused(_headers(alpha.host, key))


async def test_origin_not_in_allowed_hosts_is_denied(alpha, committed):
    user = await committed.user(alpha.schema, "socket@alpha.test")
    key = await committed.session_cookie(alpha.schema, user)
    communicator = WebsocketCommunicator(
        application, "/ws/notifications/", headers=_headers(alpha.host, key, origin="evil.com")
    )
    connected, _ = await communicator.connect()
    assert not connected


async def test_origin_of_another_workspace_is_refused(alpha, beta, committed):
    # A page on beta.localhost is same-site with alpha.localhost, so a browser would send the
    # alpha cookie along; the socket must still refuse to serve alpha's feed to beta's page.
    user = await committed.user(alpha.schema, "socket@alpha.test")
    key = await committed.session_cookie(alpha.schema, user)
    await _assert_refused(_headers(alpha.host, key, origin=beta.host))


async def test_host_and_origin_with_dev_server_port_connect(alpha, committed):
    user = await committed.user(alpha.schema, "socket@alpha.test")
    key = await committed.session_cookie(alpha.schema, user)
    host = f"{alpha.host}:8000"
    communicator = await _open(_headers(host, key))
    assert (await communicator.receive_json_from(timeout=1))["type"] == "hello"
    await communicator.disconnect()


async def test_origin_on_another_port_is_refused(alpha, committed):
    user = await committed.user(alpha.schema, "socket@alpha.test")
    key = await committed.session_cookie(alpha.schema, user)
    await _assert_refused(_headers(f"{alpha.host}:8000", key, origin=f"{alpha.host}:9000"))


async def test_session_cookie_is_found_beside_unusual_cookies(alpha, committed):
    # Cookies set by other sites on the parent domain come along; they must not hide ours.
    user = await committed.user(alpha.schema, "socket@alpha.test")
    key = await committed.session_cookie(alpha.schema, user)
    headers = [
        (b"host", alpha.host.encode()),
        (b"origin", f"http://{alpha.host}".encode()),
        (b"cookie", f'consent={{"ads":false}}; junk; x=a b; sessionid={key}'.encode()),
    ]
    communicator = await _open(headers)
    assert (await communicator.receive_json_from(timeout=1))["type"] == "hello"
    await communicator.disconnect()


async def test_two_sockets_of_the_same_user_both_receive(alpha, committed):
    user = await committed.user(alpha.schema, "socket@alpha.test")
    key = await committed.session_cookie(alpha.schema, user)
    sockets = [await _open(_headers(alpha.host, key)) for _ in range(2)]
    for socket in sockets:
        assert (await socket.receive_json_from(timeout=1))["type"] == "hello"
    await _notify(user_id=user.pk, payload={"n": 1}, schema_name=alpha.schema)
    messages = await asyncio.gather(*(s.receive_json_from(timeout=1) for s in sockets))
    assert all(m["payload"] == {"n": 1} for m in messages)
    for socket in sockets:
        await socket.disconnect()


async def test_committed_rows_are_cleaned_up(alpha):
    """Runs after the others in this module: no user they committed is left in alpha."""

    @database_sync_to_async
    def leftovers() -> tuple[list, str]:
        status = Workspace.objects.get(pk=alpha.workspace.pk).status
        with schema_context(alpha.schema):
            return list(User.objects.filter(email="socket@alpha.test")), status

    assert await leftovers() == ([], Workspace.Status.ACTIVE)
