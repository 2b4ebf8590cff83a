"""The Celery broker must reach the same Redis server *and database* as the cache and channel
layer, although kombu and redis-py spell a Unix-socket URL differently."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from django.conf import settings
from kombu import Connection

from config.embedded import celery_broker_url


@pytest.mark.parametrize(
    ("redis_url", "broker_url"),
    [
        ("unix:///tmp/lodestar/redis.sock", "redis+socket:///tmp/lodestar/redis.sock"),
        ("unix:///tmp/lodestar/redis.sock?db=2", "redis+socket:///tmp/lodestar/redis.sock?virtual_host=2"),
        ("unix://:s3cret@/tmp/r.sock", "redis+socket://:s3cret@/tmp/r.sock"),
        ("unix:///tmp/r.sock?password=s3cret&db=1", "redis+socket://:s3cret@/tmp/r.sock?virtual_host=1"),
        ("unix:///tmp/r.sock?password=a%2Fb%40c", "redis+socket://:a%2Fb%40c@/tmp/r.sock"),
        ("unix:///tmp/r.sock?socket_timeout=5", "redis+socket:///tmp/r.sock?socket_timeout=5"),
        # TCP URLs mean the same to both clients
        ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
        ("rediss://:pw@cache.example:6380/3", "rediss://:pw@cache.example:6380/3"),
    ],
)  # fmt: skip
def test_conversion(redis_url: str, broker_url: str) -> None:
    assert celery_broker_url(redis_url) == broker_url


def test_settings_use_the_conversion() -> None:
    assert celery_broker_url(settings.REDIS_URL) == settings.CELERY_BROKER_URL
    if settings.REDIS_URL.startswith("unix://"):
        assert settings.CELERY_BROKER_URL.startswith("redis+socket:///")


@pytest.fixture
def embedded_socket() -> Iterator[Path]:
    if not settings.REDIS_URL.startswith("unix://"):
        pytest.skip("needs the embedded Redis (a Unix socket)")
    yield Path(settings.REDIS_URL.removeprefix("unix://").partition("?")[0])


def test_kombu_and_redis_py_land_in_the_same_database(embedded_socket: Path) -> None:
    redis_url = f"unix://{embedded_socket}?db=5"
    assert redis.Redis.from_url(redis_url).connection_pool.connection_kwargs["db"] == 5
    with Connection(celery_broker_url(redis_url)) as conn:
        kwargs = conn.default_channel.client.connection_pool.connection_kwargs
        assert kwargs["db"] == 5
        assert kwargs["path"] == str(embedded_socket)
