"""Domain events that become notifications. Registered in NotificationsConfig.ready(); they
run after the announcing transaction commits, inside the workspace's schema (crm.events)."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse

from crm import events

from .models import Notification
from .services import notification_send


def on_lead_assigned(*, event: str, lead_id: int, owner_id: int | None, actor_id: int | None,
                     **_: object) -> None:  # fmt: skip
    # Unassigning notifies nobody; assigning a lead to yourself is not news to you.
    if owner_id is None or owner_id == actor_id:
        return
    from crm.leads.selectors import lead_get_for_ui

    lead = lead_get_for_ui(lead_id=lead_id)
    if lead is None:
        return
    notification_send(
        user_id=owner_id,
        kind=Notification.Kind.LEAD_ASSIGNED,
        title=f"Lead assigned to you: {lead.contact}",
        body=f"Source: {lead.source}" if lead.source else "",
        url=reverse("leads:detail", args=[lead.pk]),
        payload={"lead_id": lead.pk, "actor_id": actor_id},
        object_id=lead.pk,
    )


def on_import_completed(*, event: str, job_id: int, **_: object) -> None:
    from crm.imports.selectors import import_job_get

    job = import_job_get(job_id=job_id)
    if job is None or not job.created_by_id:
        return
    notification_send(
        user_id=job.created_by_id,
        kind=Notification.Kind.IMPORT_COMPLETED,
        title=f"Import finished: {job.file_name}",
        body=(
            f"{job.created_count} created, {job.updated_count} updated, "
            f"{job.skipped_count} skipped, {job.error_count} with errors"
        ),
        url=_import_url(job.pk),
        payload={"job_id": job.pk, "target": job.target, "errors": job.error_count},
        object_id=job.pk,
        dedupe=True,  # a resumed run publishes again; tell the importer once
    )


def _import_url(job_id: int) -> str:
    # The wizard's page, when the wizard is installed under that name.
    for name in ("imports:progress", "imports:detail"):
        try:
            return reverse(name, args=[job_id])
        except NoReverseMatch:
            continue
    return ""


def register() -> None:
    events.subscribe("lead.assigned", on_lead_assigned)
    events.subscribe("import.completed", on_import_completed)
