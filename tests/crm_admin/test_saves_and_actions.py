"""Admin saves and actions go through the services; refusals are form errors or messages."""

from __future__ import annotations

import csv
import io

from django.contrib.messages import get_messages
from django_tenants.utils import schema_context

from crm.audit.models import AuditEvent
from crm.contacts.models import ConsentRecord, Contact, DoNotContact
from crm.contacts.services import contact_create
from crm.customfields.models import CustomFieldDefinition
from crm.customfields.services import custom_field_define
from crm.deals.models import Deal, DealStageChange, Stage
from crm.deals.services import deal_create
from crm.leads.models import Lead, LeadStatusChange
from crm.leads.services import lead_create

SELECTED = "_selected_action"


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- contact form -------------------------------------------------------------------------


def test_contact_add_with_invalid_phone_is_a_form_error(alpha, manager_client, post_data):
    page = manager_client.get("/admin/contacts/contact/add/")
    data = post_data(page, first_name="Bad", phone="12", lifecycle_stage="prospect")
    response = manager_client.post("/admin/contacts/contact/add/", data)
    assert response.status_code == 200
    assert "phone" in response.context["adminform"].form.errors
    with schema_context(alpha.schema):
        assert not Contact.objects.filter(first_name="Bad").exists()
        assert not AuditEvent.objects.filter(entity_type="contact").exists()


