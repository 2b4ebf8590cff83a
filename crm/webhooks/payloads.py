"""The JSON a partner receives, built from the database when the event happens (domain events
carry ids only). Stored on the delivery row, so a retry sends exactly what was first sent."""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from .events import EVENT_SUBJECTS


def _plain(data: dict[str, Any]) -> dict[str, Any]:
    # Decimals become strings, datetimes ISO 8601: what the JSON column and partners expect.
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def lead_data(lead_id: int) -> dict[str, Any] | None:
    from crm.leads.models import Lead

    lead = Lead.objects.filter(pk=lead_id).select_related("owner").first()
    if lead is None:
        return None
    return {
        "id": lead.pk,
        "status": lead.status,
        "contact_id": lead.contact_id,
        "source": lead.source,
        "campaign": lead.campaign,
        "interest": lead.interest,
        "estimated_value": lead.estimated_value,
        "lost_reason": lead.lost_reason,
        "owner": _user(lead.owner),
        "converted_deal_id": lead.converted_deal_id,
        "attribution": lead.attribution,
        "custom": lead.custom,
        "status_changed_at": lead.status_changed_at,
        "created_at": lead.created_at,
        "updated_at": lead.updated_at,
    }


def deal_data(deal_id: int) -> dict[str, Any] | None:
    from crm.deals.models import Deal

    deal = Deal.objects.filter(pk=deal_id).select_related("pipeline", "stage", "owner").first()
    if deal is None:
        return None
    return {
        "id": deal.pk,
        "name": deal.name,
        "amount": deal.amount,
        "currency": deal.currency,
        "pipeline": {"id": deal.pipeline_id, "name": deal.pipeline.name},
        "stage": {
            "id": deal.stage_id,
            "name": deal.stage.name,
            "probability": deal.stage.probability,
            "is_won": deal.stage.is_won,
            "is_lost": deal.stage.is_lost,
        },
        "company_id": deal.company_id,
        "primary_contact_id": deal.primary_contact_id,
        "owner": _user(deal.owner),
        "expected_close_date": deal.expected_close_date,
        "lost_reason": deal.lost_reason,
        "closed_at": deal.closed_at,
        "custom": deal.custom,
        "created_at": deal.created_at,
        "updated_at": deal.updated_at,
    }


def contact_data(contact_id: int) -> dict[str, Any] | None:
    from crm.contacts.models import Contact

    contact = Contact.objects.filter(pk=contact_id).select_related("owner").first()
    if contact is None:
        return None
    return {
        "id": contact.pk,
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "email": contact.email,
        "phone": contact.phone,
        "company_id": contact.company_id,
        "city": contact.city,
        "region": contact.region,
        "country": contact.country,
        "timezone": contact.timezone,
        "lifecycle_stage": contact.lifecycle_stage,
        "source": contact.source,
        "tags": contact.tags,
        "owner": _user(contact.owner),
        "custom": contact.custom,
        "created_at": contact.created_at,
        "updated_at": contact.updated_at,
    }


def import_data(job_id: int) -> dict[str, Any] | None:
    from crm.imports.models import ImportJob

    job = ImportJob.objects.filter(pk=job_id).defer("content").first()
    if job is None:
        return None
    return {
        "id": job.pk,
        "file_name": job.file_name,
        "target": job.target,
        "status": job.status,
        "rows": job.total_rows,
        "created": job.created_count,
        "updated": job.updated_count,
        "skipped": job.skipped_count,
        "errors": job.error_count,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "url": f"/api/v1/imports/{job.pk}/",  # the job, and its error report, through the API
    }


def _user(user) -> dict[str, Any] | None:
    return None if user is None else {"id": user.pk, "email": user.email, "name": str(user)}


_BUILDERS = {"lead": lead_data, "deal": deal_data, "contact": contact_data, "import": import_data}


def event_payload(
    *, event: str, event_id: uuid.UUID, workspace: str, payload: dict[str, Any]
) -> dict[str, Any] | None:
    """The envelope for a published domain event, or None if its record is already gone."""
    key, kind = EVENT_SUBJECTS[event]
    record = _BUILDERS[kind](payload[key])
    if record is None:
        return None
    # What changed, as the publisher told it (from/to status or stage, new owner), minus ids
    # and fields that are already in the record.
    changes = {k: v for k, v in payload.items() if k not in (key, "actor_id") and k not in record}
    return _plain(
        {
            "id": str(event_id),
            "event": event,
            "created_at": timezone.now(),
            "workspace": workspace,
            "data": {kind: record, **({"changes": changes} if changes else {})},
        }
    )


def test_payload(*, event_id: uuid.UUID, workspace: str, subscription_id: int) -> dict[str, Any]:
    return _plain(
        {
            "id": str(event_id),
            "event": "webhook.test",
            "created_at": timezone.now(),
            "workspace": workspace,
            "data": {"subscription_id": subscription_id, "message": "Test event from Lodestar"},
        }
    )


def body_bytes(payload: dict[str, Any]) -> bytes:
    """The exact bytes sent and signed (compact, keys sorted: stable across retries)."""
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
