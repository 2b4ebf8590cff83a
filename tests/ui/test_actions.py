"""Quick actions, edit permissions, CSRF, bad input, create lead, bulk actions, search."""

from __future__ import annotations

from django.test import Client
from django_tenants.utils import schema_context

from crm.activities.models import Activity, Task
from crm.contacts.models import Contact
from crm.leads.models import Lead, LeadSavedView


def _note_count(ws, lead) -> int:
    with schema_context(ws.schema):
        return Activity.objects.filter(lead_id=lead.pk, kind="note").count()


def test_owner_logs_note_call_task_and_changes_status(alpha, people, make_lead):
    lead = make_lead(alpha, owner=people["rep"])
    client = alpha.logged_in_client(people["rep"])
    url = f"/leads/{lead.pk}/"
    assert client.post(url + "note/", {"note-body": "Called back"}).status_code == 302
    r = client.post(url + "call/", {"call-direction": "outbound", "call-subject": "No answer"},
                    HTTP_HX_REQUEST="true")  # fmt: skip
    assert r.status_code == 200 and b"No answer" in r.content and b'id="lead-body"' in r.content
    client.post(url + "task/", {"task-title": "Send quote", "task-priority": "3"})
    client.post(url + "status/", {"status-to_status": "qualified"})
    with schema_context(alpha.schema):
        assert Task.objects.filter(lead_id=lead.pk, title="Send quote").exists()
        fresh = Lead.objects.get(pk=lead.pk)
        assert fresh.status == "qualified" and fresh.first_response_at is not None
    r = client.post(url + "convert/", {"convert-amount": "1200"})
    assert r.status_code == 302
    with schema_context(alpha.schema):
        fresh = Lead.objects.get(pk=lead.pk)
        assert fresh.status == "converted" and fresh.converted_deal.amount == 1200
    html = client.get(url).content.decode()
    assert "Called back" in html and "Send quote" in html and "Status: new → qualified" in html


def test_rep_cannot_edit_someone_elses_lead(alpha, people, make_lead):
    lead = make_lead(alpha, owner=people["other"], source="web")
    client = alpha.logged_in_client(people["rep"])
    page = client.get(f"/leads/{lead.pk}/")
    assert page.status_code == 200 and b"Quick actions" not in page.content
    for action, data in [
        ("note", {"note-body": "sneaky"}),
        ("edit", {"edit-first_name": "Changed", "edit-source": "x"}),
        ("status", {"status-to_status": "lost", "status-reason": "x"}),
    ]:
        assert client.post(f"/leads/{lead.pk}/{action}/", data).status_code == 403
    with schema_context(alpha.schema):
        fresh = Lead.objects.select_related("contact").get(pk=lead.pk)
        assert fresh.status == "new" and fresh.source == "web"
        assert fresh.contact.first_name == "Ada"
    assert _note_count(alpha, lead) == 0


def test_manager_edits_any_lead_in_place(alpha, people, make_lead):
    lead = make_lead(alpha, owner=people["other"])
    client = alpha.logged_in_client(people["manager"])
    r = client.post(
        f"/leads/{lead.pk}/edit/",
        {"edit-first_name": "Grace", "edit-phone": "(512) 555-0100", "edit-source": "referral",
         "edit-owner": people["rep"].pk},
    )  # fmt: skip
    assert r.status_code == 302
    with schema_context(alpha.schema):
        fresh = Lead.objects.select_related("contact").get(pk=lead.pk)
        assert fresh.contact.first_name == "Grace" and fresh.contact.phone == "+15125550100"
        assert fresh.source == "referral" and fresh.owner_id == people["rep"].pk


def test_bad_input_shows_errors_and_saves_nothing(alpha, people, make_lead):
    lead = make_lead(alpha, owner=people["rep"])
    client = alpha.logged_in_client(people["rep"])
    r = client.post(f"/leads/{lead.pk}/note/", {"note-body": "  "})
    assert r.status_code == 422 and "A note needs some text." in r.content.decode()
    r = client.post(f"/leads/{lead.pk}/task/", {"task-title": "", "task-priority": "2"})
    assert r.status_code == 422 and "Give the task a title." in r.content.decode()
    r = client.post(f"/leads/{lead.pk}/status/", {"status-to_status": "lost"})
    assert r.status_code == 422 and "Say why the lead is lost." in r.content.decode()
    r = client.post(f"/leads/{lead.pk}/convert/", {})  # a new lead cannot convert
    assert r.status_code == 422 and "cannot become converted" in r.content.decode()
    r = client.post(f"/leads/{lead.pk}/edit/", {"edit-first_name": "X", "edit-email": "nope"})
    assert r.status_code == 422
    with schema_context(alpha.schema):
        fresh = Lead.objects.select_related("contact").get(pk=lead.pk)
        assert fresh.status == "new" and fresh.contact.first_name == "Ada"
        assert not Task.objects.filter(lead_id=lead.pk).exists()
        assert fresh.converted_deal_id is None
    assert _note_count(alpha, lead) == 0