def test_contact_add_goes_through_the_service(alpha, manager, manager_client, post_data):
    page = manager_client.get("/admin/contacts/contact/add/")
    data = post_data(
        page,
        first_name="Ana",
        email="ANA@Example.com",
        phone="(512) 555-0100",
        region="TX",
        country="us",
        lifecycle_stage="prospect",
        tags="VIP, roof",
    )
    response = manager_client.post("/admin/contacts/contact/add/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    with schema_context(alpha.schema):
        contact = Contact.objects.get(first_name="Ana")
        assert (contact.email, contact.phone) == ("ana@example.com", "+15125550100")
        assert contact.tags == ["roof", "vip"]
        assert contact.timezone == "America/Chicago"  # derived by the service
        created = AuditEvent.objects.get(entity_type="contact", entity_id=contact.pk)
        assert (created.action, created.actor, created.source) == ("create", manager, "admin")


def test_contact_change_audits_the_fields_and_refuses_bad_custom_values(
    alpha, manager, manager_client, post_data
):
    with schema_context(alpha.schema):
        custom_field_define(entity="contact", label="Budget", field_type="number")
        contact = contact_create(first_name="Ana", email="ana@example.com")
    url = f"/admin/contacts/contact/{contact.pk}/change/"
    bad = post_data(manager_client.get(url), custom='{"budget": "lots"}')
    response = manager_client.post(url, bad)
    assert response.status_code == 200
    assert "custom" in response.context["adminform"].form.errors
    good = post_data(manager_client.get(url), last_name="Lopez", custom='{"budget": "12"}')
    assert manager_client.post(url, good).status_code == 302
    with schema_context(alpha.schema):
        contact.refresh_from_db()
        assert contact.last_name == "Lopez"
        assert contact.custom == {"budget": 12}
        changed = AuditEvent.objects.filter(
            entity_type="contact", entity_id=contact.pk, action="update"
        )
        assert {e.field for e in changed} == {"last_name", "custom"}
        assert all(e.source == "admin" and e.actor == manager for e in changed)


# --- leads --------------------------------------------------------------------------------


def _lead(alpha, status_path: tuple[str, ...] = ()) -> Lead:
    from crm.leads.services import lead_transition

    with schema_context(alpha.schema):
        lead = lead_create(contact=contact_create(first_name="Lee"))
        for status in status_path:
            lead = lead_transition(lead=lead, to_status=status, reason="test")
        return lead


def test_lead_status_action_shows_its_form_first(alpha, manager_client):
    lead = _lead(alpha)
    response = manager_client.post(
        "/admin/leads/lead/", {"action": "change_status", SELECTED: [lead.pk]}
    )
    assert response.status_code == 200
    assert b"New status" in response.content


def test_lead_status_action_refuses_an_illegal_move(alpha, manager_client):
    lead = _lead(alpha)
    response = manager_client.post(
        "/admin/leads/lead/",
        {"action": "change_status", SELECTED: [lead.pk], "apply": "1", "to_status": "new"},
        follow=True,
    )
    assert any("refused" in m and "cannot become new" in m for m in _messages(response))
    with schema_context(alpha.schema):
        assert Lead.objects.get(pk=lead.pk).status == "new"
        assert not LeadStatusChange.objects.filter(lead=lead).exists()


def test_lead_status_action_moves_legal_rows_and_reports_the_others(alpha, manager, manager_client):
    movable = _lead(alpha)
    final = _lead(alpha, ("disqualified",))  # disqualified → only back to new
    response = manager_client.post(
        "/admin/leads/lead/",
        {
            "action": "change_status",
            SELECTED: [movable.pk, final.pk],
            "apply": "1",
            "to_status": "lost",
            "reason": "no budget",
        },
        follow=True,
    )
    messages = _messages(response)
    assert any(m.startswith("1 moved to lost") for m in messages)
    assert any(f"#{final.pk}" in m and "refused" in m for m in messages)
    with schema_context(alpha.schema):
        moved = Lead.objects.get(pk=movable.pk)
        assert (moved.status, moved.lost_reason) == ("lost", "no budget")
        change = LeadStatusChange.objects.get(lead=moved)
        assert change.changed_by == manager
        assert Lead.objects.get(pk=final.pk).status == "disqualified"


def test_lead_status_is_read_only_in_the_form(alpha, manager_client, post_data):
    lead = _lead(alpha)
    url = f"/admin/leads/lead/{lead.pk}/change/"
    data = post_data(manager_client.get(url), status="qualified", campaign="spring")
    assert manager_client.post(url, data).status_code == 302
    with schema_context(alpha.schema):
        lead.refresh_from_db()
        assert (lead.status, lead.campaign) == ("new", "spring")


def test_convert_action_creates_a_deal_or_says_why_not(alpha, manager_client):
    qualified = _lead(alpha, ("qualified",))
    fresh = _lead(alpha)
    response = manager_client.post(
        "/admin/leads/lead/",
        {"action": "convert_to_deal", SELECTED: [qualified.pk, fresh.pk]},
        follow=True,
    )
    assert any(f"#{fresh.pk}" in m for m in _messages(response))
    with schema_context(alpha.schema):
        assert Lead.objects.get(pk=qualified.pk).converted_deal is not None
        assert Lead.objects.get(pk=fresh.pk).status == "new"


# --- deals --------------------------------------------------------------------------------


def test_move_stage_action_records_the_change(alpha, manager, manager_client):
    with schema_context(alpha.schema):
        deal = deal_create(name="Roof")
        target = (
            Stage.objects.filter(pipeline=deal.pipeline, is_won=False, is_lost=False)
            .exclude(pk=deal.stage_id)
            .first()
        )
        lost = Stage.objects.filter(pipeline=deal.pipeline, is_lost=True).first()
    response = manager_client.post(
        "/admin/deals/deal/",
        {"action": "move_stage", SELECTED: [deal.pk], "apply": "1", "stage": lost.pk},
        follow=True,
    )
    assert any("lost" in m.lower() and "refused" in m for m in _messages(response))
    manager_client.post(
        "/admin/deals/deal/",
        {"action": "move_stage", SELECTED: [deal.pk], "apply": "1", "stage": target.pk},
    )
    with schema_context(alpha.schema):
        deal.refresh_from_db()
        assert deal.stage_id == target.pk
        change = DealStageChange.objects.filter(deal=deal).first()
        assert (change.to_stage_id, change.changed_by) == (target.pk, manager)


def test_deal_stage_cannot_be_changed_in_the_form(alpha, manager_client, post_data):
    with schema_context(alpha.schema):
        deal = deal_create(name="Roof")
        other = Stage.objects.exclude(pk=deal.stage_id).first()
    url = f"/admin/deals/deal/{deal.pk}/change/"
    data = post_data(manager_client.get(url), stage=other.pk, name="Big roof")
    assert manager_client.post(url, data).status_code == 302
    with schema_context(alpha.schema):
        deal.refresh_from_db()
        assert (deal.name, deal.stage_id) != ("Big roof", other.pk)
        assert deal.name == "Big roof"
        assert DealStageChange.objects.filter(deal=deal).count() == 1  # the creation only


def test_deal_add_goes_through_deal_create(alpha, manager, manager_client, post_data):
    with schema_context(alpha.schema):
        contact = contact_create(first_name="Ana")
    data = post_data(
        manager_client.get("/admin/deals/deal/add/"),
        name="New roof",
        primary_contact=contact.pk,
        amount="1200",
        currency="USD",
    )
    response = manager_client.post("/admin/deals/deal/add/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    with schema_context(alpha.schema):
        deal = Deal.objects.get(name="New roof")
        assert DealStageChange.objects.filter(deal=deal, changed_by=manager).exists()
        assert deal.contact_roles.filter(contact=contact).exists()


# --- consent, do-not-contact, custom fields -------------------------------------------------


def test_consent_add_calls_consent_record(alpha, manager, manager_client, post_data):
    with schema_context(alpha.schema):
        contact = contact_create(first_name="Ana")
    page = manager_client.get("/admin/contacts/consentrecord/add/")
    base = {"contact": contact.pk, "channel": "sms", "status": "granted", "source": "call"}
    refused = manager_client.post("/admin/contacts/consentrecord/add/", post_data(page, **base))
    assert "wording" in refused.context["adminform"].form.errors
    ok = manager_client.post(
        "/admin/contacts/consentrecord/add/", post_data(page, **base, wording="Yes, text me")
    )
    assert ok.status_code == 302
    with schema_context(alpha.schema):
        record = ConsentRecord.objects.get(contact=contact)
        assert (record.recorded_by, record.status) == (manager, "granted")


def test_dnc_add_normalises_through_the_service(alpha, manager_client, post_data):
    page = manager_client.get("/admin/contacts/donotcontact/add/")
    response = manager_client.post(
        "/admin/contacts/donotcontact/add/", post_data(page, value="(512) 555-0100")
    )
    assert response.status_code == 302
    with schema_context(alpha.schema):
        assert DoNotContact.objects.get().value == "+15125550100"


def test_custom_field_type_cannot_change_once_values_exist(alpha, manager_client, post_data):
    with schema_context(alpha.schema):
        field = custom_field_define(entity="contact", label="Budget", field_type="number")
        contact_create(first_name="Ana", custom={"budget": 5})
    url = f"/admin/customfields/customfielddefinition/{field.pk}/change/"
    response = manager_client.post(url, post_data(manager_client.get(url), field_type="text"))
    assert response.status_code == 200
    assert "field_type" in response.context["adminform"].form.errors
    with schema_context(alpha.schema):
        assert CustomFieldDefinition.objects.get(pk=field.pk).field_type == "number"


# --- merge and export -----------------------------------------------------------------------


def test_merge_action_needs_exactly_two(alpha, manager_client):
    with schema_context(alpha.schema):
        one = contact_create(first_name="One")
    response = manager_client.post(
        "/admin/contacts/contact/", {"action": "merge_selected", SELECTED: [one.pk]}, follow=True
    )
    assert any("exactly two" in m for m in _messages(response))


def test_merge_action_confirms_then_merges(alpha, manager, manager_client):
    with schema_context(alpha.schema):
        old = contact_create(first_name="Ana", email="ana@example.com")
        new = contact_create(first_name="Ana", phone="+15125550100")
        lead = lead_create(contact=new)
    confirm = manager_client.post(
        "/admin/contacts/contact/", {"action": "merge_selected", SELECTED: [old.pk, new.pk]}
    )
    assert confirm.status_code == 200
    assert b"Keep" in confirm.content and b"Leads" in confirm.content
    manager_client.post(
        "/admin/contacts/contact/",
        {"action": "merge_selected", SELECTED: [old.pk, new.pk], "apply": "1", "survivor": new.pk},
    )
    with schema_context(alpha.schema):
        assert not Contact.objects.filter(pk=old.pk).exists()
        survivor = Contact.objects.get(pk=new.pk)
        assert survivor.email == "ana@example.com"
        assert Lead.objects.get(pk=lead.pk).contact_id == new.pk
        merge = AuditEvent.objects.get(entity_id=new.pk, field="merged_from")
        assert (merge.actor, merge.source) == (manager, "admin")
    # The survivor's history panel includes the merged record's past.
    page = manager_client.get(f"/admin/contacts/contact/{new.pk}/change/")
    assert f"(#{old.pk})".encode() in page.content


def test_export_action_streams_csv_of_the_selection(alpha, manager_client):
    with schema_context(alpha.schema):
        picked = contact_create(first_name="=cmd", email="x@example.com")
        contact_create(first_name="Other")
    response = manager_client.post(
        "/admin/contacts/contact/", {"action": "export_csv", SELECTED: [picked.pk]}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r["first_name"] for r in rows] == ["'=cmd"]
