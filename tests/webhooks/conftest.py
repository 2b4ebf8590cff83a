"""Webhook test fixtures: fake DNS, a recording HTTP transport and a recording dispatcher, so
no test reaches the network or the broker unless it says so."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest
from django_tenants.utils import schema_context

from crm.team.models import Role, User
from crm.webhooks import sender, tasks
from crm.webhooks.models import WebhookSubscription
from crm.webhooks.sender import OutboundRequest, OutboundResponse
from crm.webhooks.services import subscription_create

PUBLIC_IP = "93.184.216.34"
PARTNER_URL = "https://hooks.partner.example/lodestar"
REAL_DISPATCH = tasks.delivery_dispatch


@dataclass
class FakeDns:
    records: dict[str, list[str]] = field(
        default_factory=lambda: {
            "hooks.partner.example": [PUBLIC_IP],
            "other.partner.example": ["8.8.8.8"],
            "localhost": ["127.0.0.1", "::1"],
        }
    )
    lookups: list[str] = field(default_factory=list)

    def getaddrinfo(self, host: str, port: Any, *args: Any, **kwargs: Any) -> list[tuple]:
        self.lookups.append(host)
        try:
            addresses = [str(ipaddress.ip_address(host))]
        except ValueError:
            if host not in self.records:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None
            addresses = self.records[host]
        port = int(port or 0)
        return [
            (
                socket.AF_INET6 if ":" in a else socket.AF_INET,
                socket.SOCK_STREAM,
                6,
                "",
                (a, port, 0, 0) if ":" in a else (a, port),
            )
            for a in addresses
        ]


@pytest.fixture(autouse=True)
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> FakeDns:
    dns = FakeDns()
    monkeypatch.setattr(socket, "getaddrinfo", dns.getaddrinfo)
    return dns


@dataclass
class StubTransport:
    """Answers with queued responses (or raises queued exceptions), 200 when none is queued."""

    requests: list[OutboundRequest] = field(default_factory=list)
    queue: list[OutboundResponse | Exception] = field(default_factory=list)

    def send(self, request: OutboundRequest) -> OutboundResponse:
        self.requests.append(request)
        answer = self.queue.pop(0) if self.queue else OutboundResponse(200, "ok")
        if isinstance(answer, Exception):
            raise answer
        return answer

    def reply(self, *answers: OutboundResponse | Exception) -> None:
        self.queue.extend(answers)


@pytest.fixture(autouse=True)
def transport(monkeypatch: pytest.MonkeyPatch) -> StubTransport:
    stub = StubTransport()
    monkeypatch.setattr(sender, "transport_get", lambda: stub)
    # services imported the name: patch it there too
    monkeypatch.setattr("crm.webhooks.services.transport_get", lambda: stub)
    return stub


@dataclass
class Dispatched:
    calls: list[tuple[int, str, datetime | None]] = field(default_factory=list)

    def __call__(self, *, delivery_id: int, schema: str, eta: datetime | None = None) -> None:
        self.calls.append((delivery_id, schema, eta))

    @property
    def ids(self) -> list[int]:
        return [c[0] for c in self.calls]


@pytest.fixture(autouse=True)
def dispatched(monkeypatch: pytest.MonkeyPatch) -> Dispatched:
    """Task sends are recorded instead of published (tests run the task themselves)."""
    recorder = Dispatched()
    monkeypatch.setattr(tasks, "delivery_dispatch", recorder)
    return recorder


@pytest.fixture
def make_subscription() -> Callable[..., WebhookSubscription]:
    def make(ws: Any, *, events: list[str] | None = None, **kwargs: Any) -> WebhookSubscription:
        kwargs.setdefault("name", "Partner")
        kwargs.setdefault("url", PARTNER_URL)
        with schema_context(ws.schema):
            return subscription_create(events=events or ["lead.created"], **kwargs)

    return make


@pytest.fixture
def alpha_manager(alpha: Any) -> User:
    return alpha.make_user(email="manager@alpha.test", role=Role.MANAGER)


@pytest.fixture
def manager_client(alpha: Any, alpha_manager: User) -> Iterator[Any]:
    yield alpha.logged_in_client(alpha_manager)