def test_csrf_is_enforced(alpha, people, make_lead):
    lead = make_lead(alpha, owner=people["rep"])
    client = Client(HTTP_HOST=alpha.host, enforce_csrf_checks=True)
    with schema_context(alpha.schema):
        client.force_login(people["rep"])
    for path, data in [
        (f"/leads/{lead.pk}/note/", {"note-body": "x"}),
        ("/leads/new/", {"first_name": "Eve"}),
        ("/leads/bulk/", {"ids": [lead.pk], "action": "status", "to_status": "contacted"}),
        ("/leads/views/", {"name": "v", "query": ""}),
        (f"/contacts/{lead.contact_id}/note/", {"note-body": "x"}),
    ]:
        assert client.post(path, data).status_code == 403, path
    assert _note_count(alpha, lead) == 0


def test_create_lead_and_duplicate_offer(alpha, people):
    client = alpha.logged_in_client(people["rep"])
    r = client.post("/leads/new/", {"first_name": "Neo", "phone": "512 555 0199", "source": "web"})
    assert r.status_code == 302
    with schema_context(alpha.schema):
        lead = Lead.objects.get(contact__first_name="Neo")
        assert lead.owner_id == people["rep"].pk and lead.contact.phone == "+15125550199"
    # Same phone in another format: the existing contact is offered, nothing created yet.
    r = client.post("/leads/new/", {"first_name": "Neo2", "phone": "+1 (512) 555-0199"})
    assert r.status_code == 422 and "may already be here" in r.content.decode()
    with schema_context(alpha.schema):
        assert Contact.objects.filter(phone="+15125550199").count() == 1
    r = client.post("/leads/new/", {"first_name": "Neo2", "phone": "+1 (512) 555-0199",
                                    "use_contact": lead.contact_id})  # fmt: skip
    assert r.status_code == 302
    with schema_context(alpha.schema):
        assert Lead.objects.filter(contact_id=lead.contact_id).count() == 2
        assert Contact.objects.filter(phone="+15125550199").count() == 1


def test_create_lead_bad_input_saves_nothing(alpha, people):
    client = alpha.logged_in_client(people["rep"])
    r = client.post("/leads/new/", {"email": "not-an-email"})
    assert r.status_code == 422
    r = client.post("/leads/new/", {})
    assert r.status_code == 422 and "A contact needs a name" in r.content.decode()
    with schema_context(alpha.schema):
        assert not Contact.objects.exists() and not Lead.objects.exists()


def test_bulk_actions_report_refusals(alpha, people, make_lead):
    mine = make_lead(alpha, owner=people["rep"], first_name="Mine")
    theirs = make_lead(alpha, owner=people["other"], first_name="Theirs")
    client = alpha.logged_in_client(people["rep"])
    r = client.post("/leads/bulk/", {"ids": [mine.pk, theirs.pk], "action": "status",
                                     "to_status": "contacted"}, follow=True)  # fmt: skip
    html = r.content.decode()
    assert "Updated 1 lead." in html and "only its owner or a manager" in html
    r = client.post("/leads/bulk/", {"ids": [mine.pk], "action": "status",
                                     "to_status": "converted"}, follow=True)  # fmt: skip
    assert "Convert a lead with the convert action" in r.content.decode()
    manager = alpha.logged_in_client(people["manager"])
    manager.post("/leads/bulk/", {"ids": [mine.pk, theirs.pk], "action": "assign",
                                  "owner": people["manager"].pk})  # fmt: skip
    with schema_context(alpha.schema):
        assert Lead.objects.get(pk=mine.pk).status == "contacted"
        assert Lead.objects.get(pk=theirs.pk).status == "new"
        assert set(Lead.objects.values_list("owner_id", flat=True)) == {people["manager"].pk}


def test_search_filters_sort_and_saved_views(alpha, people, make_lead):
    make_lead(alpha, owner=people["rep"], first_name="Phoney", phone="512-555-0142", source="ads")
    make_lead(alpha, owner=people["other"], first_name="Other", source="web")
    client = alpha.logged_in_client(people["rep"])
    html = client.get("/leads/", {"q": "(512) 555 0142"}).content.decode()
    assert "Phoney" in html and "Other" not in html
    html = client.get("/leads/", {"q": "+15125550142"}).content.decode()
    assert "Phoney" in html
    html = client.get("/leads/", {"owner": "me"}).content.decode()
    assert "Phoney" in html and "Other" not in html
    html = client.get("/leads/", {"source": "web", "sort": "-name"}).content.decode()
    assert "Other" in html and "Phoney" not in html
    partial = client.get("/leads/", {"status": "new"}, HTTP_HX_REQUEST="true")
    assert partial.content.decode().lstrip().startswith('<div id="lead-table">')
    client.post("/leads/views/", {"name": "Web leads", "query": "source=web"})
    with schema_context(alpha.schema):
        view = LeadSavedView.objects.get(user=people["rep"])
        assert view.query == "source=web"
    assert "Web leads" in client.get("/leads/").content.decode()
    other = alpha.logged_in_client(people["other"])
    assert "Web leads" not in other.get("/leads/").content.decode()
    assert other.post(f"/leads/views/{view.pk}/delete/").status_code == 404
