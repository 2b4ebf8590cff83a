"""Domain events that change a lead's data or timeline → a rescoring of those leads.

The handlers run inside the announcing transaction but only note ids (no queries, no I/O);
what they noted is handed to `rescore_request` once the transaction commits, so a rolled-back
write queues nothing and one transaction touching many leads queues one rescoring. Rescoring
itself publishes no events (lead_current_scores_store announces nothing), so it cannot loop.
"""

from __future__ import annotations

from typing import Any

from crm.events import subscribe

from .after_commit import AfterCommitRefs


def _send(schema: str, refs: dict[str, set[int]]) -> None:
    from .rescoring import rescore_request

    rescore_request(schema=schema, refs=refs)


REFS = AfterCommitRefs(_send, what="lead rescoring")
_note = REFS.note


def _lead(*, lead_id: int, **_: Any) -> None:
    _note("lead", lead_id)


def _activity(*, activity_id: int, lead_id: int | None = None, **_: Any) -> None:
    if lead_id:
        _note("lead", lead_id)
    else:
        _note("activity", activity_id)  # resolved to its lead (if any) by the task


def _task(*, task_id: int, **_: Any) -> None:
    _note("task", task_id)


def _contact(*, contact_id: int, **_: Any) -> None:
    _note("contact", contact_id)


def _company(*, company_id: int, **_: Any) -> None:
    _note("company", company_id)


def _import(*, job_id: int, target: str = "", **_: Any) -> None:
    if target == "leads":
        _note("import", job_id)


HANDLERS = {
    "lead.created": _lead,
    "lead.updated": _lead,
    "lead.status_changed": _lead,
    "lead.converted": _lead,
    "activity.logged": _activity,
    "activity.updated": _activity,
    "task.created": _task,
    "task.updated": _task,
    "task.completed": _task,
    # Lifecycle stage, company size and industry are lead features.
    "contact.updated": _contact,
    "contact.merged": _contact,
    "company.updated": _company,
    "company.merged": _company,
    "import.completed": _import,
}


def register() -> None:
    for event, handler in HANDLERS.items():
        subscribe(event, handler, in_transaction=True)
