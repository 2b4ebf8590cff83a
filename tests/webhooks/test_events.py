"""Domain events become deliveries after commit, one per matching subscription, built from the
database, and only in the workspace that published them."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from django_tenants.utils import schema_context

from crm.contacts.services import contact_create, contact_update
from crm.deals.models import Stage
from crm.deals.services import deal_create, deal_move_stage
from crm.leads.services import lead_create, lead_transition, lead_update
from crm.webhooks import tasks
from crm.webhooks.models import DeliveryStatus, WebhookDelivery

from .conftest import REAL_DISPATCH


def _deliveries(ws: Any) -> list[WebhookDelivery]:
    with schema_context(ws.schema):
        return list(WebhookDelivery.objects.select_related("subscription").order_by("id"))


def _new_lead(ws: Any, **fields: Any):
    with schema_context(ws.schema):
        contact = contact_create(first_name="Ann", last_name="Lee", email="ann@example.com")
        return lead_create(contact=contact, source="web", interest="roof", **fields)


def test_a_new_lead_enqueues_one_delivery_per_matching_subscription_after_commit(
    alpha, make_subscription, dispatched, django_capture_on_commit_callbacks
) -> None:
    first = make_subscription(alpha, name="A", events=["lead.created", "deal.won"])
    second = make_subscription(alpha, name="B", events=["lead.created"])
    make_subscription(alpha, name="C", events=["deal.created"])  # other event
    make_subscription(alpha, name="D", events=["lead.created"], is_active=False)

    with django_capture_on_commit_callbacks(execute=True):
        lead = _new_lead(alpha)
        assert _deliveries(alpha) == []  # nothing before the commit

    rows = _deliveries(alpha)
    lead_rows = [r for r in rows if r.event == "lead.created"]
    assert {r.subscription_id for r in lead_rows} == {first.pk, second.pk}
    assert len(lead_rows) == 2 and len({r.event_id for r in lead_rows}) == 1  # one event
    assert all(r.status == DeliveryStatus.PENDING for r in rows)
    assert sorted(dispatched.ids) == sorted(r.pk for r in lead_rows)
    assert {schema for _, schema, _ in dispatched.calls} == {alpha.schema}

    payload = lead_rows[0].payload
    assert payload["event"] == "lead.created" and payload["workspace"] == "alpha"
    assert payload["id"] == str(lead_rows[0].event_id)
    assert payload["data"]["lead"]["id"] == lead.pk
    assert payload["data"]["lead"]["status"] == "new"
    assert payload["data"]["lead"]["interest"] == "roof"


def test_a_rolled_back_write_sends_nothing(
    alpha, make_subscription, dispatched, django_capture_on_commit_callbacks
) -> None:
    make_subscription(alpha)
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        _new_lead(alpha)
        raise RuntimeError("rolled back")
    assert _deliveries(alpha) == [] and dispatched.calls == []


def test_lead_status_and_assignment_events_carry_the_change(
    alpha, make_subscription, django_capture_on_commit_callbacks
) -> None:
    make_subscription(alpha, events=["lead.status_changed", "lead.assigned"])
    rep = alpha.make_user(email="rep@alpha.test")
    lead = _new_lead(alpha)
    with django_capture_on_commit_callbacks(execute=True), schema_context(alpha.schema):
        lead = lead_transition(lead=lead, to_status="contacted")
        lead_update(lead=lead, changes={"owner": rep})
    by_event = {r.event: r.payload for r in _deliveries(alpha)}
    changed = by_event["lead.status_changed"]["data"]
    assert changed["changes"] == {"from_status": "new", "to_status": "contacted"}
    assert changed["lead"]["status"] == "contacted"
    assigned = by_event["lead.assigned"]["data"]
    assert assigned["lead"]["owner"]["email"] == "rep@alpha.test"


def test_deal_events(alpha, make_subscription, django_capture_on_commit_callbacks) -> None:
    make_subscription(alpha, events=["deal.created", "deal.stage_changed", "deal.won"])
    with django_capture_on_commit_callbacks(execute=True), schema_context(alpha.schema):
        deal = deal_create(name="Big roof", amount=1200)
        won = Stage.objects.get(pipeline=deal.pipeline, is_won=True)
        deal_move_stage(deal=deal, stage=won)
    rows = _deliveries(alpha)
    assert [r.event for r in rows] == ["deal.created", "deal.stage_changed", "deal.won"]
    data = rows[-1].payload["data"]["deal"]
    assert data["amount"] == "1200.00" and data["stage"]["is_won"] is True


def test_contact_events(alpha, make_subscription, django_capture_on_commit_callbacks) -> None:
    make_subscription(alpha, events=["contact.created", "contact.updated"])
    with django_capture_on_commit_callbacks(execute=True), schema_context(alpha.schema):
        contact = contact_create(first_name="Bo", email="Bo@Example.com")
        contact_update(contact=contact, changes={"last_name": "Diaz"})
    rows = _deliveries(alpha)
    assert [r.event for r in rows] == ["contact.created", "contact.updated"]
    assert rows[1].payload["data"]["contact"]["last_name"] == "Diaz"
    assert rows[0].payload["data"]["contact"]["email"] == "bo@example.com"


def test_alphas_events_never_reach_betas_subscriptions(
    alpha, beta, make_subscription, dispatched, django_capture_on_commit_callbacks
) -> None:
    alpha_sub = make_subscription(alpha)
    make_subscription(beta)
    with django_capture_on_commit_callbacks(execute=True):
        _new_lead(alpha)
    assert [r.subscription_id for r in _deliveries(alpha)] == [alpha_sub.pk]
    assert _deliveries(beta) == []
    assert {schema for _, schema, _ in dispatched.calls} == {alpha.schema}


def test_end_to_end_through_celery_to_the_partner(
    alpha, make_subscription, transport, monkeypatch, django_capture_on_commit_callbacks,
    eager_celery,
) -> None:  # fmt: skip
    monkeypatch.setattr(tasks, "delivery_dispatch", REAL_DISPATCH)  # really send the task
    make_subscription(alpha)
    with django_capture_on_commit_callbacks(execute=True):
        lead = _new_lead(alpha)
    (request,) = transport.requests
    assert request.headers["X-Lodestar-Event"] == "lead.created"
    (row,) = _deliveries(alpha)
    assert row.status == DeliveryStatus.SUCCEEDED
    assert row.payload["data"]["lead"]["id"] == lead.pk


def _import_leads(ws: Any, content: bytes):
    from crm.imports.services import import_job_create, import_job_run, import_job_start

    with schema_context(ws.schema):
        job = import_job_create(
            file_name="leads.csv", content=content, target="leads",
            mapping={"email": "contact.email", "first": "contact.first_name",
                     "interest": "lead.interest"},
        )  # fmt: skip
        import_job_start(job=job)
        return import_job_run(job_id=job.pk)


def test_an_import_is_announced_once_with_its_counts_not_once_per_row(
    alpha, beta, make_subscription, django_capture_on_commit_callbacks, monkeypatch
) -> None:
    from crm.imports.tasks import import_job_run_task

    monkeypatch.setattr(import_job_run_task, "delay", lambda **_: None)  # the test runs it
    per_row = make_subscription(alpha, name="Rows", events=["lead.created", "contact.created"])
    imports = make_subscription(alpha, name="Imports", events=["import.completed"])
    make_subscription(beta, name="Beta imports", events=["import.completed"])
    content = (b"email,first,interest\nann@example.com,Ann,roof\nbob@example.com,Bob,solar\n"
               b"not-an-email,Cy,roof\n")  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        job = _import_leads(alpha, content)

    rows = _deliveries(alpha)
    assert [(r.event, r.subscription_id) for r in rows] == [("import.completed", imports.pk)]
    assert not any(r.subscription_id == per_row.pk for r in rows)
    data = rows[0].payload["data"]["import"]
    assert data == data | {"id": job.pk, "file_name": "leads.csv", "target": "leads",
                           "status": "completed", "rows": 3, "created": 2, "errors": 1,
                           "url": f"/api/v1/imports/{job.pk}/"}  # fmt: skip
    assert data["finished_at"] and "changes" not in rows[0].payload["data"]
    assert _deliveries(beta) == []  # beta's subscription never hears of alpha's import


def test_a_failed_import_is_not_announced(
    alpha, make_subscription, django_capture_on_commit_callbacks, monkeypatch
) -> None:
    from crm.imports import services as imports
    from crm.imports.tasks import import_job_run_task

    monkeypatch.setattr(import_job_run_task, "delay", lambda **_: None)

    def disk_full(**_: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(imports, "commit_batch", disk_full)
    make_subscription(alpha, events=["import.completed"])
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(OSError):
        _import_leads(alpha, b"email,first,interest\nann@example.com,Ann,roof\n")
    assert _deliveries(alpha) == []
