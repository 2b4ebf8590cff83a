"""Two workspaces: beta's admin neither lists nor opens alpha's records. The audit trail is
read-only in the admin."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from crm.audit.models import AuditEvent
from crm.contacts.models import Contact
from crm.contacts.services import company_create, contact_create
from crm.deals.services import deal_create
from crm.leads.services import lead_create
from crm.team.models import Role


@pytest.fixture
def beta_manager_client(beta):
    return beta.logged_in_client(beta.make_user(email="manager@beta.test", role=Role.MANAGER))


def test_beta_admin_does_not_list_or_open_alphas_records(alpha, beta, beta_manager_client):
    with schema_context(alpha.schema):
        company = company_create(name="AlphaCorp")
        contact = contact_create(first_name="Alphonse", email="alphonse@example.com")
        lead = lead_create(contact=contact)
        deal = deal_create(name="AlphaDeal")
    with schema_context(beta.schema):
        # Each schema has its own sequences: make sure beta's contact does not share alpha's id
        # (beta has no companies, leads or deals in this test).
        betty = contact_create(first_name="Betty")
        while betty.pk == contact.pk:
            betty.delete()
            betty = contact_create(first_name="Betty")
    listing = beta_manager_client.get("/admin/contacts/contact/")
    assert b"Betty" in listing.content and b"Alphonse" not in listing.content
    assert b"AlphaCorp" not in beta_manager_client.get("/admin/contacts/company/").content
    assert b"AlphaDeal" not in beta_manager_client.get("/admin/deals/deal/").content
    search = beta_manager_client.get("/admin/contacts/contact/?q=alphonse")
    assert b"Alphonse" not in search.content
    for url in (
        f"/admin/contacts/contact/{contact.pk}/change/",
        f"/admin/contacts/company/{company.pk}/change/",
        f"/admin/leads/lead/{lead.pk}/change/",
        f"/admin/deals/deal/{deal.pk}/change/",
    ):
        assert beta_manager_client.get(url).status_code == 404, url


def test_beta_merge_action_cannot_reach_alphas_contacts(alpha, beta, beta_manager_client):
    with schema_context(alpha.schema):
        one = contact_create(first_name="A1")
        two = contact_create(first_name="A2")
    response = beta_manager_client.post(
        "/admin/contacts/contact/",
        {
            "action": "merge_selected",
            "_selected_action": [one.pk, two.pk],
            "apply": "1",
            "survivor": one.pk,
        },
        follow=True,
    )
    assert response.status_code == 200
    with schema_context(alpha.schema):
        assert Contact.objects.filter(pk__in=[one.pk, two.pk]).count() == 2


def test_audit_events_are_read_only(alpha, manager_client):
    with schema_context(alpha.schema):
        contact = contact_create(first_name="Ana")
        event = AuditEvent.objects.get(entity_type="contact", entity_id=contact.pk)
    url = f"/admin/audit/auditevent/{event.pk}/change/"
    page = manager_client.get(url)
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert manager_client.get("/admin/audit/auditevent/add/").status_code == 403
    assert manager_client.post(url, {"field": "forged"}).status_code == 403
    assert manager_client.get(f"/admin/audit/auditevent/{event.pk}/delete/").status_code == 403
    with schema_context(alpha.schema):
        assert AuditEvent.objects.get(pk=event.pk).field == ""


def test_audit_list_filters_to_one_record(alpha, manager_client):
    with schema_context(alpha.schema):
        mine = contact_create(first_name="Mine")
        contact_create(first_name="Other")
    response = manager_client.get(
        f"/admin/audit/auditevent/?entity_type=contact&entity_id__in={mine.pk}"
    )
    assert response.status_code == 200
    assert response.context["cl"].result_count == 1
