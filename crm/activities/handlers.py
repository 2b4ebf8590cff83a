"""Timeline rows for changes made elsewhere: the lower apps announce, the timeline records.
Registered in-transaction so the row exists exactly when the change does."""

from __future__ import annotations

from crm.events import subscribe

from .models import Activity


def _lead_status_changed(
    *,
    event: str,
    lead_id: int,
    from_status: str,
    to_status: str,
    actor_id: int | None = None,
    **_: object,
) -> None:
    from crm.leads.models import Lead

    lead = Lead.objects.only("contact_id").get(pk=lead_id)
    Activity.objects.create(
        kind=Activity.Kind.SYSTEM,
        subject=f"Status: {from_status} → {to_status}",
        lead_id=lead_id,
        contact_id=lead.contact_id,
        actor_id=actor_id,
        occurred_at=_now(),
        metadata={"event": event, "from": from_status, "to": to_status},
    )


def _deal_stage_changed(
    *,
    event: str,
    deal_id: int,
    from_stage_id: int,
    to_stage_id: int,
    actor_id: int | None = None,
    **_: object,
) -> None:
    from crm.deals.models import Deal, Stage

    names = dict(
        Stage.objects.filter(pk__in=[from_stage_id, to_stage_id]).values_list("pk", "name")
    )
    deal = Deal.objects.only("company_id", "primary_contact_id").get(pk=deal_id)
    Activity.objects.create(
        kind=Activity.Kind.SYSTEM,
        subject=f"Stage: {names.get(from_stage_id)} → {names.get(to_stage_id)}",
        deal_id=deal_id,
        company_id=deal.company_id,
        contact_id=deal.primary_contact_id,
        actor_id=actor_id,
        occurred_at=_now(),
        metadata={"event": event, "from": from_stage_id, "to": to_stage_id},
    )


def _now():
    from django.utils import timezone

    return timezone.now()


def register() -> None:
    subscribe("lead.status_changed", _lead_status_changed, in_transaction=True)
    subscribe("deal.stage_changed", _deal_stage_changed, in_transaction=True)
