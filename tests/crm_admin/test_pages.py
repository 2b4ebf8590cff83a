"""Every CRM admin page loads for a manager, with flat query counts; reps are kept out."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from crm.activities.services import activity_log, task_create
from crm.contacts.services import company_create, consent_record, contact_create, dnc_add
from crm.customfields.services import custom_field_define
from crm.deals.models import DealStageChange, Pipeline
from crm.deals.services import deal_create
from crm.leads.models import LeadStatusChange
from crm.leads.services import lead_create, lead_transition

MODELS = [
    "contacts/company",
    "contacts/contact",
    "contacts/consentrecord",
    "contacts/donotcontact",
    "customfields/customfielddefinition",
    "deals/pipeline",
    "deals/deal",
    "deals/dealstagechange",
    "leads/lead",
    "leads/leadstatuschange",
    "activities/activity",
    "activities/task",
    "audit/auditevent",
]


@pytest.fixture
def records(alpha, manager) -> dict[str, int]:
    """One of everything, returning each model's id for its change page."""
    with schema_context(alpha.schema):
        company = company_create(name="Acme", actor=manager)
        contact = contact_create(first_name="Ana", email="ana@example.com", company=company)
        consent = consent_record(
            contact=contact, channel="sms", granted=True, source="form", wording="ok"
        )
        dnc = dnc_add(value="+15125550177")
        field = custom_field_define(entity="contact", label="Budget", field_type="number")
        lead = lead_create(contact=contact, actor=manager)
        lead_transition(lead=lead, to_status="contacted", actor=manager)
        deal = deal_create(name="Roof", primary_contact=contact, company=company)
        activity = activity_log(kind="note", body="hello", contact=contact, lead=lead, deal=deal)
        task = task_create(title="Call", contact=contact, lead=lead, deal=deal)
        from crm.audit.models import AuditEvent

        return {
            "contacts/company": company.pk,
            "contacts/contact": contact.pk,
            "contacts/consentrecord": consent.pk,
            "contacts/donotcontact": dnc.pk,
            "customfields/customfielddefinition": field.pk,
            "deals/pipeline": Pipeline.objects.get(is_default=True).pk,
            "deals/deal": deal.pk,
            "deals/dealstagechange": DealStageChange.objects.filter(deal=deal).first().pk,
            "leads/lead": lead.pk,
            "leads/leadstatuschange": LeadStatusChange.objects.first().pk,
            "activities/activity": activity.pk,
            "activities/task": task.pk,
            "audit/auditevent": AuditEvent.objects.first().pk,
        }


@pytest.mark.parametrize("model", MODELS)
def test_manager_sees_changelist_and_change_page(manager_client, records, model):
    assert manager_client.get(f"/admin/{model}/").status_code == 200
    assert manager_client.get(f"/admin/{model}/{records[model]}/change/").status_code == 200


@pytest.mark.parametrize(
    "model",
    [
        m
        for m in MODELS
        if m not in {"deals/dealstagechange", "leads/leadstatuschange", "audit/auditevent"}
    ],
)
def test_manager_sees_add_page(manager_client, model):
    assert manager_client.get(f"/admin/{model}/add/").status_code == 200


def test_duplicates_pages_load(manager_client, alpha):
    with schema_context(alpha.schema):
        contact_create(first_name="A", email="same@example.com")
        contact_create(first_name="B", email="same@example.com")
    response = manager_client.get("/admin/contacts/contact/duplicates/")
    assert response.status_code == 200
    assert b"same@example.com" in response.content
    assert manager_client.get("/admin/contacts/company/duplicates/").status_code == 200


def test_contact_page_shows_its_history(manager_client, records):
    response = manager_client.get(f"/admin/contacts/contact/{records['contacts/contact']}/change/")
    assert b"All audit events for this record" in response.content
    assert b"Created" in response.content


@pytest.mark.parametrize("model", MODELS)
def test_rep_is_redirected_from_every_page(rep_client, records, model):
    for url in (
        f"/admin/{model}/",
        f"/admin/{model}/{records[model]}/change/",
        f"/admin/{model}/add/",
    ):
        response = rep_client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/admin/login/")


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def _add_contacts_and_leads(alpha, manager, start: int, n: int) -> None:
    with schema_context(alpha.schema):
        company = company_create(name=f"Co {start}", owner=manager)
        for i in range(start, start + n):
            contact = contact_create(
                first_name=f"P{i}", email=f"p{i}@example.com", company=company, owner=manager
            )
            lead_create(contact=contact, owner=manager)
            deal_create(name=f"D{i}", primary_contact=contact, company=company, owner=manager)


@pytest.mark.parametrize(
    "url",
    [
        "/admin/contacts/contact/",
        "/admin/leads/lead/",
        "/admin/deals/deal/",
        "/admin/contacts/company/",
        "/admin/activities/activity/",
        "/admin/audit/auditevent/",
    ],
)
def test_changelist_query_count_is_flat(alpha, manager, manager_client, url):
    _add_contacts_and_leads(alpha, manager, 0, 2)
    few = _count(manager_client, url)
    _add_contacts_and_leads(alpha, manager, 100, 15)
    assert _count(manager_client, url) == few
