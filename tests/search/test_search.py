"""The header search: phone in any format, typos, company, email, ranking, the index following
the records, isolation, escaping and odd input."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from crm.contacts.identity import contact_merge
from crm.contacts.models import Contact
from crm.contacts.services import company_update, contact_create, contact_delete, contact_update
from crm.deals.services import deal_create
from crm.leads.services import lead_delete
from crm.search.models import SearchEntry
from crm.search.selectors import search_query

pytestmark = pytest.mark.django_db


def _find(ws, q: str) -> list[tuple[str, int]]:
    with schema_context(ws.schema):
        return [(h.entity_type, h.entity_id) for h in search_query(q=q)]


def test_lead_found_by_phone_in_another_format(alpha, make_lead):
    lead = make_lead(alpha, phone="+15125550100")
    for typed in ("512.555.0100", "(512) 555-0100", "+1 512 555 0100", "5125550100"):
        assert _find(alpha, typed)[:2].count(("lead", lead.pk)) == 1, typed


def test_misspelled_name_finds_the_lead(alpha, make_lead):
    lead = make_lead(alpha, first_name="John", last_name="Smith")
    make_lead(alpha, first_name="Maria", last_name="Garcia")
    found = _find(alpha, "Jonh Smiht")
    assert ("lead", lead.pk) in found
    assert all(kind != "lead" or pk == lead.pk for kind, pk in found)


def test_found_by_company_and_email(alpha, make_lead):
    lead = make_lead(alpha, email="jo@northwind.example", company="Northwind Traders")
    assert ("lead", lead.pk) in _find(alpha, "northwind traders")
    assert ("lead", lead.pk) in _find(alpha, "Nortwind")  # typo in the company
    assert ("company", lead.contact.company_id) in _find(alpha, "northwind")
    assert _find(alpha, "jo@northwind.example")[0][0] in ("lead", "contact")
    assert ("lead", lead.pk) in _find(alpha, "jo@northwind.example")[:2]


def test_exact_phone_ranks_before_a_similar_name(alpha, make_lead):
    # A name made of the digits would share trigrams; the exact key still wins.
    exact = make_lead(alpha, first_name="Zed", last_name="Q", phone="+15125550100")
    make_lead(alpha, first_name="Ann", last_name="Other", phone="+15125550199")
    found = _find(alpha, "512-555-0100")
    assert found[0] in (("lead", exact.pk), ("contact", exact.contact_id))
    assert set(found[:2]) == {("lead", exact.pk), ("contact", exact.contact_id)}


def test_exact_name_ranks_before_a_typo_match(alpha, make_lead):
    smith = make_lead(alpha, first_name="John", last_name="Smith")
    smyth = make_lead(alpha, first_name="John", last_name="Smyth")
    leads = [pk for kind, pk in _find(alpha, "John Smith") if kind == "lead"]
    assert leads.index(smith.pk) < leads.index(smyth.pk)


def test_index_follows_update_delete_and_merge(alpha, make_lead):
    lead = make_lead(alpha, first_name="Quentin", last_name="Blake", company="Acme")
    with schema_context(alpha.schema):
        contact = Contact.objects.get(pk=lead.contact_id)
        contact_update(contact=contact, changes={"last_name": "Tarantula"})
    assert ("lead", lead.pk) in _find(alpha, "Tarantula")
    assert ("lead", lead.pk) not in _find(alpha, "Blake")

    with schema_context(alpha.schema):  # a company rename reaches its contacts' leads
        company_update(company=contact.company, changes={"name": "Zenith Widgets"})
    assert ("lead", lead.pk) in _find(alpha, "zenith widgets")

    with schema_context(alpha.schema):
        lead_delete(lead=lead)
    assert ("lead", lead.pk) not in _find(alpha, "Tarantula")
    assert ("contact", contact.pk) in _find(alpha, "Tarantula")

    with schema_context(alpha.schema):
        twin = contact_create(first_name="Quentin", last_name="Tarantulo", phone="+15125550177")
        survivor = contact_merge(survivor=Contact.objects.get(pk=contact.pk), duplicate=twin)
    found = _find(alpha, "512 555 0177")  # the duplicate's phone now belongs to the survivor
    assert ("contact", twin.pk) not in found
    assert ("contact", survivor.pk) in found

    with schema_context(alpha.schema):
        contact_delete(contact=Contact.objects.get(pk=survivor.pk))
        assert not SearchEntry.objects.filter(contact_id=survivor.pk).exists()


def test_deal_is_found_and_follows_contact_deletion(alpha, make_lead):
    lead = make_lead(alpha, first_name="Dora", last_name="Explorer")
    with schema_context(alpha.schema):
        deal = deal_create(name="Roof replacement", primary_contact=lead.contact)
    assert ("deal", deal.pk) in _find(alpha, "roof replacment")
    assert ("deal", deal.pk) in _find(alpha, "dora explorer")


def test_rebuild_command_indexes_existing_data(alpha, beta, make_lead):
    lead = make_lead(alpha, first_name="Rebecca", last_name="Builder")
    with schema_context(alpha.schema):
        SearchEntry.objects.all().delete()
        SearchEntry.objects.create(  # a stale row of a record that no longer exists
            entity_type="lead", entity_id=999_999, title="Ghost", url="/leads/999999/", text="ghost"
        )
    assert _find(alpha, "Rebecca") == []
    call_command("search_rebuild", stdout=io.StringIO())
    assert ("lead", lead.pk) in _find(alpha, "Rebecca")
    assert _find(alpha, "ghost") == []


def test_workspaces_are_isolated(alpha, beta, make_lead):
    lead = make_lead(alpha, first_name="Alphonse", last_name="Only", phone="+15125550142")
    assert ("lead", lead.pk) in _find(alpha, "Alphonse")
    assert _find(beta, "Alphonse") == []
    assert _find(beta, "512.555.0142") == []
    owner = beta.make_user(email="b-rep@beta.test")
    response = beta.logged_in_client(owner).get("/search/", {"q": "Alphonse"})
    assert response.status_code == 200
    assert b'class="search-hit"' not in response.content
    assert b"Nothing matches" in response.content


def test_results_are_escaped(alpha, make_lead, client_for):
    make_lead(alpha, first_name="<script>alert(1)</script>", last_name="Xss")
    response = client_for.get("/search/", {"q": "script alert xss"})
    body = response.content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "<script>alert(1)</script>" not in body


def test_as_you_type_partial(alpha, make_lead, client_for):
    lead = make_lead(alpha, first_name="Partial", last_name="Person")
    response = client_for.get("/search/", {"q": "Partia"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200
    assert f'href="/leads/{lead.pk}/"' in body
    assert "<html" not in body


@pytest.mark.parametrize(
    "q",
    [
        "",
        "   ",
        "x" * 5000,
        "a\x00b",
        "'; DROP TABLE x; --",
        "!!!",
        "foo & | ! :*",
        "@",
        "+",
        "(((",
        "ñandú",
        "日本語",
        "1" * 300,
        "a@b",
        "%",
        "\\",
    ],
)
def test_odd_queries_never_fail(alpha, client_for, q):
    response = client_for.get("/search/", {"q": q})
    assert response.status_code in (200, 400)


def test_search_requires_login(alpha):
    response = alpha.client().get("/search/", {"q": "x"})
    assert response.status_code == 302


def test_query_count_is_constant(alpha, make_lead, client_for):
    make_lead(alpha, first_name="Count", last_name="Me")
    client_for.get("/search/", {"q": "Count"})  # warm up (session, tenant lookups)
    with CaptureQueriesContext(connection) as few:
        client_for.get("/search/", {"q": "Count"})
    for i in range(15):
        make_lead(alpha, first_name="Count", last_name=f"Many{i}", company=f"Countco {i}")
    with CaptureQueriesContext(connection) as many:
        client_for.get("/search/", {"q": "Count"})
    assert len(many) == len(few)
