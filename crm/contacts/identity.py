"""Identity resolution: finding duplicate contacts/companies and merging two into one.

Used by the import, the partner API and the admin's merge action. A merge is one transaction:
every row that points at the duplicate is moved to the survivor, the survivor's blanks are filled
from the duplicate, the merge is written to the audit trail (on both ids, with a snapshot of the
duplicate) and a domain event is published; then the duplicate is deleted.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Count, Q
from django.db.models.functions import Lower

from crm.audit.models import AuditEvent
from crm.audit.services import audit_changes, audit_event, snapshot
from crm.events import publish

from .models import Company, Contact, LifecycleStage
from .services import COMPANY_FIELDS, CONTACT_FIELDS

ADDRESS_FIELDS = ("street", "city", "region", "postal_code", "country")
# Filled on the survivor only where it has nothing (the survivor's own data always wins).
CONTACT_FILL_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "messenger_psid",
    "company",
    "owner",
    "source",
)
COMPANY_FILL_FIELDS = (
    "domain",
    "industry",
    "employee_count",
    "annual_revenue",
    "latitude",
    "longitude",
    "owner",
)
SNAPSHOT_EXTRA = ("timezone_source", "became_customer_at", "churned_at", "created_at")


# --- finding duplicates ------------------------------------------------------------------


@dataclass
class DuplicateGroup:
    """Records sharing one identifying value (e.g. the same email)."""

    key: str  # "email", "phone", "messenger_psid", "domain", "name"
    value: str
    records: list = field(default_factory=list)

    @property
    def ids(self) -> list[int]:
        return [r.pk for r in self.records]


def _groups(queryset: models.QuerySet, keys: dict[str, Any], *, limit: int) -> list[DuplicateGroup]:
    """One aggregate query per key, then one query for every record involved: a flat count
    however many groups there are."""
    shared: dict[str, list[str]] = {}
    match = Q()
    for key, expression in keys.items():
        values = list(
            queryset.annotate(_k=expression)
            .exclude(_k="")
            .values("_k")
            .annotate(n=Count("id"))
            .filter(n__gt=1)
            .order_by("-n", "_k")
            .values_list("_k", flat=True)[:limit]
        )
        if values:
            shared[key] = values
            match |= Q(**{f"_k_{key}__in": values})
    if not shared:
        return []
    annotated = queryset.annotate(**{f"_k_{key}": keys[key] for key in shared})
    by_value: dict[tuple[str, str], list] = defaultdict(list)
    for record in annotated.filter(match).order_by("created_at", "id"):
        for key, values in shared.items():
            value = getattr(record, f"_k_{key}")
            if value in values:
                by_value[(key, value)].append(record)
    return [
        DuplicateGroup(key=key, value=value, records=by_value[(key, value)])
        for key, values in shared.items()
        for value in values
        if len(by_value[(key, value)]) > 1
    ]


def contact_duplicate_groups(*, limit: int = 200) -> list[DuplicateGroup]:
    """Contacts sharing a (stored, already normalised) email, E.164 phone or Messenger PSID.
    Records are oldest first: the natural survivor of a merge."""
    keys = {
        "email": models.F("email"),
        "phone": models.F("phone"),
        "messenger_psid": models.F("messenger_psid"),
    }
    return _groups(Contact.objects.select_related("company", "owner"), keys, limit=limit)


def company_duplicate_groups(*, limit: int = 200) -> list[DuplicateGroup]:
    """Companies sharing a web domain or a name (case-insensitive)."""
    keys = {"domain": models.F("domain"), "name": Lower("name")}
    return _groups(Company.objects.select_related("owner"), keys, limit=limit)


# --- merging -----------------------------------------------------------------------------


def _lock_pair(model: type[models.Model], survivor, duplicate) -> tuple[Any, Any]:
    if survivor.pk is None or duplicate.pk is None:
        raise ValidationError("Save both records before merging them.")
    if survivor.pk == duplicate.pk:
        raise ValidationError("A record cannot be merged with itself.")
    # Lock in id order so two concurrent merges of the same pair cannot deadlock.
    rows = {
        r.pk: r
        for r in model.objects.select_for_update()
        .filter(pk__in=[survivor.pk, duplicate.pk])
        .order_by("pk")
    }
    if len(rows) != 2:
        raise ValidationError("One of the records no longer exists.")
    return rows[survivor.pk], rows[duplicate.pk]


def _move_deal_roles(survivor: Contact, duplicate: Contact) -> int:
    """DealContact is unique per (deal, contact): where both are on a deal, keep the
    survivor's row (taking the duplicate's role if the survivor's says nothing)."""
    from crm.deals.models import DealContact

    survivor_roles = {r.deal_id: r for r in DealContact.objects.filter(contact=survivor)}
    moved = 0
    for row in DealContact.objects.filter(contact=duplicate):
        existing = survivor_roles.get(row.deal_id)
        if existing is None:
            row.contact = survivor
            row.save(update_fields=["contact"])
            moved += 1
            continue
        if existing.role == DealContact.Role.OTHER and row.role != DealContact.Role.OTHER:
            existing.role = row.role
            existing.save(update_fields=["role"])
        row.delete()
    return moved


