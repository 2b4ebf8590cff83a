"""Writes for the timeline (activities) and tasks."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from crm.events import publish
from crm.leads.services import lead_mark_first_response

from .models import Activity, Task

ENGAGEMENT_KINDS = frozenset({"call", "email", "sms", "messenger", "chat", "meeting"})


def _links(contact=None, lead=None, deal=None, company=None) -> dict:
    links = {"contact": contact, "lead": lead, "deal": deal, "company": company}
    if not any(links.values()):
        raise ValidationError("Link it to a contact, lead, deal or company.")
    # A lead's contact and a deal's company are implied; filling them keeps timelines complete.
    if lead is not None and contact is None:
        links["contact"] = lead.contact
    if deal is not None and company is None and deal.company_id:
        links["company_id"] = deal.company_id
        links.pop("company")
    return links


@transaction.atomic
def activity_log(
    *,
    kind: str,
    direction: str = Activity.Direction.INTERNAL,
    subject: str = "",
    body: str = "",
    contact=None,
    lead=None,
    deal=None,
    company=None,
    actor=None,
    occurred_at=None,
    duration_seconds: int | None = None,
    metadata: dict | None = None,
) -> Activity:
    if kind not in Activity.Kind.values:
        raise ValidationError({"kind": f'Unknown activity kind "{kind}".'})
    if direction not in Activity.Direction.values:
        raise ValidationError({"direction": f'Unknown direction "{direction}".'})
    if kind == Activity.Kind.NOTE and not body.strip():
        raise ValidationError({"body": "A note needs some text."})
    activity = Activity.objects.create(
        kind=kind,
        direction=direction,
        subject=subject.strip()[:255],
        body=body,
        actor=actor,
        occurred_at=occurred_at or timezone.now(),
        duration_seconds=duration_seconds,
        metadata=metadata or {},
        **_links(contact, lead, deal, company),
    )
    if activity.lead_id and direction == Activity.Direction.OUTBOUND and kind in ENGAGEMENT_KINDS:
        lead_mark_first_response(lead_id=activity.lead_id, at=activity.occurred_at)
    publish(
        "activity.logged",
        activity_id=activity.pk,
        lead_id=activity.lead_id,
        contact_id=activity.contact_id,
        deal_id=activity.deal_id,
    )
    return activity


@transaction.atomic
def task_create(
    *,
    title: str,
    assignee=None,
    due_at=None,
    priority: int = Task.Priority.NORMAL,
    notes: str = "",
    contact=None,
    lead=None,
    deal=None,
    company=None,
    actor=None,
) -> Task:
    if not title.strip():
        raise ValidationError({"title": "Give the task a title."})
    if priority not in Task.Priority.values:
        raise ValidationError({"priority": "Priority is 1 (low) to 4 (urgent)."})
    task = Task.objects.create(
        title=title.strip(),
        assignee=assignee or actor,
        due_at=due_at,
        priority=priority,
        notes=notes,
        contact=contact,
        lead=lead,
        deal=deal,
        company=company,
        created_by=actor,
    )
    publish("task.created", task_id=task.pk, assignee_id=task.assignee_id)
    return task


@transaction.atomic
def task_complete(*, task: Task, actor=None, done: bool = True) -> Task:
    task.done = done
    task.completed_at = timezone.now() if done else None
    task.save(update_fields=["done", "completed_at"])
    if done:
        publish("task.completed", task_id=task.pk, actor_id=getattr(actor, "pk", None))
    return task
