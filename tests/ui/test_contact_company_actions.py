"""Contact and company pages' quick actions: log a call, add a note, create a task, edit in
place. Happy paths (plain post and HTMX swap), bad input (422, nothing saved), permissions
(403, nothing changed), CSRF and workspace isolation."""

from __future__ import annotations

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from crm.activities.models import Activity, Task
from crm.contacts.models import Company, Contact
from crm.contacts.services import company_create, contact_create

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def make_company():
    def make(ws, *, owner=None, name: str = "Acme", **fields):
        with schema_context(ws.schema):
            return company_create(name=name, owner=owner, **fields)

    return make


@pytest.fixture
def make_contact():
    def make(ws, *, owner=None, first_name: str = "Ada", **fields):
        with schema_context(ws.schema):
            return contact_create(first_name=first_name, last_name="Lovelace", owner=owner,
                                  **fields)  # fmt: skip

    return make


def _counts(ws, **record) -> tuple[int, int]:
    with schema_context(ws.schema):
        return (Activity.objects.filter(**record).count(), Task.objects.filter(**record).count())


# --- contact ------------------------------------------------------------------------------


def test_contact_task_plain_post_redirects(alpha, people, make_contact):
    contact = make_contact(alpha, owner=people["rep"])
    client = alpha.logged_in_client(people["rep"])
    r = client.post(f"/contacts/{contact.pk}/task/",
                    {"task-title": "Send brochure", "task-due_at": "2030-01-02T09:30",
                     "task-priority": "3"})  # fmt: skip
    assert r.status_code == 302 and r["Location"] == f"/contacts/{contact.pk}/"
    with schema_context(alpha.schema):
        task = Task.objects.get(contact_id=contact.pk)
        assert task.title == "Send brochure" and task.priority == 3
        assert task.assignee_id == people["rep"].pk and task.due_at is not None
    assert "Send brochure" in client.get(f"/contacts/{contact.pk}/").content.decode()


def test_contact_actions_swap_the_body_with_htmx(alpha, people, make_contact):
    contact = make_contact(alpha, owner=people["rep"])
    client = alpha.logged_in_client(people["rep"])
    url = f"/contacts/{contact.pk}/"
    for action, data, expect in [
        (
            "call",
            {"call-direction": "outbound", "call-subject": "Left voicemail"},
            "Left voicemail",
        ),
        ("note", {"note-body": "Prefers mornings"}, "Prefers mornings"),
        ("task", {"task-title": "Call back", "task-priority": "2"}, "Call back"),
        ("edit", {"edit-first_name": "Grace", "edit-phone": "(512) 555-0100"}, "Grace"),
    ]:
        r = client.post(url + f"{action}/", data, **HX)
        html = r.content.decode()
        assert r.status_code == 200, action
        assert 'id="contact-body"' in html and "<html" not in html and expect in html, action
    assert _counts(alpha, contact_id=contact.pk) == (2, 1)
    with schema_context(alpha.schema):
        fresh = Contact.objects.get(pk=contact.pk)
        assert fresh.first_name == "Grace" and fresh.phone == "+15125550100"


def test_contact_bad_input_is_422_and_saves_nothing(alpha, people, make_contact):
    contact = make_contact(alpha, owner=people["rep"])
    client = alpha.logged_in_client(people["rep"])
    r = client.post(f"/contacts/{contact.pk}/task/", {"task-title": " ", "task-priority": "2"},
                    **HX)  # fmt: skip
    html = r.content.decode()
    assert r.status_code == 422 and "Give the task a title." in html
    assert 'id="contact-body"' in html and "<html" not in html
    r = client.post(f"/contacts/{contact.pk}/task/", {"task-title": "x", "task-due_at": "soon",
                                                      "task-priority": "2"})  # fmt: skip
    assert r.status_code == 422
    r = client.post(f"/contacts/{contact.pk}/edit/", {"edit-first_name": "Z", "edit-email": "nope"})
    assert r.status_code == 422 and "<html" in r.content.decode()
    assert _counts(alpha, contact_id=contact.pk) == (0, 0)
    with schema_context(alpha.schema):
        assert Contact.objects.get(pk=contact.pk).first_name == "Ada"


