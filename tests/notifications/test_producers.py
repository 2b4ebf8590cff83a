"""Events that become notifications: a lead assigned, a task coming due, an import finished."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from crm.activities.services import task_create, task_update
from crm.leads.services import lead_update
from crm.notifications.due import tasks_due_notify
from crm.notifications.models import Notification
from crm.notifications.producers import on_import_completed
from crm.notifications.tasks import platform_tasks_due

pytestmark = pytest.mark.django_db


def test_assigning_a_lead_notifies_the_new_owner(
    alpha, people, make_lead, pushed, django_capture_on_commit_callbacks
):
    rep, boss = people["rep"], people["manager"]
    lead = make_lead(alpha, owner=boss, first_name="Grace")
    with schema_context(alpha.schema):
        with django_capture_on_commit_callbacks(execute=True):
            lead_update(lead=lead, changes={"owner": rep}, actor=boss)
        notification = Notification.objects.get(recipient=rep)
    assert notification.kind == "lead.assigned"
    assert "Grace" in notification.title
    assert notification.url == f"/leads/{lead.pk}/"
    assert [p["id"] for p in pushed] == [notification.pk]


def test_assigning_a_lead_to_yourself_notifies_nobody(
    alpha, people, make_lead, pushed, django_capture_on_commit_callbacks
):
    boss = people["manager"]
    lead = make_lead(alpha, owner=None)
    with schema_context(alpha.schema):
        with django_capture_on_commit_callbacks(execute=True):
            lead_update(lead=lead, changes={"owner": boss}, actor=boss)
        assert not Notification.objects.exists()
    assert pushed == []


def _task(alpha, rep, *, minutes: int, done: bool = False, title: str = "Call Ada"):
    with schema_context(alpha.schema):
        task = task_create(
            title=title, assignee=rep, due_at=timezone.now() + timedelta(minutes=minutes)
        )
        if done:
            task.done = True
            task.save(update_fields=["done"])
        return task


def test_task_due_soon_is_notified_once(alpha, people, pushed):
    rep = people["rep"]
    soon = _task(alpha, rep, minutes=10)
    _task(alpha, rep, minutes=40, title="later")
    _task(alpha, rep, minutes=5, done=True, title="done")
    with schema_context(alpha.schema):
        assert tasks_due_notify() == 1
        assert tasks_due_notify() == 0  # the second sweep finds it already notified
        rows = list(Notification.objects.filter(kind="task.due"))
    assert len(rows) == 1
    assert rows[0].object_id == soon.pk and rows[0].recipient_id == rep.pk
    assert "Call Ada" in rows[0].title


def test_a_task_reassigned_after_its_reminder_reminds_the_new_assignee(alpha, people, pushed):
    rep, boss = people["rep"], people["manager"]
    task = _task(alpha, rep, minutes=10)
    with schema_context(alpha.schema):
        assert tasks_due_notify() == 1
        task_update(task=task, changes={"assignee": boss}, actor=boss)
        assert tasks_due_notify() == 1
        assert tasks_due_notify() == 0
        rows = list(
            Notification.objects.filter(kind="task.due").values_list("recipient_id", flat=True)
        )
    assert sorted(rows) == sorted([rep.pk, boss.pk])


def test_platform_sweep_fans_out_to_workspaces(alpha, beta, people, pushed, eager_celery):
    rep = people["rep"]
    beta_rep = beta.make_user(email="notif.rep@beta.test")
    _task(alpha, rep, minutes=3)
    _task(beta, beta_rep, minutes=3, title="beta's task")
    assert platform_tasks_due.delay().get() >= 2
    platform_tasks_due.delay().get()  # beat fires again a minute later: nothing new
    with schema_context(alpha.schema):
        assert [n.title for n in Notification.objects.all()] == ["Task due in 3 min: Call Ada"]
    with schema_context(beta.schema):
        assert [n.recipient_id for n in Notification.objects.all()] == [beta_rep.pk]


def test_import_completed_notifies_the_importer_once(alpha, people, pushed):
    from crm.imports.models import ImportJob

    rep = people["rep"]
    with schema_context(alpha.schema):
        job = ImportJob.objects.create(
            file_name="leads.csv", sha256="0" * 64, content=b"", encoding="utf-8",
            delimiter=",", created_by=rep, status=ImportJob.Status.COMPLETED,
        )  # fmt: skip
        on_import_completed(event="import.completed", job_id=job.pk, target=job.target)
        on_import_completed(event="import.completed", job_id=job.pk, target=job.target)
        rows = list(Notification.objects.filter(kind="import.completed"))
    assert len(rows) == 1 and rows[0].recipient_id == rep.pk
    assert "leads.csv" in rows[0].title
