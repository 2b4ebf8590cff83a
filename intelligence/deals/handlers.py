"""Domain events that change a deal's features → a rescoring of those deals, after commit.

Handlers run inside the announcing transaction and only note ids; once it commits, one task
per transaction carries everything noted (a stage move publishes two events: one rescoring).
A rolled-back write queues nothing. Rescoring publishes no events, so it cannot loop."""

from __future__ import annotations

from typing import Any

from crm.events import subscribe
from crm.tenancy.celery import SCHEMA_HEADER
from intelligence.after_commit import AfterCommitRefs


def _send(schema: str, refs: dict[str, set[int]]) -> None:
    from .tasks import deal_rescore

    deal_rescore.apply_async(
        args=[{kind: sorted(ids) for kind, ids in refs.items()}], headers={SCHEMA_HEADER: schema}
    )


REFS = AfterCommitRefs(_send, what="deal rescoring")
_note = REFS.note


def _deal(*, deal_id: int, **_: Any) -> None:
    _note("deal", deal_id)


def _activity(
    *, activity_id: int, deal_id: int | None = None, contact_id: int | None = None, **_: Any
) -> None:
    if deal_id:
        _note("deal", deal_id)
    elif contact_id:
        _note("contact", contact_id)  # a call or message with one of the deal's people
    else:
        _note("activity", activity_id)  # resolved to its deal (if any) by the task


def _company(*, company_id: int, **_: Any) -> None:
    _note("company", company_id)  # size and industry are features


HANDLERS = {
    "deal.created": _deal,
    "deal.updated": _deal,
    "deal.stage_changed": _deal,
    "deal.won": _deal,
    "deal.lost": _deal,
    "lead.converted": _deal,
    "activity.logged": _activity,
    "activity.updated": _activity,
    "company.updated": _company,
}


def register() -> None:
    for event, handler in HANDLERS.items():
        subscribe(event, handler, in_transaction=True)
