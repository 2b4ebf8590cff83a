"""The batched import: validate a batch in Python, dedupe it against the database with one
query, then write it with bulk INSERTs inside one transaction together with the job's
progress. A batch is all or nothing; `ImportJob.committed_rows` says where to resume."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from crm.audit.models import AuditEvent
from crm.contacts.models import Contact
from crm.leads.models import Lead, LeadStatus, LeadStatusChange

from .copy import copy_insert, copy_insert_values, model_defaults
from .models import DuplicatePolicy, ImportJob, ImportRowError, Target
from .validation import PreparedRow, RowInvalid, RowPreparer

IDENTITY_KEYS = ("email", "phone", "messenger_psid")
UPDATABLE = (
    "first_name", "last_name", "email", "phone", "messenger_psid", "street", "city", "region",
    "postal_code", "country", "timezone", "timezone_source", "source", "tags", "custom",
)  # fmt: skip


_CONTACT_DEFAULTS = model_defaults(Contact)
_AUDIT_DEFAULTS = model_defaults(AuditEvent)


class _NewContact:
    """A contact this batch creates: the attributes _Index, _merge and the lead rows read, in
    a plain __dict__ that COPY writes as it is. Building a Contact model instance per row cost
    more than validating it."""

    def __init__(self, values: dict[str, Any]):
        self.__dict__.update(_CONTACT_DEFAULTS)
        self.__dict__.update(values)

    @property
    def pk(self) -> int | None:
        return self.__dict__.get("id")


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
    of `= ANY(array)` lookups, so each arm uses its own index (an OR of three IN lists made
    the planner scan the table) and the query text stays the same size whatever the batch."""
    table = connection.ops.quote_name(Contact._meta.db_table)
    arms, params = [], []
    for key in IDENTITY_KEYS:
        values = list({r.contact[key] for r in rows if r.contact.get(key)})
        if values:
            arms.append(f"SELECT * FROM {table} WHERE {connection.ops.quote_name(key)} = ANY(%s)")
            params.append(values)
    if not arms:
        return _Index()
    found = {c.pk: c for c in Contact.objects.raw(" UNION ALL ".join(arms), params)}
    return _Index(sorted(found.values(), key=lambda c: (c.created_at, c.pk)))


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
    manual = Contact.TimezoneSource.MANUAL
    if values.get("timezone_source") == manual:
        # A zone given in the file is set by hand, as contact_update does with one, even
        # over an earlier hand-set zone and even when nothing else in the row changed.
        if (contact.timezone, contact.timezone_source) != (values["timezone"], manual):
            contact.timezone, contact.timezone_source = values["timezone"], manual
            changed = True
    elif changed and contact.timezone_source != manual:
        contact.timezone, contact.timezone_source = preparer.derive_timezone(
            {"country": contact.country, "region": contact.region, "phone": contact.phone}
        )
    return changed


def _audit_row(entity_type: str, entity_id: int, action: str, *, actor_id, source: str,
               **extra: Any) -> dict[str, Any]:  # fmt: skip
    return {**_AUDIT_DEFAULTS, "entity_type": entity_type, "entity_id": entity_id,
            "action": action, "actor_id": actor_id, "source": source, **extra}  # fmt: skip


def _audit(rows: list[dict[str, Any]]) -> None:
    copy_insert_values(AuditEvent, rows)


Rejected = list[tuple[int, dict[str, str], list[str]]]


def validate_batch(
    preparer: RowPreparer, batch: list[tuple[int, list[str]]]
) -> tuple[list[PreparedRow], Rejected]:
    """The clean rows and the rejected ones (row number, errors, cells). Pure Python, no
    database: import_job_run runs it for the next batch while this one is being written."""
    prepared: list[PreparedRow] = []
    rejected: Rejected = []
    for row_number, cells in batch:
        try:
            prepared.append(preparer.prepare(row_number, cells))
        except RowInvalid as exc:
            rejected.append((row_number, exc.errors, cells))
    return prepared, rejected


