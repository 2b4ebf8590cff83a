"""Writes for the timeline (activities) and tasks."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from crm.audit.services import audit_changes, audited_delete, snapshot
from crm.errors import Conflict, model_full_clean
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


def activity_sentiment_store(*, activity_id: int, sentiment: float | None) -> bool:
    """Record an activity's sentiment (-1..1, or None to clear it). One UPDATE that announces
    nothing: the language app calls it from its activity handlers, and an event here would
    make it analyse the activity again. False if the activity no longer exists."""
    if sentiment is not None and not -1.0 <= sentiment <= 1.0:
        raise ValidationError({"sentiment": "Sentiment is between -1 and 1."})
    return Activity.objects.filter(pk=activity_id).update(sentiment=sentiment) == 1


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


# --- changing and removing activities and tasks --------------------------------------------
# Audited (entity "activity" / "task") with the actor and where the change came from.

LINK_FIELDS = ("contact", "lead", "deal", "company")
ACTIVITY_EDITABLE_FIELDS = ("subject", "body", "occurred_at", "duration_seconds")
TASK_FIELDS = ("title", "notes", "due_at", "assignee", "priority", *LINK_FIELDS)


def _refuse_system(activity: Activity, verb: str) -> None:
    if activity.kind == Activity.Kind.SYSTEM:
        raise Conflict(
            {
                "kind": "System activities record what happened to the record (a status or "
                f"stage change) and cannot be {verb}."
            }
        )


@transaction.atomic
def activity_update(
    *, activity: Activity, changes: dict[str, Any], actor=None, origin: str = "ui"
) -> Activity:
    """Correct a logged activity's subject, body, time or duration. System activities are
    history and never change (Conflict); kind, direction and links stay as logged."""
    unknown = sorted(set(changes) - set(ACTIVITY_EDITABLE_FIELDS))
    if unknown:
        raise ValidationError(
            {n: "This field cannot be changed; log a new activity instead." for n in unknown}
        )
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    _refuse_system(activity, "changed")
    before = snapshot(activity, ACTIVITY_EDITABLE_FIELDS)
    if "subject" in changes:
        activity.subject = (changes["subject"] or "").strip()
    if "body" in changes:
        activity.body = changes["body"] or ""
    if "occurred_at" in changes:
        if changes["occurred_at"] is None:
            raise ValidationError({"occurred_at": "Say when it happened."})
        activity.occurred_at = changes["occurred_at"]
    if "duration_seconds" in changes:
        activity.duration_seconds = changes["duration_seconds"]
    if activity.kind == Activity.Kind.NOTE and not activity.body.strip():
        raise ValidationError({"body": "A note needs some text."})
    model_full_clean(activity)
    activity.save()
    audit_changes(
        entity_type="activity",
        entity_id=activity.pk,
        before=before,
        after=snapshot(activity, ACTIVITY_EDITABLE_FIELDS),
        actor=actor,
        source=origin,
    )
    publish("activity.updated", activity_id=activity.pk)
    return activity


@transaction.atomic
def activity_delete(*, activity: Activity, actor=None, origin: str = "ui") -> None:
    """Remove an activity logged by mistake; system activities stay (Conflict)."""
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    _refuse_system(activity, "deleted")
    activity_id = audited_delete(
        instance=activity, entity_type="activity", actor=actor, source=origin
    )
    publish("activity.deleted", activity_id=activity_id)


@transaction.atomic
def task_update(*, task: Task, changes: dict[str, Any], actor=None, origin: str = "ui") -> Task:
    """Change a task's title, notes, due time, assignee, priority or what it is about.
    Done / not done goes through task_complete."""
    unknown = sorted(set(changes) - set(TASK_FIELDS))
    if unknown:
        hint = {"done": "Complete a task with task_complete."}
        raise ValidationError({n: hint.get(n, "This field cannot be set here.") for n in unknown})
    task = Task.objects.select_for_update().get(pk=task.pk)
    before = snapshot(task, TASK_FIELDS)
    for name, value in changes.items():
        setattr(task, name, value)
    task.title = (task.title or "").strip()
    if not task.title:
        raise ValidationError({"title": "Give the task a title."})
    if task.priority not in Task.Priority.values:
        raise ValidationError({"priority": "Priority is 1 (low) to 4 (urgent)."})
    task.notes = task.notes or ""
    model_full_clean(task)
    task.save()
    after = snapshot(task, TASK_FIELDS)
    audit_changes(
        entity_type="task",
        entity_id=task.pk,
        before=before,
        after=after,
        actor=actor,
        source=origin,
    )
    publish("task.updated", task_id=task.pk, assignee_id=task.assignee_id)
    return task


@transaction.atomic
def task_delete(*, task: Task, actor=None, origin: str = "ui") -> None:
    task_id = audited_delete(instance=task, entity_type="task", actor=actor, source=origin)
    publish("task.deleted", task_id=task_id)