def _move_relations(model: type[models.Model], survivor, duplicate, *, special: dict) -> dict:
    """Point every foreign key aimed at `duplicate` at `survivor`, whatever app declared it
    (apps added later are covered without touching this code). Returns counts per relation."""
    moved: dict[str, int] = {}
    for rel in model._meta.related_objects:
        if rel.many_to_many:
            continue  # m2m with a `through` model is moved through that model's own FK
        related_model, fk_name = rel.related_model, rel.field.name
        label = f"{related_model._meta.label_lower}.{fk_name}"
        if label in special:
            moved[label] = special[label](survivor, duplicate)
            continue
        queryset = related_model._base_manager.filter(**{fk_name: duplicate})
        if rel.one_to_one and related_model._base_manager.filter(**{fk_name: survivor}).exists():
            if queryset.exists():
                raise ValidationError(
                    f"Both records have a {related_model._meta.verbose_name}; "
                    "resolve that before merging."
                )
            continue
        try:
            with transaction.atomic():
                count = queryset.update(**{fk_name: survivor})
        except IntegrityError as exc:
            raise ValidationError(
                f"Cannot move the {related_model._meta.verbose_name_plural} of the duplicate: {exc}"
            ) from exc
        if count:
            moved[label] = count
    return moved


def _fill_blanks(survivor, duplicate, names: tuple[str, ...]) -> None:
    for name in names:
        attname = survivor._meta.get_field(name).attname
        if getattr(survivor, attname) in ("", None) and getattr(duplicate, attname) not in (
            "",
            None,
        ):
            setattr(survivor, attname, getattr(duplicate, attname))
    # An address is taken whole: a street from one record and a city from the other is wrong.
    if not any(getattr(survivor, n) for n in ADDRESS_FIELDS):
        for name in ADDRESS_FIELDS:
            setattr(survivor, name, getattr(duplicate, name))
    if survivor.lifecycle_stage == LifecycleStage.PROSPECT != duplicate.lifecycle_stage:
        survivor.lifecycle_stage = duplicate.lifecycle_stage
        survivor.churned_at = survivor.churned_at or duplicate.churned_at
    dates = [d for d in (survivor.became_customer_at, duplicate.became_customer_at) if d]
    survivor.became_customer_at = min(dates) if dates else None


def _record_merge(
    *,
    entity_type: str,
    survivor,
    duplicate,
    before: dict,
    after: dict,
    dup_snapshot: dict,
    moved: dict,
    actor,
    origin: str,
) -> None:
    audit_changes(
        entity_type=entity_type,
        entity_id=survivor.pk,
        before=before,
        after=after,
        actor=actor,
        source=origin,
        action=AuditEvent.Action.MERGE,
    )
    audit_event(
        entity_type=entity_type,
        entity_id=survivor.pk,
        action=AuditEvent.Action.MERGE,
        field="merged_from",
        old_value=None,
        new_value={"id": duplicate.pk, "snapshot": dup_snapshot, "moved": moved},
        actor=actor,
        source=origin,
    )
    audit_event(
        entity_type=entity_type,
        entity_id=duplicate.pk,
        action=AuditEvent.Action.MERGE,
        field="merged_into",
        old_value=dup_snapshot,
        new_value=survivor.pk,
        actor=actor,
        source=origin,
    )


