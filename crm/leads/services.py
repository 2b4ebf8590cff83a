"""Writes for leads. Status changes go through lead_transition / lead_convert only."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from crm.audit.models import AuditEvent
from crm.audit.services import audit_changes, audit_event, audited_delete, snapshot
from crm.contacts.models import Contact
from crm.customfields.models import Entity
from crm.customfields.services import custom_values_clean
from crm.deals.models import Deal, Pipeline, Stage
from crm.deals.services import deal_create
from crm.errors import model_full_clean
from crm.events import publish

from .models import Lead, LeadSavedView, LeadStatus, LeadStatusChange
from .status import NEEDS_REASON, allowed_next

LEAD_FIELDS = (
    "source",
    "campaign",
    "attribution",
    "estimated_value",
    "interest",
    "owner",
    "custom",
)
AUDITED_LEAD_FIELDS = (*LEAD_FIELDS, "status", "lost_reason")


class IllegalTransition(ValidationError):
    """A status move the lead machine does not allow; the message names the legal ones."""


def lead_prepare(lead: Lead, changes: dict[str, Any], *, partial: bool) -> Lead:
    """Apply and validate editable fields without saving (shared with the bulk import)."""
    changes = dict(changes)
    custom = changes.pop("custom", None)
    unknown = sorted(set(changes) - set(LEAD_FIELDS))
    if unknown:
        raise ValidationError({n: "This field cannot be set here." for n in unknown})
    for name, value in changes.items():
        setattr(lead, name, value.strip() if isinstance(value, str) else value)
    lead.custom = custom_values_clean(
        entity=Entity.LEAD, values=custom, existing=lead.custom, partial=partial
    )
    model_full_clean(lead)
    return lead


@transaction.atomic
def lead_create(*, contact: Contact, actor=None, origin: str = "ui", **fields: Any) -> Lead:
    lead = Lead(contact=contact, status=LeadStatus.NEW, status_changed_at=timezone.now())
    lead_prepare(lead, fields, partial=False)
    lead.save()
    audit_event(
        entity_type="lead",
        entity_id=lead.pk,
        action=AuditEvent.Action.CREATE,
        actor=actor,
        source=origin,
    )
    publish("lead.created", lead_id=lead.pk)
    return lead


@transaction.atomic
def lead_update(
    *,
    lead: Lead,
    changes: dict[str, Any],
    actor=None,
    origin: str = "ui",
    partial: bool = True,
) -> Lead:
    """Change a lead's editable fields. `partial=False` is a full replace (PUT): `custom`
    replaces the stored values and required custom fields must be given."""
    if "status" in changes:
        raise ValidationError({"status": "Change the status with a transition."})
    before = snapshot(lead, AUDITED_LEAD_FIELDS)
    if not partial:
        lead.custom = {}
    lead_prepare(lead, changes, partial=partial)
    lead.save()
    after = snapshot(lead, AUDITED_LEAD_FIELDS)
    audit_changes(
        entity_type="lead",
        entity_id=lead.pk,
        before=before,
        after=after,
        actor=actor,
        source=origin,
    )
    if before["owner"] != after["owner"]:
        publish(
            "lead.assigned",
            lead_id=lead.pk,
            owner_id=lead.owner_id,
            actor_id=getattr(actor, "pk", None),
        )
    publish("lead.updated", lead_id=lead.pk)
    return lead


def _check_transition(lead: Lead, to_status: str, reason: str) -> None:
    if to_status not in LeadStatus.values:
        raise ValidationError({"status": f'Unknown status "{to_status}".'})
    legal = allowed_next(lead.status)
    if to_status not in legal:
        names = ", ".join(sorted(legal)) or "none (it is final)"
        raise IllegalTransition(
            {"status": f"A {lead.status} lead cannot become {to_status}. Allowed: {names}."}
        )
    if to_status in NEEDS_REASON and not reason.strip():
        raise ValidationError({"reason": f"Say why the lead is {to_status}."})


def _record_transition(lead: Lead, to_status: str, *, reason: str, actor, origin: str) -> Lead:
    previous = lead.status
    now = timezone.now()
    lead.status, lead.status_changed_at = to_status, now
    lead.lost_reason = reason.strip() if to_status in NEEDS_REASON else ""
    if previous == LeadStatus.NEW and lead.first_response_at is None:
        lead.first_response_at = now
        lead.first_response_seconds = int((now - lead.created_at).total_seconds())
    lead.save()
    LeadStatusChange.objects.create(
        lead=lead,
        from_status=previous,
        to_status=to_status,
        reason=reason.strip(),
        changed_by=actor,
    )
    audit_event(
        entity_type="lead",
        entity_id=lead.pk,
        action=AuditEvent.Action.TRANSITION,
        field="status",
        old_value=previous,
        new_value=to_status,
        actor=actor,
        source=origin,
    )
    publish(
        "lead.status_changed",
        lead_id=lead.pk,
        from_status=previous,
        to_status=to_status,
        actor_id=getattr(actor, "pk", None),
    )
    return lead


@transaction.atomic
def lead_transition(
    *, lead: Lead, to_status: str, reason: str = "", actor=None, origin: str = "ui"
) -> Lead:
    """Move a lead along its status machine; converting goes through lead_convert."""
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if to_status == LeadStatus.CONVERTED:
        raise ValidationError(
            {"status": "Convert a lead with the convert action (it creates a deal)."}
        )
    _check_transition(lead, to_status, reason)
    return _record_transition(lead, to_status, reason=reason, actor=actor, origin=origin)


@transaction.atomic
def lead_convert(
    *,
    lead: Lead,
    deal_name: str = "",
    amount=None,
    pipeline: Pipeline | None = None,
    stage: Stage | None = None,
    expected_close_date=None,
    actor=None,
    origin: str = "ui",
) -> Deal:
    """A qualified lead becomes a deal for its contact (and the contact's company)."""
    lead = Lead.objects.select_for_update().select_related("contact").get(pk=lead.pk)
    _check_transition(lead, LeadStatus.CONVERTED, "")
    contact = lead.contact
    deal = deal_create(
        name=deal_name.strip() or f"{contact} — {lead.interest or 'new deal'}"[:255],
        pipeline=pipeline,
        stage=stage,
        company=contact.company,
        primary_contact=contact,
        amount=amount if amount is not None else (lead.estimated_value or 0),
        expected_close_date=expected_close_date,
        owner=lead.owner or actor,
        actor=actor,
        origin=origin,
    )
    lead.converted_deal = deal
    _record_transition(lead, LeadStatus.CONVERTED, reason="", actor=actor, origin=origin)
    publish("lead.converted", lead_id=lead.pk, deal_id=deal.pk)
    return deal


def lead_mark_first_response(*, lead_id: int, at) -> None:
    """The first outbound touch (a call, a text) answers the lead, whatever its status."""
    lead = Lead.objects.filter(pk=lead_id, first_response_at__isnull=True).first()
    if lead is None:
        return
    lead.first_response_at = at
    lead.first_response_seconds = max(0, int((at - lead.created_at).total_seconds()))
    lead.save(update_fields=["first_response_at", "first_response_seconds", "updated_at"])


@transaction.atomic
def lead_delete(*, lead: Lead, actor=None, origin: str = "ui") -> None:
    lead_id = audited_delete(instance=lead, entity_type="lead", actor=actor, source=origin)
    publish("lead.deleted", lead_id=lead_id)


# --- saved views of the leads list (per user) ------------------------------------------------


@transaction.atomic
def lead_saved_view_save(*, user, name: str, query: str) -> LeadSavedView:
    """Create or replace the user's view of that name."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Name the view."})
    if len(name) > 80:
        raise ValidationError({"name": "Keep the name under 80 characters."})
    # Only the filters are kept: the page and any stray parameters are the list's business.
    query = query.lstrip("?")[:2000]
    view, _ = LeadSavedView.objects.update_or_create(
        user=user, name=name, defaults={"query": query}
    )
    return view


def lead_saved_view_delete(*, view: LeadSavedView) -> None:
    view.delete()


def lead_current_scores_store(
    *, scores: list[tuple[int, int, str, str]], at: datetime | None = None
) -> int:
    """Write (lead_id, score 0-100, temperature, model label) as the leads' current score, in
    one statement. Not audited and publishes nothing on purpose: scoring reacts to lead events,
    so announcing this write would rescore forever. Leads whose current score is already that
    are not rewritten (every rewrite touches all of the lead's indexes, and a nightly rescoring
    changes few). `at` (default now) is recorded as the changed leads' `score_changed_at`.
    Returns the rows that changed."""
    if not scores:
        return 0
    # One JSON document: adapting four parallel arrays cost more than the UPDATE itself.
    document = json.dumps(
        [{"id": int(i), "score": int(v), "temperature": t, "label": lb} for i, v, t, lb in scores]
    )
    table = Lead._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {table} AS lead
               SET score = s.score, temperature = s.temperature, score_label = s.label,
                   score_changed_at = %s
              FROM jsonb_to_recordset(%s::jsonb)
                   AS s(id bigint, score smallint, temperature text, label text)
             WHERE lead.id = s.id
               AND (lead.score, lead.temperature, lead.score_label)
                   IS DISTINCT FROM (s.score, s.temperature, s.label)
            """,
            [at or timezone.now(), document],
        )
        return cursor.rowcount
