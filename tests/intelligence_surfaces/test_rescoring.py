"""Rescoring on domain events: coalesced into one task, after commit only, resolved to the
right leads, and never a loop; the "turned hot" notification goes to the owner, once."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django_tenants.utils import schema_context

from crm import events
from crm.activities.services import activity_log, task_create
from crm.contacts.models import Company
from crm.contacts.services import contact_update
from crm.leads.models import Lead, LeadStatus
from crm.leads.services import lead_transition, lead_update
from crm.notifications.models import Notification
from crm.tenancy.celery import SCHEMA_HEADER
from crm.tenancy.heartbeat import redis_client
from intelligence import handlers, rescoring
from intelligence.models import LeadScore
from intelligence.selectors import lead_ids_for_refs
from intelligence.tasks import rescore_pending

from .conftest import make_hot, make_lead


def _pending(schema: str) -> set[str]:
    key = f"{settings.REDIS_PREFIX}:intelligence:rescore:{schema}"
    return {m.decode() for m in redis_client().smembers(key)}


def test_a_bulk_of_lead_edits_queues_one_rescoring(
    alpha, people, sent, django_capture_on_commit_callbacks
):
    leads = [make_lead(alpha, owner=people["rep"]) for _ in range(5)]
    with schema_context(alpha.schema):
        with django_capture_on_commit_callbacks(execute=True):
            for lead in leads:
                lead_update(lead=lead, changes={"campaign": "spring"}, actor=people["rep"])
        # a second commit while the first task is still on its way adds to the same batch
        with django_capture_on_commit_callbacks(execute=True):
            activity_log(kind="note", body="hi", lead=leads[0], actor=people["rep"])
    assert len(sent["rescore"]) == 1
    assert sent["rescore"][0] == (alpha.schema, None)  # the ids wait in the pending set
    assert _pending(alpha.schema) == {f"lead:{lead.pk}" for lead in leads}

    result = rescore_pending.apply(headers={SCHEMA_HEADER: alpha.schema})
    assert result.get() == 5
    with schema_context(alpha.schema):
        assert set(LeadScore.objects.values_list("lead_id", flat=True)) == {x.pk for x in leads}
    assert _pending(alpha.schema) == set()
    # the queued marker is gone too: the next change queues a new task
    with schema_context(alpha.schema), django_capture_on_commit_callbacks(execute=True):
        lead_update(lead=leads[1], changes={"campaign": "summer"}, actor=people["rep"])
    assert len(sent["rescore"]) == 2


def test_a_rolled_back_write_queues_nothing(
    alpha, people, sent, django_capture_on_commit_callbacks
):
    lead = make_lead(alpha, owner=people["rep"])
    with schema_context(alpha.schema), django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                lead_update(lead=lead, changes={"campaign": "x"}, actor=people["rep"])
                raise RuntimeError("undo")
        except RuntimeError:
            pass
    assert sent["rescore"] == []
    assert _pending(alpha.schema) == set()


def test_events_resolve_to_the_leads_they_change(alpha, people):
    with schema_context(alpha.schema):
        company = Company.objects.create(name="Acme")
    lead = make_lead(alpha, owner=people["rep"])
    other = make_lead(alpha, owner=people["rep"])
    closed = make_lead(alpha, owner=people["rep"])
    with schema_context(alpha.schema):
        Lead.objects.filter(pk__in=[lead.pk, closed.pk]).update(contact=lead.contact)
        lead.contact.company = company
        lead.contact.save(update_fields=["company"])
        lead_transition(
            lead=Lead.objects.get(pk=closed.pk), to_status=LeadStatus.LOST, reason="no budget"
        )
        task = task_create(title="call back", lead=other, actor=people["rep"])
        loose = activity_log(
            kind="note", body="no lead", contact=other.contact, actor=people["rep"]
        )
        assert lead_ids_for_refs(refs={"task": [task.pk]}) == [other.pk]
        assert lead_ids_for_refs(refs={"activity": [loose.pk]}) == []
        # a contact's or company's change rescores its open leads, not the closed one
        assert lead_ids_for_refs(refs={"contact": [lead.contact_id]}) == [lead.pk]
        assert lead_ids_for_refs(refs={"company": [company.pk]}) == [lead.pk]
        assert lead_ids_for_refs(refs={"lead": [closed.pk]}) == [closed.pk]


def test_contact_and_task_events_are_noted(alpha, people, sent, django_capture_on_commit_callbacks):
    lead = make_lead(alpha, owner=people["rep"])
    with schema_context(alpha.schema), django_capture_on_commit_callbacks(execute=True):
        contact_update(contact=lead.contact, changes={"last_name": "Lovelace"})
        task_create(title="call back", lead=lead, actor=people["rep"])
    members = _pending(alpha.schema)
    assert f"contact:{lead.contact_id}" in members
    assert any(m.startswith("task:") for m in members)


def test_rescoring_publishes_nothing_so_it_cannot_loop(alpha, people, sent):
    heard: list[str] = []

    def record(*, event: str, **_):
        heard.append(event)

    names = list(handlers.HANDLERS)
    for name in names:
        events.subscribe(name, record, in_transaction=True)
    try:
        lead = make_lead(alpha, owner=people["rep"])
        heard.clear()
        handlers.REFS.clear()
        with schema_context(alpha.schema):
            make_hot(lead)
            rescoring.lead_rescore(lead_ids=[lead.pk])
            rescoring.rescore_refs(refs={"lead": [lead.pk]})
    finally:
        for name in names:
            events.unsubscribe(name, record)
    assert heard == []
    assert handlers.REFS.noted() == {}
    assert sent["rescore"] == []


def test_eager_end_to_end_an_activity_rescores_its_lead(
    alpha, people, django_capture_on_commit_callbacks
):
    from config.celery import app

    lead = make_lead(alpha, owner=people["rep"])
    saved = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    try:
        with schema_context(alpha.schema), django_capture_on_commit_callbacks(execute=True):
            activity_log(kind="call", direction="outbound", lead=lead, actor=people["rep"])
    finally:
        app.conf.task_always_eager, app.conf.task_eager_propagates = saved
    with schema_context(alpha.schema):
        assert LeadScore.objects.filter(lead=lead).count() == 1
        assert any("phone" in f["label"].lower() for f in LeadScore.objects.get(lead=lead).factors)


# --- turned hot ----------------------------------------------------------------------------


def _hot_notes(ws) -> list[Notification]:
    with schema_context(ws.schema):
        return list(Notification.objects.filter(kind=rescoring.HOT_NOTIFICATION_KIND))


def test_turning_hot_notifies_the_owner_only_and_once(alpha, people):
    lead = make_lead(alpha, owner=people["rep"])
    with schema_context(alpha.schema):
        make_hot(lead)
        scores = rescoring.lead_rescore(lead_ids=[lead.pk])
        assert scores[0].temperature == "hot"
    notes = _hot_notes(alpha)
    assert [n.recipient_id for n in notes] == [people["rep"].pk]
    assert notes[0].url == f"/leads/{lead.pk}/"
    assert str(scores[0].score) in notes[0].title
    with schema_context(alpha.schema):
        Lead.objects.filter(pk=lead.pk).update(temperature="hot")
        rescoring.lead_rescore(lead_ids=[lead.pk])  # still hot: not news
        # bouncing below the threshold and back within the cooldown: not news either
        Lead.objects.filter(pk=lead.pk).update(temperature="warm")
        rescoring.lead_rescore(lead_ids=[lead.pk])
    assert len(_hot_notes(alpha)) == 1


def test_no_notification_without_an_owner_or_for_a_closed_lead(alpha, people):
    orphan = make_lead(alpha)
    closed = make_lead(alpha, owner=people["rep"])
    with schema_context(alpha.schema):
        make_hot(orphan)
        make_hot(closed)
        Lead.objects.filter(pk=closed.pk).update(status=LeadStatus.LOST)
        rescoring.lead_rescore(lead_ids=[orphan.pk, closed.pk])
    assert _hot_notes(alpha) == []


def test_a_cold_lead_notifies_nobody(alpha, people):
    lead = make_lead(alpha, owner=people["rep"])
    with schema_context(alpha.schema):
        assert rescoring.lead_rescore(lead_ids=[lead.pk])[0].temperature != "hot"
    assert _hot_notes(alpha) == []


def test_rescoring_stays_in_its_workspace(alpha, beta, people):
    lead = make_lead(alpha, owner=people["rep"])
    with schema_context(alpha.schema):
        make_hot(lead)
    with schema_context(beta.schema):
        # alpha's id means nothing in beta: nothing scored, nobody notified
        assert rescoring.lead_rescore(lead_ids=[lead.pk]) == []
        assert not LeadScore.objects.exists()
    assert _hot_notes(beta) == []
    with schema_context(alpha.schema):
        assert not LeadScore.objects.exists()
