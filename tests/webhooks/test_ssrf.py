"""Subscribing to an address inside our network is refused with a clear error; nothing is
stored. The guard also runs at delivery time (see test_delivery.py)."""

from __future__ import annotations

import ipaddress

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import schema_context

from crm.webhooks.models import WebhookSubscription
from crm.webhooks.services import subscription_create, subscription_update
from crm.webhooks.ssrf import destination_check, is_blocked

BLOCKED_URLS = [
    "http://127.0.0.1/hook",
    "http://127.9.9.9:8080/hook",
    "http://10.0.0.5/hook",
    "http://172.16.3.4/hook",
    "http://192.168.1.1/hook",
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata
    "http://100.64.0.1/hook",  # carrier-grade NAT
    "http://0.0.0.0/hook",
    "http://224.0.0.1/hook",  # multicast
    "http://240.0.0.1/hook",  # reserved
    "http://[::1]/hook",
    "http://[::]/hook",
    "http://[fe80::1]/hook",
    "http://[fc00::1]/hook",
    "http://[ff02::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",  # IPv4-mapped IPv6
    "http://[::ffff:169.254.169.254]/hook",
    "http://[64:ff9b::a9fe:a9fe]/hook",  # NAT64 of 169.254.169.254
    "http://localhost/hook",
    "https://internal.partner.example/hook",  # a name resolving to a private address
    "https://mixed.partner.example/hook",  # one public, one private address
]


@pytest.fixture(autouse=True)
def _private_names(fake_dns) -> None:
    fake_dns.records["internal.partner.example"] = ["10.1.2.3"]
    fake_dns.records["mixed.partner.example"] = ["8.8.4.4", "192.168.0.10"]


@pytest.mark.parametrize("url", BLOCKED_URLS)
def test_private_destinations_are_refused_and_nothing_is_stored(alpha, url: str) -> None:
    with schema_context(alpha.schema):
        with pytest.raises(ValidationError) as caught:
            subscription_create(name="x", url=url, events=["lead.created"])
        assert "private or reserved address" in caught.value.message_dict["url"][0]
        assert not WebhookSubscription.objects.exists()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://hooks.partner.example/x", "must start with https://"),
        ("javascript:alert(1)", "must start with https://"),
        ("https:///nohost", "no host"),
        ("https://user:pw@hooks.partner.example/x", "no credentials"),
        ("https://nowhere.invalid/x", "could not be resolved"),
        ("https://hooks.partner.example:99999/x", "Not a valid URL"),
    ],
)
def test_malformed_urls_get_a_clear_error(alpha, url: str, message: str) -> None:
    with schema_context(alpha.schema), pytest.raises(ValidationError) as caught:
        subscription_create(name="x", url=url, events=["lead.created"])
    assert message in caught.value.message_dict["url"][0]


def test_a_public_destination_is_accepted(alpha) -> None:
    with schema_context(alpha.schema):
        sub = subscription_create(
            name="ok", url="https://hooks.partner.example/x", events=["lead.created"]
        )
        assert sub.secret.startswith("whsec_") and len(sub.secret) > 40


def test_updating_to_a_private_url_is_refused_too(alpha, make_subscription) -> None:
    sub = make_subscription(alpha)
    with schema_context(alpha.schema):
        with pytest.raises(ValidationError):
            subscription_update(subscription=sub, url="http://169.254.169.254/")
        sub.refresh_from_db()
        assert sub.url == "https://hooks.partner.example/lodestar"


def test_private_destinations_allowed_by_the_setting(alpha, settings) -> None:
    settings.LODESTAR_WEBHOOKS_ALLOW_PRIVATE = True
    with schema_context(alpha.schema):
        sub = subscription_create(name="local", url="http://127.0.0.1:9000/", events=["deal.won"])
    assert sub.pk
    assert destination_check("http://10.0.0.1/").address is None  # no pinning: connect by name


def test_unknown_events_are_refused(alpha) -> None:
    with schema_context(alpha.schema), pytest.raises(ValidationError) as caught:
        subscription_create(name="x", url="https://hooks.partner.example/", events=["lead.eaten"])
    assert "lead.eaten" in caught.value.message_dict["events"][0]


@pytest.mark.parametrize(
    ("address", "blocked"),
    [
        ("8.8.8.8", False),
        ("2606:4700:4700::1111", False),
        ("::ffff:10.0.0.1", True),
        ("2002:0a00:0001::1", True),
    ],
)
def test_is_blocked_unwraps_embedded_ipv4(address: str, blocked: bool) -> None:
    assert is_blocked(ipaddress.ip_address(address)) is blocked
