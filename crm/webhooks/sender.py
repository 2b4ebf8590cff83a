"""The HTTP leg of a delivery: one POST, short timeouts, no redirects, connecting only to the
address the SSRF guard vetted. Built on http.client (httpx is not installed), which never
follows redirects by itself: a 3xx is simply a failed attempt.

Tests replace the transport (transport_get) and never reach the network.
"""

from __future__ import annotations

import http.client
import socket
import ssl
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlsplit

from django.conf import settings

from .ssrf import Destination

EXCERPT_CHARS = 1000
_READ_LIMIT = 8 * 1024  # never read a huge body from a partner


@dataclass(frozen=True)
class OutboundRequest:
    url: str
    destination: Destination
    headers: dict[str, str]
    body: bytes
    timeout: float = field(default=10.0)


@dataclass(frozen=True)
class OutboundResponse:
    status_code: int
    body: str


class TransportError(Exception):
    """No HTTP answer: connection refused, timeout, TLS failure…"""


class Transport(Protocol):
    def send(self, request: OutboundRequest) -> OutboundResponse: ...


def timeout_seconds() -> float:
    return float(getattr(settings, "LODESTAR_WEBHOOKS_TIMEOUT_SECONDS", 10.0))


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, *, address: str | None, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address or self.host, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, *, address: str | None, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address or self.host, self.port), self.timeout)
        # TLS (SNI and certificate check) is for the name, the TCP connection for the vetted IP.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class HttpClientTransport:
    def send(self, request: OutboundRequest) -> OutboundResponse:
        dest = request.destination
        parts = urlsplit(request.url)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        cls = _PinnedHTTPSConnection if dest.scheme == "https" else _PinnedHTTPConnection
        conn = cls(dest.host, dest.port, address=dest.address, timeout=request.timeout)
        try:
            conn.request("POST", path, body=request.body, headers=request.headers)
            response = conn.getresponse()
            body = response.read(_READ_LIMIT).decode("utf-8", errors="replace")
            return OutboundResponse(status_code=response.status, body=body[:EXCERPT_CHARS])
        except (OSError, http.client.HTTPException) as exc:  # timeouts and TLS errors included
            raise TransportError(f"{type(exc).__name__}: {exc}") from exc
        finally:
            conn.close()


_default = HttpClientTransport()


def transport_get() -> Transport:
    return _default
