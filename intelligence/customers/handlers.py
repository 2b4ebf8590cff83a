"""Domain events → rescoring of the customers they touch. After-commit handlers (crm.events
runs them in the publishing workspace): a rolled-back write rescores nobody. Only current
customers are sent to the worker, so the activity of prospects queues nothing."""

from __future__ import annotations

from typing import Any

from crm.events import subscribe

from .features import COMPANY, CONTACT, Key
from .selectors import customer_keys_current, customer_keys_for_activity, customer_keys_for_deal

DEAL_EVENTS = ("deal.created", "deal.updated", "deal.won", "deal.lost", "deal.stage_changed")
ACTIVITY_EVENTS = ("activity.logged", "activity.updated")
COMPANY_EVENTS = ("company.created", "company.updated", "company.merged")
CONTACT_EVENTS = ("contact.created", "contact.updated", "contact.merged",
                  "contact.consent_changed")  # fmt: skip


def customers_rescore_request(*, keys: list[Key]) -> None:
    from .tasks import customers_rescore

    current = customer_keys_current(keys=keys)
    if not current:
        return
    customers_rescore.delay(
        companies=[pk for kind, pk in current if kind == COMPANY],
        contacts=[pk for kind, pk in current if kind == CONTACT],
    )


def on_deal(*, deal_id: int, **_: Any) -> None:
    customers_rescore_request(keys=customer_keys_for_deal(deal_id=deal_id))


def on_activity(*, activity_id: int, **_: Any) -> None:
    customers_rescore_request(keys=customer_keys_for_activity(activity_id=activity_id))


def on_company(*, company_id: int, **_: Any) -> None:
    customers_rescore_request(keys=[(COMPANY, company_id)])


def on_contact(*, contact_id: int, **_: Any) -> None:
    customers_rescore_request(keys=[(CONTACT, contact_id)])


def register() -> None:
    pairs = ((DEAL_EVENTS, on_deal), (ACTIVITY_EVENTS, on_activity),
             (COMPANY_EVENTS, on_company), (CONTACT_EVENTS, on_contact))  # fmt: skip
    for events, handler in pairs:
        for event in events:
            subscribe(event, handler)
