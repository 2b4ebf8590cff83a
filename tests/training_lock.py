"""Another worker's training, for the "two trainings never run at once" tests: the advisory
lock of (workspace, kind) held on a second database connection while the block runs."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection
from django_tenants.utils import schema_context

from intelligence import registry


@contextmanager
def training_lock_held(schema: str, kind: str) -> Iterator[None]:
    held, release = threading.Event(), threading.Event()

    def hold_lock() -> None:
        with schema_context(schema):
            key = registry._lock_key(kind)
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_lock(hashtext(%s))", [key])
                held.set()
                release.wait(10)
                cursor.execute("SELECT pg_advisory_unlock(hashtext(%s))", [key])
        connection.close()

    thread = threading.Thread(target=hold_lock)
    thread.start()
    try:
        assert held.wait(10), "the other connection never got the lock"
        yield
    finally:
        release.set()
        thread.join()
