"""SSRF guard: a webhook URL may only point at the public internet.

Checked when a subscription is saved and again before every delivery (the name may resolve
elsewhere by then: DNS rebinding); the sender then connects to the address checked here, so
the name is not resolved a second time between the check and the connection.
LODESTAR_WEBHOOKS_ALLOW_PRIVATE=True (development, tests of a local receiver) turns it off.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_ALLOWED_SCHEMES = ("https", "http")


class UnsafeDestination(ValidationError):
    """The URL is malformed or leads to an address partners may not make us call."""


@dataclass(frozen=True)
class Destination:
    scheme: str
    host: str
    port: int
    address: str | None  # the vetted IP to connect to; None when private hosts are allowed


def private_allowed() -> bool:
    return bool(getattr(settings, "LODESTAR_WEBHOOKS_ALLOW_PRIVATE", False))


def _embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one wraps (mapped, NAT64, 6to4), which is what gets reached."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip.sixtofour is not None:
            return ip.sixtofour
        if ip in _NAT64:
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_blocked(ip: IPAddress) -> bool:
    inner = _embedded_ipv4(ip)
    if inner is not None and is_blocked(inner):
        return True
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global  # e.g. 100.64.0.0/10 (carrier NAT), documentation ranges
    )


def parse_url(url: str) -> tuple[str, str, int]:
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise UnsafeDestination({"url": f"Not a valid URL: {exc}."}) from exc
    if parts.scheme not in _ALLOWED_SCHEMES:
        raise UnsafeDestination({"url": "The URL must start with https:// (or http://)."})
    if not parts.hostname:
        raise UnsafeDestination({"url": "The URL has no host."})
    if parts.username or parts.password:
        raise UnsafeDestination({"url": "Put no credentials in the URL; verify the signature."})
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


def resolve(host: str, port: int) -> list[IPAddress]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeDestination({"url": f'The host "{host}" could not be resolved.'}) from exc
    # scope ids ("fe80::1%eth0") are not part of the address
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


def destination_check(url: str) -> Destination:
    """Parse and vet `url`; raises UnsafeDestination with a message for the `url` field."""
    scheme, host, port = parse_url(url)
    if private_allowed():
        return Destination(scheme, host, port, None)
    addresses = resolve(host, port)
    # Every address must be public: a name resolving to one public and one private address
    # would let the attacker pick.
    blocked = sorted({str(ip) for ip in addresses if is_blocked(ip)})
    if blocked or not addresses:
        raise UnsafeDestination(
            {
                "url": f'"{host}" resolves to a private or reserved address '
                f"({', '.join(blocked)}); webhooks can only be sent to public addresses."
            }
        )
    return Destination(scheme, host, port, str(addresses[0]))
