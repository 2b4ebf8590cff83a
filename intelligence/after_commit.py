"""Ids noted by domain-event handlers during a transaction, handed on once it commits.

Handlers run inside the announcing transaction: they only note (kind, id) per workspace schema
(no queries, no I/O). The first on-commit callback takes everything noted so far and calls
`send(schema, refs)` once per schema; the others find nothing. Ids noted in a transaction that
rolls back ride along with the next commit on the thread, which is harmless for rescoring."""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable

from django.db import connection, transaction

log = logging.getLogger(__name__)

Refs = dict[str, set[int]]


class AfterCommitRefs:
    def __init__(self, send: Callable[[str, Refs], None], *, what: str) -> None:
        self._send, self._what = send, what
        self._local = threading.local()

    def noted(self) -> dict[str, Refs]:
        """Per schema, what is waiting for a commit (a test hook)."""
        if not hasattr(self._local, "refs"):
            self._local.refs = {}
        return self._local.refs

    def clear(self) -> None:
        self._local.refs = {}

    def note(self, kind: str, pk: int | None) -> None:
        if not pk:
            return
        self.noted().setdefault(connection.schema_name, defaultdict(set))[kind].add(int(pk))
        transaction.on_commit(self._flush)

    def _flush(self) -> None:
        pending = self.noted()
        self.clear()
        for schema, refs in pending.items():
            try:
                self._send(schema, refs)
            except Exception:  # the write has committed; the nightly rescoring is the backstop
                log.exception("%s could not be requested in %s", self._what, schema)