def test_rep_cannot_act_on_someone_elses_contact(alpha, people, make_contact):
    contact = make_contact(alpha, owner=people["other"])
    client = alpha.logged_in_client(people["rep"])
    page = client.get(f"/contacts/{contact.pk}/")
    assert page.status_code == 200 and b"Quick actions" not in page.content
    for action, data in [
        ("call", {"call-direction": "outbound"}),
        ("note", {"note-body": "sneaky"}),
        ("task", {"task-title": "sneaky", "task-priority": "2"}),
        ("edit", {"edit-first_name": "Changed"}),
    ]:
        assert client.post(f"/contacts/{contact.pk}/{action}/", data).status_code == 403, action
    assert _counts(alpha, contact_id=contact.pk) == (0, 0)
    with schema_context(alpha.schema):
        assert Contact.objects.get(pk=contact.pk).first_name == "Ada"
    manager = alpha.logged_in_client(people["manager"])
    r = manager.post(f"/contacts/{contact.pk}/task/", {"task-title": "Mine", "task-priority": "2"})
    assert r.status_code == 302
    assert _counts(alpha, contact_id=contact.pk) == (0, 1)


# --- company ------------------------------------------------------------------------------


def test_company_call_note_task_and_htmx_swap(alpha, people, make_company):
    company = make_company(alpha, owner=people["rep"])
    client = alpha.logged_in_client(people["rep"])
    url = f"/companies/{company.pk}/"
    r = client.post(url + "call/", {"call-direction": "inbound", "call-subject": "Asked for demo",
                                    "call-minutes": "5"})  # fmt: skip
    assert r.status_code == 302 and r["Location"] == url
    r = client.post(url + "note/", {"note-body": "Budget in Q3"}, **HX)
    assert r.status_code == 200 and 'id="company-body"' in r.content.decode()
    assert "<html" not in r.content.decode() and "Budget in Q3" in r.content.decode()
    r = client.post(url + "task/", {"task-title": "Book demo", "task-priority": "4"}, **HX)
    assert r.status_code == 200 and "Book demo" in r.content.decode()
    with schema_context(alpha.schema):
        call = Activity.objects.get(company_id=company.pk, kind=Activity.Kind.CALL)
        assert call.direction == "inbound" and call.duration_seconds == 300
        task = Task.objects.get(company_id=company.pk)
        assert task.title == "Book demo" and task.assignee_id == people["rep"].pk
    html = client.get(url).content.decode()
    assert "Asked for demo" in html and "Budget in Q3" in html and "Book demo" in html


def test_company_edit_in_place_by_owner(alpha, people, make_company):
    company = make_company(alpha, owner=people["rep"])
    client = alpha.logged_in_client(people["rep"])
    page = client.get(f"/companies/{company.pk}/").content.decode()
    assert 'name="edit-name"' in page and 'name="edit-owner"' not in page  # reps keep theirs
    r = client.post(
        f"/companies/{company.pk}/edit/",
        {"edit-name": "Acme Roofing", "edit-domain": "WWW.Acme.com", "edit-industry": "Roofing",
         "edit-employee_count": "42", "edit-annual_revenue": "1250000.50", "edit-city": "Austin",
         "edit-region": "TX", "edit-country": "us",
         "edit-owner": people["other"].pk},  # ignored: a rep cannot hand a company over
        **HX,
    )  # fmt: skip
    assert r.status_code == 200 and "Acme Roofing" in r.content.decode()
    with schema_context(alpha.schema):
        fresh = Company.objects.get(pk=company.pk)
    assert (fresh.name, fresh.domain, fresh.industry) == ("Acme Roofing", "acme.com", "Roofing")
    assert fresh.employee_count == 42 and str(fresh.annual_revenue) == "1250000.50"
    assert (fresh.city, fresh.region, fresh.country) == ("Austin", "TX", "US")
    assert fresh.owner_id == people["rep"].pk


def test_manager_edits_any_company_and_assigns_owner(alpha, people, make_company):
    company = make_company(alpha, owner=people["other"])
    client = alpha.logged_in_client(people["manager"])
    assert 'name="edit-owner"' in client.get(f"/companies/{company.pk}/").content.decode()
    r = client.post(f"/companies/{company.pk}/edit/",
                    {"edit-name": "Acme", "edit-owner": people["rep"].pk})  # fmt: skip
    assert r.status_code == 302
    with schema_context(alpha.schema):
        assert Company.objects.get(pk=company.pk).owner_id == people["rep"].pk


def test_company_bad_input_is_422_next_to_fields_and_saves_nothing(alpha, people, make_company):
    company = make_company(alpha, owner=people["rep"], industry="Roofing", city="Austin")
    client = alpha.logged_in_client(people["rep"])
    url = f"/companies/{company.pk}/"
    # service errors (blank name, a country that is not a 2-letter code), shown by their fields
    r = client.post(url + "edit/", {"edit-name": "", "edit-industry": "Solar",
                                    "edit-country": "Germany"}, **HX)  # fmt: skip
    html = r.content.decode()
    assert r.status_code == 422 and 'id="company-body"' in html and "<html" not in html
    assert html.count("has-error") == 2 and "cannot be blank" in html
    # form errors (not a number)
    r = client.post(url + "edit/", {"edit-name": "X", "edit-employee_count": "lots"})
    assert r.status_code == 422 and "<html" in r.content.decode()
    r = client.post(url + "task/", {"task-title": "", "task-priority": "2"})
    assert r.status_code == 422 and "Give the task a title." in r.content.decode()
    r = client.post(url + "call/", {"call-direction": "sideways"})
    assert r.status_code == 422
    with schema_context(alpha.schema):
        fresh = Company.objects.get(pk=company.pk)
    assert (fresh.name, fresh.industry, fresh.city, fresh.country) == ("Acme", "Roofing",
                                                                       "Austin", "")  # fmt: skip
    assert _counts(alpha, company_id=company.pk) == (0, 0)


