"""The "task due in 15 minutes" producer, run every minute in each workspace by the sweep."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

from crm.activities.selectors import task_list_open

from .models import Notification
from .services import notification_send

DUE_WINDOW = timedelta(minutes=15)


def tasks_due_notify(*, now: datetime | None = None) -> int:
    """Notify the assignee of every open task due within the window, once per task and
    assignee (the unique (recipient, kind, object_id) row is the "already notified"
    mark). Returns how many were sent."""
    now = now or timezone.now()
    already = Notification.objects.filter(
        kind=Notification.Kind.TASK_DUE,
        dedupe=True,
        object_id=OuterRef("pk"),
        recipient_id=OuterRef("assignee_id"),
    )
    due = (
        task_list_open()
        .filter(assignee__isnull=False, due_at__gt=now, due_at__lte=now + DUE_WINDOW)
        .exclude(Exists(already))
    )
    sent = 0
    for task in due:
        minutes = max(1, round((task.due_at - now).total_seconds() / 60))
        made = notification_send(
            user_id=task.assignee_id,
            kind=Notification.Kind.TASK_DUE,
            title=f"Task due in {minutes} min: {task.title}",
            body=str(task.lead or task.deal or task.contact or ""),
            url=_task_url(task),
            payload={"task_id": task.pk, "due_at": task.due_at.isoformat()},
            object_id=task.pk,
            dedupe=True,
        )
        sent += made is not None
    return sent


def _task_url(task) -> str:
    if task.lead_id:
        return reverse("leads:detail", args=[task.lead_id])
    return "/tasks/"  # the Tasks page, as linked from the main navigation
