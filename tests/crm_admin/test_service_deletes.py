"""Admin deletes of contacts, companies, leads and deals go through the delete services: one
audit row each (who, from the admin, what), the record and its dependants gone."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from crm.audit.models import AuditEvent
from crm.contacts.models import Company, Contact
from crm.contacts.services import company_create, contact_create
from crm.deals.models import Deal, DealStageChange
from crm.deals.services import deal_create
from crm.leads.models import Lead, LeadStatusChange
from crm.leads.services import lead_create, lead_transition

SELECTED = "_selected_action"


def _delete_rows(entity: str, pk: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(entity_type=entity, entity_id=pk, action="delete"))


@pytest.fixture
def records(alpha) -> dict:
    with schema_context(alpha.schema):
        company = company_create(name="Doomed Co")
        contact = contact_create(first_name="Dora", email="dora@example.com")
        lead = lead_create(contact=contact)
        deal = deal_create(name="Doomed deal")
    return {"company": company, "contact": contact, "lead": lead, "deal": deal}


@pytest.mark.parametrize(
    ("entity", "url", "model"),
    [
        ("contact", "/admin/contacts/contact/{}/delete/", Contact),
        ("company", "/admin/contacts/company/{}/delete/", Company),
        ("lead", "/admin/leads/lead/{}/delete/", Lead),
        ("deal", "/admin/deals/deal/{}/delete/", Deal),
    ],
)
def test_delete_view_goes_through_the_service(
    alpha, manager, manager_client, records, entity, url, model
):
    obj = records[entity]
    response = manager_client.post(url.format(obj.pk), {"post": "yes"})
    assert response.status_code == 302, getattr(response, "context", None)
    with schema_context(alpha.schema):
        assert not model.objects.filter(pk=obj.pk).exists()
        rows = _delete_rows(entity, obj.pk)
        assert len(rows) == 1  # the service's row, not a second one from the admin
        row = rows[0]
        assert (row.actor_id, row.source, row.old_value) == (manager.pk, "admin", str(obj))


def test_history_tables_do_not_block_the_delete(alpha, manager_client, records):
    """Stage and status history are read-only in the admin, but they belong to the record:
    the delete service removes them with it, so they do not make the delete page a 403."""
    contact, lead = records["contact"], records["lead"]
    with schema_context(alpha.schema):
        lead_transition(lead=lead, to_status="contacted")
        assert LeadStatusChange.objects.filter(lead=lead).exists()
        assert DealStageChange.objects.filter(deal=records["deal"]).exists()
    page = manager_client.get(f"/admin/contacts/contact/{contact.pk}/delete/")
    assert page.status_code == 200 and not page.context["perms_lacking"]
    response = manager_client.post(f"/admin/contacts/contact/{contact.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    with schema_context(alpha.schema):
        assert not Lead.objects.filter(pk=lead.pk).exists()
        assert not LeadStatusChange.objects.filter(lead_id=lead.pk).exists()
        assert len(_delete_rows("contact", contact.pk)) == 1


def test_bulk_delete_action_goes_through_the_service(alpha, manager, manager_client):
    with schema_context(alpha.schema):
        deals = [deal_create(name=f"Bulk {i}") for i in range(3)]
        contact = contact_create(first_name="Lou")
        leads = [lead_create(contact=contact) for _ in range(2)]
    for url, objs, entity in (
        ("/admin/deals/deal/", deals, "deal"),
        ("/admin/leads/lead/", leads, "lead"),
    ):
        response = manager_client.post(
            url, {"action": "delete_selected", SELECTED: [o.pk for o in objs], "post": "yes"}
        )
        assert response.status_code == 302, response.content
        with schema_context(alpha.schema):
            for obj in objs:
                assert not type(obj).objects.filter(pk=obj.pk).exists()
                rows = _delete_rows(entity, obj.pk)
                assert len(rows) == 1, (entity, obj.pk)
                assert (rows[0].actor_id, rows[0].source) == (manager.pk, "admin")


def test_records_without_a_delete_service_keep_the_admin_audit(alpha, manager, manager_client):
    """Do-not-contact entries (no delete service) are still audited once by the admin."""
    from crm.contacts.models import DoNotContact
    from crm.contacts.services import dnc_add

    with schema_context(alpha.schema):
        entry = dnc_add(value="stop@example.com")
    response = manager_client.post(
        f"/admin/contacts/donotcontact/{entry.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302
    with schema_context(alpha.schema):
        assert not DoNotContact.objects.filter(pk=entry.pk).exists()
        assert len(_delete_rows("donotcontact", entry.pk)) == 1