def process_batch(
    *,
    job: ImportJob,
    preparer: RowPreparer,
    batch: list[tuple[int, list[str]]],
    actor_id,
    validated: tuple[list[PreparedRow], Rejected] | None = None,
) -> BatchResult:
    """Validate (unless `validated` is given), dedupe and write one batch. The caller wraps
    it in a transaction."""
    prepared, rejected = validated if validated is not None else validate_batch(preparer, batch)
    result = BatchResult(
        errors=[
            ImportRowError(job=job, row_number=n, errors=errors, values=cells)
            for n, errors, cells in rejected
        ]
    )
    policy = job.duplicates
    existing = _existing(prepared) if policy != DuplicatePolicy.CREATE else _Index()
    fresh = _Index()
    new_contacts: list[_NewContact] = []
    dirty: dict[int, Contact] = {}
    before: dict[int, dict[str, Any]] = {}
    lead_rows: list[tuple[PreparedRow, Contact | _NewContact]] = []
    for row in prepared:
        match = None
        if policy != DuplicatePolicy.CREATE:
            match = existing.find(row.contact) or fresh.find(row.contact)
        if match is None:
            contact = _NewContact(row.contact)
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

    now = timezone.now()
    copy_insert_values(Contact, [c.__dict__ for c in new_contacts], now=now)
    if dirty:
        Contact.objects.bulk_update(list(dirty.values()), UPDATABLE, batch_size=500)
    source = f"import:{job.pk}"[:32]
    created = _audit_row("contact", 0, AuditEvent.Action.CREATE, actor_id=actor_id, source=source)
    audit = [{**created, "entity_id": c.pk} for c in new_contacts]
    for pk, contact in dirty.items():
        for name in UPDATABLE:
            old, new = before[pk][name], getattr(contact, name)
            if old != new:
                audit.append(_audit_row(
                    "contact", pk, AuditEvent.Action.UPDATE, field=name, old_value=old,
                    new_value=new, actor_id=actor_id, source=source,
                ))  # fmt: skip
    if job.target == Target.LEADS:
        audit.extend(_create_leads(job, lead_rows, actor_id=actor_id, source=source, now=now))
    _audit(audit)
    ImportRowError.objects.bulk_create(result.errors)
    return result


def _create_leads(
    job: ImportJob, rows: list[tuple[PreparedRow, Contact | _NewContact]], *, actor_id,
    source: str, now,
) -> list[dict[str, Any]]:  # fmt: skip
    """Historical outcomes are set directly (no deal per converted lead: see docs/imports.md),
    but each one still gets its LeadStatusChange row and an audit TRANSITION row."""
    leads = [
        Lead(contact_id=contact.pk, status_changed_at=now, **row.lead) for row, contact in rows
    ]
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
        _audit_row("lead", lead.pk, AuditEvent.Action.CREATE, actor_id=actor_id, source=source)
        for lead in leads
    ]
    audit += [
        _audit_row("lead", c.lead_id, AuditEvent.Action.TRANSITION, field="status",
                   old_value=c.from_status, new_value=c.to_status, actor_id=actor_id,
                   source=source)
        for c in changes
    ]  # fmt: skip
    return audit


def commit_batch(
    *,
    job: ImportJob,
    preparer: RowPreparer,
    batch: list[tuple[int, list[str]]],
    start: int,
    validated: tuple[list[PreparedRow], Rejected] | None = None,
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
        result = process_batch(
            job=job, preparer=preparer, batch=batch, actor_id=job.created_by_id,
            validated=validated,
        )  # fmt: skip
        ImportJob.objects.filter(pk=job.pk).update(
            created_count=F("created_count") + result.created,
            updated_count=F("updated_count") + result.updated,
            skipped_count=F("skipped_count") + result.skipped,
            error_count=F("error_count") + len(result.errors),
        )
    return result
