"""Domain events → webhook deliveries. Registered as after-commit handlers, so a rolled-back
write never reaches a partner; crm.events runs them in the publishing workspace's schema."""

from __future__ import annotations

from typing import Any

from crm.events import subscribe

from .events import WEBHOOK_EVENTS


def on_domain_event(*, event: str, **payload: Any) -> None:
    from .services import delivery_enqueue_for_event

    delivery_enqueue_for_event(event=event, **payload)


def register() -> None:
    for event in WEBHOOK_EVENTS:
        subscribe(event, on_domain_event)
