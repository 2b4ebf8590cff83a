"""The batched import: validate a batch in Python, dedupe it against the database with one
query, then write it with bulk INSERTs inside one transaction together with the job's
progress. A batch is all or nothing; `ImportJob.committed_rows` says where to resume."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from crm.audit.models import AuditEvent
from crm.contacts.models import Contact
from crm.leads.models import Lead, LeadStatus, LeadStatusChange

from .copy import copy_insert
from .models import DuplicatePolicy, ImportJob, ImportRowError, Target
from .validation import PreparedRow, RowInvalid, RowPreparer

IDENTITY_KEYS = ("email", "phone", "messenger_psid")
UPDATABLE = (
    "first_name", "last_name", "email", "phone", "messenger_psid", "street", "city", "region",
    "postal_code", "country", "timezone", "timezone_source", "source", "tags", "custom",
)  # fmt: skip


class ConcurrentRunError(RuntimeError):
    """Another run of the same job committed first; this one stops without writing."""


@dataclass
class BatchResult:
    created: int = 0
    updated: int = 0
    skipped: int = 0
    errors: list[ImportRowError] = field(default_factory=list)


class _Index:
    """Contacts by email / phone / PSID, oldest first wins (the survivor of a later merge)."""

    def __init__(self, contacts: Iterable[Contact] = ()):
        self._maps: dict[str, dict[str, Contact]] = {k: {} for k in IDENTITY_KEYS}
        for contact in contacts:
            self.add(contact)

    def add(self, contact: Contact) -> None:
        for key in IDENTITY_KEYS:
            value = getattr(contact, key)
            if value:
                self._maps[key].setdefault(value, contact)

    def find(self, values: dict[str, Any]) -> Contact | None:
        for key in IDENTITY_KEYS:
            value = values.get(key)
            if value and value in self._maps[key]:
                return self._maps[key][value]
        return None


def _existing(rows: list[PreparedRow]) -> _Index:
    """ONE query for the whole batch: every contact sharing an email, phone or PSID. A UNION
    of `= ANY(…)` lookups, so each arm uses its own index (an OR of three IN lists made the
    planner scan the table)."""
    parts = []
    for key in IDENTITY_KEYS:
        values = list({r.contact[key] for r in rows if r.contact.get(key)})
        if values:
            parts.append(Contact.objects.filter(**{f"{key}__in": values}))
    if not parts:
        return _Index()
    query = parts[0].union(*parts[1:]) if len(parts) > 1 else parts[0]
    return _Index(sorted(query, key=lambda c: (c.created_at, c.pk)))


def _merge(contact: Contact, values: dict[str, Any], preparer: RowPreparer) -> bool:
    """Update mode: non-empty imported values overwrite; empty cells never clear a field."""
    changed = False
    for name, value in values.items():
        if name in ("custom", "timezone", "timezone_source") or value in ("", [], None):
            continue
        if getattr(contact, name) != value:
            setattr(contact, name, value)
            changed = True
    if values.get("custom"):
        merged = {**contact.custom, **values["custom"]}
        changed |= merged != contact.custom
        contact.custom = merged
    if changed and contact.timezone_source != Contact.TimezoneSource.MANUAL:
        contact.timezone, contact.timezone_source = preparer.derive_timezone(
            {"timezone": values.get("timezone") or "", "country": contact.country,
             "region": contact.region, "phone": contact.phone}
        )  # fmt: skip
    return changed


def _audit(rows: list[AuditEvent]) -> None:
    copy_insert(AuditEvent, rows)


def process_batch(
    *, job: ImportJob, preparer: RowPreparer, batch: list[tuple[int, list[str]]], actor_id
) -> BatchResult:
    """Validate, dedupe and write one batch. The caller wraps it in a transaction."""
    result = BatchResult()
    prepared: list[PreparedRow] = []
    for row_number, cells in batch:
        try:
            prepared.append(preparer.prepare(row_number, cells))
        except RowInvalid as exc:
            result.errors.append(
                ImportRowError(job=job, row_number=row_number, errors=exc.errors, values=cells)
            )
    policy = job.duplicates
    existing = _existing(prepared) if policy != DuplicatePolicy.CREATE else _Index()
    fresh = _Index()
    new_contacts: list[Contact] = []
    dirty: dict[int, Contact] = {}
    before: dict[int, dict[str, Any]] = {}
    lead_rows: list[tuple[PreparedRow, Contact]] = []
    for row in prepared:
        match = None
        if policy != DuplicatePolicy.CREATE:
            match = existing.find(row.contact) or fresh.find(row.contact)
        if match is None:
            contact = Contact(**row.contact)
            new_contacts.append(contact)
            fresh.add(contact)
            result.created += 1
        elif policy == DuplicatePolicy.SKIP:
            result.skipped += 1
            continue
        else:
            contact = match
            if contact.pk and contact.pk not in before:
                before[contact.pk] = {n: getattr(contact, n) for n in UPDATABLE}
            if _merge(contact, row.contact, preparer) and contact.pk:
                dirty[contact.pk] = contact
            fresh.add(contact)
            result.updated += 1
        lead_rows.append((row, contact))

    copy_insert(Contact, new_contacts)
    if dirty:
        Contact.objects.bulk_update(list(dirty.values()), UPDATABLE, batch_size=500)
    source = f"import:{job.pk}"[:32]
    audit = [
        AuditEvent(entity_type="contact", entity_id=c.pk, action=AuditEvent.Action.CREATE,
                   actor_id=actor_id, source=source)
        for c in new_contacts
    ]  # fmt: skip
    for pk, contact in dirty.items():
        for name in UPDATABLE:
            old, new = before[pk][name], getattr(contact, name)
            if old != new:
                audit.append(AuditEvent(
                    entity_type="contact", entity_id=pk, action=AuditEvent.Action.UPDATE,
                    field=name, old_value=old, new_value=new, actor_id=actor_id, source=source,
                ))  # fmt: skip
    if job.target == Target.LEADS:
        audit.extend(_create_leads(job, lead_rows, actor_id=actor_id, source=source))
    _audit(audit)
    ImportRowError.objects.bulk_create(result.errors)
    return result


def _create_leads(
    job: ImportJob, rows: list[tuple[PreparedRow, Contact]], *, actor_id, source: str
) -> list[AuditEvent]:
    """Historical outcomes are set directly (no deal per converted lead: see docs/imports.md),
    but each one still gets its LeadStatusChange row and an audit TRANSITION row."""
    now = timezone.now()
    leads = [Lead(contact=contact, status_changed_at=now, **row.lead) for row, contact in rows]
    copy_insert(Lead, leads)
    reason = f"Historical outcome from import #{job.pk}"
    changes = [
        LeadStatusChange(
            lead=lead, from_status=LeadStatus.NEW, to_status=lead.status,
            reason=(lead.lost_reason or reason)[:255], changed_by_id=actor_id,
        )
        for lead in leads
        if lead.status != LeadStatus.NEW
    ]  # fmt: skip
    copy_insert(LeadStatusChange, changes)
    audit = [
        AuditEvent(entity_type="lead", entity_id=lead.pk, action=AuditEvent.Action.CREATE,
                   actor_id=actor_id, source=source)
        for lead in leads
    ]  # fmt: skip
    audit += [
        AuditEvent(entity_type="lead", entity_id=c.lead_id, action=AuditEvent.Action.TRANSITION,
                   field="status", old_value=c.from_status, new_value=c.to_status,
                   actor_id=actor_id, source=source)
        for c in changes
    ]  # fmt: skip
    return audit


def commit_batch(
    *, job: ImportJob, preparer: RowPreparer, batch: list[tuple[int, list[str]]], start: int
) -> BatchResult:
    """One transaction: claim the job's position, write the batch, advance the position.

    The conditional UPDATE both locks the job row and checks nobody else committed rows
    [start, …) meanwhile, so two workers on one job can never import a row twice."""
    with transaction.atomic():
        claimed = ImportJob.objects.filter(pk=job.pk, committed_rows=start).update(
            committed_rows=start + len(batch)
        )
        if not claimed:
            raise ConcurrentRunError(f"Import #{job.pk} moved past row {start} elsewhere.")
        result = process_batch(job=job, preparer=preparer, batch=batch, actor_id=job.created_by_id)
        ImportJob.objects.filter(pk=job.pk).update(
            created_count=F("created_count") + result.created,
            updated_count=F("updated_count") + result.updated,
            skipped_count=F("skipped_count") + result.skipped,
            error_count=F("error_count") + len(result.errors),
        )
    return result
