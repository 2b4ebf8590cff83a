"""Domain events: how a lower layer announces something without importing the layers above.

    publish("lead.created", lead_id=7)

Handlers are registered explicitly in each app's AppConfig.ready(). `on_commit` handlers (the
default: notifications, webhooks, rescoring) run only once the transaction commits, so nobody
hears about a write that was rolled back; `in_transaction` handlers (timeline rows that must
exist together with the change) run at once, inside it. The current schema is captured at
publish time and restored around after-commit handlers.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.db import connection, transaction
from django_tenants.utils import schema_context

logger = logging.getLogger(__name__)

Handler = Callable[..., None]
_after_commit: dict[str, list[Handler]] = defaultdict(list)
_in_transaction: dict[str, list[Handler]] = defaultdict(list)


def subscribe(event: str, handler: Handler, *, in_transaction: bool = False) -> None:
    registry = _in_transaction if in_transaction else _after_commit
    if handler not in registry[event]:
        registry[event].append(handler)


def unsubscribe(event: str, handler: Handler) -> None:
    for registry in (_in_transaction, _after_commit):
        if handler in registry[event]:
            registry[event].remove(handler)


def publish(event: str, **payload: Any) -> None:
    for handler in list(_in_transaction[event]):
        handler(event=event, **payload)
    schema = connection.schema_name
    for handler in list(_after_commit[event]):
        transaction.on_commit(_deferred(handler, event, schema, payload))


def _deferred(handler: Handler, event: str, schema: str, payload: dict) -> Callable[[], None]:
    def run() -> None:
        try:
            with schema_context(schema):
                handler(event=event, **payload)
        except Exception:  # one broken subscriber must not break the others or the caller
            logger.exception(
                "Handler %s for %s failed", getattr(handler, "__name__", handler), event
            )

    return run
