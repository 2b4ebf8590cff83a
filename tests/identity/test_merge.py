"""contact_merge / company_merge keep everything attached to both records and leave a trail."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import schema_context

from crm import events
from crm.activities.models import Activity, Task
from crm.activities.services import activity_log, task_create
from crm.audit.models import AuditEvent
from crm.contacts.identity import company_merge, contact_merge, merged_ids
from crm.contacts.models import Company, ConsentRecord, Contact
from crm.contacts.services import company_create, consent_record, contact_create
from crm.customfields.services import custom_field_define
from crm.deals.models import DealContact
from crm.deals.services import deal_create
from crm.leads.models import Lead
from crm.leads.services import lead_create


@pytest.fixture
def heard():
    received: list[tuple[str, dict]] = []

    def handler(*, event: str, **payload) -> None:
        received.append((event, payload))

    for name in ("contact.merged", "company.merged"):
        events.subscribe(name, handler, in_transaction=True)
    yield received
    for name in ("contact.merged", "company.merged"):
        events.unsubscribe(name, handler)


def test_contact_merge_keeps_every_related_record(alpha, manager, heard):
    with schema_context(alpha.schema):
        custom_field_define(entity="contact", label="Budget", field_type="number")
        custom_field_define(entity="contact", label="Source detail", field_type="text")
        acme = company_create(name="Acme")
        survivor = contact_create(
            first_name="Ana", email="ana@example.com", tags=["vip"], custom={"budget": 100}
        )
        duplicate = contact_create(
            first_name="Ana",
            last_name="Lopez",
            phone="+15125550100",
            company=acme,
            city="Austin",
            region="TX",
            country="US",
            tags=["roofing"],
            custom={"budget": 5, "source_detail": "fair"},
        )
        lead = lead_create(contact=duplicate)
        activity_log(kind="note", body="called", contact=duplicate)
        task_create(title="Call back", contact=duplicate)
        consent_record(contact=duplicate, channel="sms", granted=True, source="form", wording="Yes")
        shared = deal_create(name="Shared", primary_contact=survivor)
        DealContact.objects.create(deal=shared, contact=duplicate, role="champion")
        own = deal_create(name="Own", primary_contact=duplicate)
        dup_pk = duplicate.pk

        merged = contact_merge(survivor=survivor, duplicate=duplicate, actor=manager)

        assert not Contact.objects.filter(pk=dup_pk).exists()
        merged.refresh_from_db()
        # Blanks filled from the duplicate; the survivor's own values win.
        assert merged.email == "ana@example.com"
        assert merged.last_name == "Lopez"
        assert merged.phone == "+15125550100"
        assert merged.company == acme
        assert (merged.city, merged.region) == ("Austin", "TX")
        assert merged.tags == ["roofing", "vip"]
        assert merged.custom == {"budget": 100, "source_detail": "fair"}
        # Everything attached to the duplicate now hangs on the survivor.
        assert Lead.objects.get(pk=lead.pk).contact_id == merged.pk
        assert Activity.objects.filter(contact=merged, kind="note").count() == 1
        assert Task.objects.filter(contact=merged).count() == 1
        assert ConsentRecord.objects.filter(contact=merged, channel="sms").count() == 1
        own.refresh_from_db()
        assert own.primary_contact_id == merged.pk
        # The unique (deal, contact) row was folded, keeping the more specific role.
        shared_roles = DealContact.objects.filter(deal=shared)
        assert [(r.contact_id, r.role) for r in shared_roles] == [(merged.pk, "decision_maker")]
        assert DealContact.objects.filter(deal=own, contact=merged).exists()
        assert not DealContact.objects.filter(contact_id=dup_pk).exists()
        # The merge is traceable from both ids.
        on_survivor = AuditEvent.objects.get(
            entity_type="contact", entity_id=merged.pk, field="merged_from"
        )
        assert on_survivor.action == AuditEvent.Action.MERGE
        assert on_survivor.actor == manager
        assert on_survivor.new_value["id"] == dup_pk
        assert on_survivor.new_value["snapshot"]["phone"] == "+15125550100"
        assert on_survivor.new_value["moved"]["leads.lead.contact"] == 1
        on_duplicate = AuditEvent.objects.get(
            entity_type="contact", entity_id=dup_pk, field="merged_into"
        )
        assert on_duplicate.new_value == merged.pk
        filled = AuditEvent.objects.filter(
            entity_type="contact", entity_id=merged.pk, action="merge", field="phone"
        ).get()
        assert (filled.old_value, filled.new_value) == ("", "+15125550100")
        assert merged_ids(entity_type="contact", entity_id=merged.pk) == [dup_pk]
    assert (
        "contact.merged",
        {"contact_id": merged.pk, "duplicate_id": dup_pk, "actor_id": manager.pk},
    ) in heard


def test_contact_merge_with_itself_is_refused(alpha):
    with schema_context(alpha.schema):
        contact = contact_create(first_name="Solo", email="solo@example.com")
        with pytest.raises(ValidationError, match="itself"):
            contact_merge(survivor=contact, duplicate=contact)
        assert Contact.objects.filter(pk=contact.pk).exists()
        assert not AuditEvent.objects.filter(action="merge").exists()


def test_contact_merge_of_a_deleted_record_is_refused(alpha):
    with schema_context(alpha.schema):
        one = contact_create(first_name="One")
        gone = contact_create(first_name="Gone")
        Contact.objects.filter(pk=gone.pk).delete()
        with pytest.raises(ValidationError, match="no longer exists"):
            contact_merge(survivor=one, duplicate=gone)


def test_company_merge_moves_contacts_deals_and_activities(alpha, manager, heard):
    with schema_context(alpha.schema):
        survivor = company_create(name="Acme Inc")
        duplicate = company_create(name="ACME", domain="acme.test", industry="Roofing")
        person = contact_create(first_name="Bo", company=duplicate)
        deal = deal_create(name="Roof", company=duplicate)
        activity_log(kind="note", body="visited", company=duplicate)
        task_create(title="Quote", company=duplicate)
        dup_pk = duplicate.pk

        merged = company_merge(survivor=survivor, duplicate=duplicate, actor=manager)

        assert not Company.objects.filter(pk=dup_pk).exists()
        assert (merged.name, merged.domain, merged.industry) == ("Acme Inc", "acme.test", "Roofing")
        person.refresh_from_db()
        deal.refresh_from_db()
        assert person.company_id == merged.pk
        assert deal.company_id == merged.pk
        assert Activity.objects.filter(company=merged, kind="note").count() == 1
        assert Task.objects.filter(company=merged).count() == 1
        assert AuditEvent.objects.filter(
            entity_type="company", entity_id=merged.pk, field="merged_from"
        ).exists()
        assert AuditEvent.objects.filter(
            entity_type="company", entity_id=dup_pk, field="merged_into"
        ).exists()
        with pytest.raises(ValidationError):
            company_merge(survivor=merged, duplicate=merged)
    assert heard[-1][0] == "company.merged"


def test_merge_is_all_or_nothing(alpha, monkeypatch):
    """A failure half-way leaves both records and all their rows as they were."""
    with schema_context(alpha.schema):
        survivor = contact_create(first_name="A", email="a@example.com")
        duplicate = contact_create(first_name="B", phone="+15125550101")
        lead = lead_create(contact=duplicate)

        def boom(**_):
            raise RuntimeError("subscriber failed")

        events.subscribe("contact.merged", boom, in_transaction=True)
        try:
            with pytest.raises(RuntimeError):
                contact_merge(survivor=survivor, duplicate=duplicate)
        finally:
            events.unsubscribe("contact.merged", boom)
        assert Contact.objects.filter(pk=duplicate.pk).exists()
        assert Lead.objects.get(pk=lead.pk).contact_id == duplicate.pk
        assert not AuditEvent.objects.filter(action="merge").exists()
