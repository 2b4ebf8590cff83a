"""The Tasks page: mine vs the team's, complete/reopen, permissions, CSRF, isolation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from crm.activities.models import Task
from crm.activities.services import task_create
from crm.team.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(alpha):
    return {
        "rep": alpha.make_user(email="t-rep@alpha.test", role=Role.REP),
        "other": alpha.make_user(email="t-other@alpha.test", role=Role.REP),
        "manager": alpha.make_user(email="t-boss@alpha.test", role=Role.MANAGER),
    }


def _task(ws, assignee, title: str, **fields) -> Task:
    with schema_context(ws.schema):
        return task_create(title=title, assignee=assignee, actor=assignee, **fields)


def test_mine_by_default_and_overdue_highlighted(alpha, people):
    _task(alpha, people["rep"], "Call Ada", due_at=timezone.now() - timedelta(hours=1))
    _task(alpha, people["other"], "Someone else's")
    body = alpha.logged_in_client(people["rep"]).get("/tasks/").content.decode()
    assert "Call Ada" in body and "Someone else" not in body
    assert "overdue" in body and "Overdue" in body


def test_team_view_for_managers_only(alpha, people):
    _task(alpha, people["rep"], "Rep task")
    _task(alpha, people["other"], "Other task")
    boss = alpha.logged_in_client(people["manager"])
    body = boss.get("/tasks/", {"scope": "team"}).content.decode()
    assert "Rep task" in body and "Other task" in body
    body = boss.get("/tasks/", {"scope": "team", "assignee": people["other"].pk}).content.decode()
    assert "Other task" in body and "Rep task" not in body
    rep_body = alpha.logged_in_client(people["rep"]).get("/tasks/", {"scope": "team"})
    assert "Other task" not in rep_body.content.decode()  # reps only ever see their own


def test_complete_and_reopen_with_htmx(alpha, people):
    task = _task(alpha, people["rep"], "Tick me")
    client = alpha.logged_in_client(people["rep"])
    response = client.post(f"/tasks/{task.pk}/complete/", headers={"HX-Request": "true"})
    assert response.status_code == 200 and "Reopen" in response.content.decode()
    with schema_context(alpha.schema):
        assert Task.objects.get(pk=task.pk).done
    response = client.post(f"/tasks/{task.pk}/reopen/")
    assert response.status_code == 302
    with schema_context(alpha.schema):
        assert not Task.objects.get(pk=task.pk).done


def test_rep_cannot_complete_anothers_task_but_manager_can(alpha, people):
    task = _task(alpha, people["other"], "Not yours")
    response = alpha.logged_in_client(people["rep"]).post(f"/tasks/{task.pk}/complete/")
    assert response.status_code == 403
    with schema_context(alpha.schema):
        assert not Task.objects.get(pk=task.pk).done
    response = alpha.logged_in_client(people["manager"]).post(f"/tasks/{task.pk}/complete/")
    assert response.status_code == 302
    with schema_context(alpha.schema):
        assert Task.objects.get(pk=task.pk).done


def test_quick_task(alpha, people):
    client = alpha.logged_in_client(people["rep"])
    response = client.post(
        "/tasks/new/", {"title": "Send quote", "due_at": "2030-01-02T10:30", "assignee": "1"}
    )
    assert response.status_code == 302
    with schema_context(alpha.schema):
        task = Task.objects.get(title="Send quote")
        assert task.assignee_id == people["rep"].pk  # a rep's assignee choice is ignored
        assert task.due_at is not None
    assert client.post("/tasks/new/", {"title": "  "}).status_code == 422
    assert client.post("/tasks/new/", {"title": "x", "due_at": "soon"}).status_code == 422


def test_manager_assigns_a_quick_task(alpha, people):
    client = alpha.logged_in_client(people["manager"])
    client.post("/tasks/new/", {"title": "For the rep", "assignee": str(people["rep"].pk)})
    with schema_context(alpha.schema):
        assert Task.objects.get(title="For the rep").assignee_id == people["rep"].pk


def test_csrf_is_enforced(alpha, people):
    task = _task(alpha, people["rep"], "Guarded")
    client = Client(HTTP_HOST=alpha.host, enforce_csrf_checks=True)
    with schema_context(alpha.schema):
        client.force_login(people["rep"])
    assert client.post(f"/tasks/{task.pk}/complete/").status_code == 403
    assert client.post("/tasks/new/", {"title": "Sneaky"}).status_code == 403
    with schema_context(alpha.schema):
        assert not Task.objects.get(pk=task.pk).done
        assert not Task.objects.filter(title="Sneaky").exists()


def test_other_workspaces_tasks_are_404(alpha, beta, people):
    beta_owner = beta.make_user(email="t-b@beta.test", role=Role.MANAGER)
    theirs = _task(beta, beta_owner, "Beta secret")
    client = alpha.logged_in_client(people["manager"])
    with schema_context(alpha.schema):
        Task.objects.filter(pk=theirs.pk).delete()  # make sure the id is free in alpha
    assert client.post(f"/tasks/{theirs.pk}/complete/").status_code == 404
    assert "Beta secret" not in client.get("/tasks/", {"scope": "team"}).content.decode()
    with schema_context(beta.schema):
        assert not Task.objects.get(pk=theirs.pk).done


def test_login_required(alpha):
    assert alpha.client().get("/tasks/").status_code == 302