@transaction.atomic
def contact_merge(
    *, survivor: Contact, duplicate: Contact, actor=None, origin: str = "ui"
) -> Contact:
    """Merge `duplicate` into `survivor` and delete it; nothing attached to either is lost."""
    survivor, duplicate = _lock_pair(Contact, survivor, duplicate)
    before = snapshot(survivor, CONTACT_FIELDS)
    dup_snapshot = {"id": duplicate.pk, **snapshot(duplicate, (*CONTACT_FIELDS, *SNAPSHOT_EXTRA))}
    moved = _move_relations(
        Contact, survivor, duplicate, special={"deals.dealcontact.contact": _move_deal_roles}
    )
    _fill_blanks(survivor, duplicate, CONTACT_FILL_FIELDS)
    if (
        survivor.timezone_source == Contact.TimezoneSource.WORKSPACE
        and duplicate.timezone_source != Contact.TimezoneSource.WORKSPACE
    ):
        survivor.timezone, survivor.timezone_source = duplicate.timezone, duplicate.timezone_source
    survivor.tags = sorted(set(survivor.tags or []) | set(duplicate.tags or []))
    survivor.custom = {**(duplicate.custom or {}), **(survivor.custom or {})}
    # Unique values move with the duplicate's deletion, so delete it before saving the survivor.
    duplicate_pk = duplicate.pk
    duplicate.delete()
    duplicate.pk = duplicate_pk
    survivor.save()
    _record_merge(
        entity_type="contact",
        survivor=survivor,
        duplicate=duplicate,
        before=before,
        after=snapshot(survivor, CONTACT_FIELDS),
        dup_snapshot=dup_snapshot,
        moved=moved,
        actor=actor,
        origin=origin,
    )
    publish(
        "contact.merged",
        contact_id=survivor.pk,
        duplicate_id=duplicate_pk,
        actor_id=getattr(actor, "pk", None),
    )
    return survivor


@transaction.atomic
def company_merge(
    *, survivor: Company, duplicate: Company, actor=None, origin: str = "ui"
) -> Company:
    """Merge `duplicate` into `survivor` (its contacts, deals, activities and tasks move)."""
    survivor, duplicate = _lock_pair(Company, survivor, duplicate)
    before = snapshot(survivor, COMPANY_FIELDS)
    dup_snapshot = {"id": duplicate.pk, **snapshot(duplicate, (*COMPANY_FIELDS, "created_at"))}
    moved = _move_relations(Company, survivor, duplicate, special={})
    _fill_blanks(survivor, duplicate, COMPANY_FILL_FIELDS)
    duplicate_pk = duplicate.pk
    duplicate.delete()
    duplicate.pk = duplicate_pk
    survivor.save()
    _record_merge(
        entity_type="company",
        survivor=survivor,
        duplicate=duplicate,
        before=before,
        after=snapshot(survivor, COMPANY_FIELDS),
        dup_snapshot=dup_snapshot,
        moved=moved,
        actor=actor,
        origin=origin,
    )
    publish(
        "company.merged",
        company_id=survivor.pk,
        duplicate_id=duplicate_pk,
        actor_id=getattr(actor, "pk", None),
    )
    return survivor


def merged_ids(*, entity_type: str, entity_id: int) -> list[int]:
    """Ids of the records merged into this one (and into those, transitively), so its history
    can include theirs. The audit trail is generic (entity_type/entity_id), never FK-bound."""
    found: list[int] = []
    frontier = [entity_id]
    while frontier and len(found) < 500:
        rows = AuditEvent.objects.filter(
            entity_type=entity_type, entity_id__in=frontier, field="merged_from"
        ).values_list("new_value", flat=True)
        frontier = [v["id"] for v in rows if isinstance(v, dict) and v.get("id") not in found]
        found.extend(frontier)
    return found
