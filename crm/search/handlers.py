"""Domain events -> search index. In-transaction handlers: the index changes (or rolls back)
together with the record, so a record is findable the moment its creation commits."""

from __future__ import annotations

from typing import Any

from crm.events import subscribe

from .models import EntityType
from .services import (
    search_index_record,
    search_reindex_changed_since,
    search_reindex_related,
    search_remove_record,
)


def _lead(*, lead_id: int, **_: Any) -> None:
    search_index_record(entity_type=EntityType.LEAD, entity_id=lead_id)


def _deal(*, deal_id: int, **_: Any) -> None:
    search_index_record(entity_type=EntityType.DEAL, entity_id=deal_id)


def _contact(*, contact_id: int, duplicate_id: int | None = None, **_: Any) -> None:
    ids = [contact_id] if duplicate_id is None else [contact_id, duplicate_id]
    # The contact itself plus its leads and deals (they show its name, phone and email);
    # a merged duplicate's row goes (its id no longer exists).
    search_reindex_related(contact_ids=ids)
    if duplicate_id is not None:
        search_remove_record(entity_type=EntityType.CONTACT, entity_id=duplicate_id)


def _company(*, company_id: int, duplicate_id: int | None = None, **_: Any) -> None:
    ids = [company_id] if duplicate_id is None else [company_id, duplicate_id]
    search_index_record(entity_type=EntityType.COMPANY, entity_id=company_id)
    search_reindex_related(company_ids=ids)
    if duplicate_id is not None:
        search_remove_record(entity_type=EntityType.COMPANY, entity_id=duplicate_id)


def _import_completed(*, job_id: int, **_: Any) -> None:
    # Imports write rows in bulk without per-row events: index what the job touched.
    from crm.imports.models import ImportJob

    job = ImportJob.objects.filter(pk=job_id).only("started_at", "created_at").first()
    if job is not None:
        search_reindex_changed_since(since=job.started_at or job.created_at)


HANDLERS = {
    "lead.created": _lead,
    "lead.updated": _lead,
    "lead.status_changed": _lead,
    "lead.converted": _lead,
    "lead.deleted": _lead,  # the record is gone: reindexing drops its row
    "deal.created": _deal,
    "deal.updated": _deal,
    "deal.stage_changed": _deal,
    "deal.deleted": _deal,
    "contact.created": _contact,
    "contact.updated": _contact,
    "contact.deleted": _contact,  # its row and its leads' (cascade) go; its deals' are redone
    "contact.merged": _contact,
    "company.created": _company,
    "company.updated": _company,
    "company.deleted": _company,
    "company.merged": _company,
    "import.completed": _import_completed,
}


def register() -> None:
    for event, handler in HANDLERS.items():
        subscribe(event, handler, in_transaction=True)