def test_rep_cannot_change_someone_elses_company(alpha, people, make_company):
    company = make_company(alpha, owner=people["other"], industry="Roofing")
    client = alpha.logged_in_client(people["rep"])
    page = client.get(f"/companies/{company.pk}/")
    assert page.status_code == 200 and b"Quick actions" not in page.content
    for action, data in [
        ("call", {"call-direction": "outbound", "call-subject": "sneaky"}),
        ("note", {"note-body": "sneaky"}),
        ("task", {"task-title": "sneaky", "task-priority": "2"}),
        ("edit", {"edit-name": "Mine now", "edit-industry": "Solar"}),
    ]:
        r = client.post(f"/companies/{company.pk}/{action}/", data, **HX)
        assert r.status_code == 403, action
    with schema_context(alpha.schema):
        fresh = Company.objects.get(pk=company.pk)
    assert (fresh.name, fresh.industry, fresh.owner_id) == ("Acme", "Roofing", people["other"].pk)
    assert _counts(alpha, company_id=company.pk) == (0, 0)


def test_unknown_action_is_404_and_get_is_405(alpha, people, make_company):
    company = make_company(alpha, owner=people["rep"])
    client = alpha.logged_in_client(people["rep"])
    assert client.post(f"/companies/{company.pk}/delete/").status_code == 404
    assert client.get(f"/companies/{company.pk}/note/").status_code == 405


# --- CSRF and isolation -------------------------------------------------------------------


def test_csrf_is_enforced(alpha, people, make_contact, make_company):
    contact = make_contact(alpha, owner=people["rep"])
    company = make_company(alpha, owner=people["rep"])
    client = Client(HTTP_HOST=alpha.host, enforce_csrf_checks=True)
    with schema_context(alpha.schema):
        client.force_login(people["rep"])
    for path, data in [
        (f"/contacts/{contact.pk}/task/", {"task-title": "x", "task-priority": "2"}),
        (f"/contacts/{contact.pk}/call/", {"call-direction": "outbound"}),
        (f"/companies/{company.pk}/call/", {"call-direction": "outbound"}),
        (f"/companies/{company.pk}/task/", {"task-title": "x", "task-priority": "2"}),
        (f"/companies/{company.pk}/edit/", {"edit-name": "Hijacked"}),
    ]:
        assert client.post(path, data, **HX).status_code == 403, path
    assert _counts(alpha, contact_id=contact.pk) == (0, 0)
    assert _counts(alpha, company_id=company.pk) == (0, 0)
    with schema_context(alpha.schema):
        assert Company.objects.get(pk=company.pk).name == "Acme"


def test_beta_ids_are_404_on_alpha(alpha, beta, people, make_contact, make_company):
    beta_contact = make_contact(beta, first_name="Betaonly")
    beta_company = make_company(beta, name="Beta Co")
    # ids that exist only in beta (alpha has none this high)
    contact_id, company_id = beta_contact.pk + 1000, beta_company.pk + 1000
    with schema_context(beta.schema):
        Contact.objects.filter(pk=beta_contact.pk).update(id=contact_id)
        Company.objects.filter(pk=beta_company.pk).update(id=company_id)
    client = alpha.logged_in_client(people["manager"])
    for path, data in [
        (f"/contacts/{contact_id}/task/", {"task-title": "x", "task-priority": "2"}),
        (f"/contacts/{contact_id}/call/", {"call-direction": "outbound"}),
        (f"/companies/{company_id}/call/", {"call-direction": "outbound"}),
        (f"/companies/{company_id}/task/", {"task-title": "x", "task-priority": "2"}),
        (f"/companies/{company_id}/edit/", {"edit-name": "Hijacked"}),
        (f"/companies/{company_id}/note/", {"note-body": "x"}),
    ]:
        assert client.post(path, data).status_code == 404, path
    with schema_context(beta.schema):
        assert Company.objects.get(pk=company_id).name == "Beta Co"
        assert not Task.objects.exists() and not Activity.objects.exists()
