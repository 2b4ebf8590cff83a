"""Contacts and companies: CRUD, bad input (nothing stored), filters, bulk upsert, merge, CSV."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from crm.api.conf import bulk_max_rows
from crm.contacts.models import Company, Contact
from crm.customfields.services import custom_field_define

PROBLEM = "application/problem+json"


def _count(ws) -> int:
    with schema_context(ws.schema):
        return Contact.objects.count()


def test_contact_crud(api, alpha):
    created = api.post(
        "/api/v1/contacts/",
        {
            "first_name": "Ann",
            "email": " ANN@example.com ",
            "phone": "(512) 555-0100",
            "tags": ["VIP", "vip "],
            "region": "TX",
            "country": "us",
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["email"] == "ann@example.com" and body["phone"] == "+15125550100"
    assert body["tags"] == ["vip"] and body["timezone"] == "America/Chicago"
    url = f"/api/v1/contacts/{body['id']}/"
    assert api.get(url).json()["first_name"] == "Ann"
    patched = api.patch(url, {"last_name": "Lee"})
    assert patched.status_code == 200 and patched.json()["full_name"] == "Ann Lee"
    assert api.delete(url).status_code == 204
    assert api.get(url).status_code == 404


def test_invalid_email_and_phone_is_400_with_field_errors_and_nothing_stored(api, alpha):
    before = _count(alpha)
    response = api.post("/api/v1/contacts/", {"first_name": "Bo", "email": "bo@", "phone": "12"})
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert set(body["errors"]) == {"email", "phone"}
    assert "not a valid email" in body["errors"]["email"][0]
    assert body["status"] == 400 and body["type"] == "urn:lodestar:problem:invalid"
    assert _count(alpha) == before


def test_unknown_field_and_wrong_types_are_400(api, alpha):
    response = api.post("/api/v1/contacts/", {"first_name": "Cy", "favourite_colour": "red"})
    assert response.status_code == 400
    assert response.json()["errors"] == {"favourite_colour": ["Unknown field."]}
    response = api.post("/api/v1/contacts/", {"first_name": "Cy", "tags": "notalist"})
    assert response.status_code == 400 and "tags" in response.json()["errors"]
    response = api.post("/api/v1/contacts/", {"first_name": "Cy", "company": "abc"})
    assert response.status_code == 400 and "company" in response.json()["errors"]
    response = api.post("/api/v1/contacts/", ["not", "an", "object"])
    assert response.status_code == 400 and "non_field_errors" in response.json()["errors"]
    response = api.post("/api/v1/contacts/", "{broken", content_type="application/json")
    assert response.status_code == 400 and response["Content-Type"] == PROBLEM
    response = api.post("/api/v1/contacts/", {})
    assert response.status_code == 400  # a contact needs a name, email, phone or PSID
    assert _count(alpha) == 0


def test_patch_bad_phone_changes_nothing(api, alpha):
    contact_id = api.post("/api/v1/contacts/", {"first_name": "Di", "phone": "5125550100"}).json()[
        "id"
    ]
    response = api.patch(f"/api/v1/contacts/{contact_id}/", {"first_name": "X", "phone": "1"})
    assert response.status_code == 400
    with schema_context(alpha.schema):
        contact = Contact.objects.get(pk=contact_id)
        assert (contact.first_name, contact.phone) == ("Di", "+15125550100")


def test_custom_fields_values_and_filters(api, alpha):
    with schema_context(alpha.schema):
        custom_field_define(
            entity="contact", label="Region", field_type="choice", choices=["north", "south"]
        )
        custom_field_define(entity="contact", label="Budget", field_type="number")
    bad = api.post("/api/v1/contacts/", {"first_name": "E", "custom": {"region": "west"}})
    assert bad.status_code == 400 and "custom.region" in bad.json()["errors"]
    for name, region, budget in [("N1", "North", 100), ("N2", "north", 9000), ("S1", "south", 50)]:
        response = api.post(
            "/api/v1/contacts/",
            {"first_name": name, "custom": {"region": region, "budget": budget}},
        )
        assert response.status_code == 201, response.content

    def names(query: str) -> list[str]:
        response = api.get(f"/api/v1/contacts/?{query}&ordering=id")
        assert response.status_code == 200, response.content
        return [c["first_name"] for c in response.json()["results"]]

    assert names("custom.region=north") == ["N1", "N2"]
    assert names("custom__region=SOUTH") == ["S1"]
    assert names("custom.budget__gte=100") == ["N1", "N2"]
    assert names("custom__budget__lt=100") == ["S1"]
    assert names("custom.region=north&custom.budget__gt=500") == ["N2"]
    assert names("custom.region__in=north,south&custom.budget__lte=100") == ["N1", "S1"]
    assert names("custom.budget__isnull=true") == []
    bad = api.get("/api/v1/contacts/?custom.nope=1")
    assert bad.status_code == 400 and "custom.nope" in bad.json()["errors"]
    bad = api.get("/api/v1/contacts/?custom.budget__gte=lots")
    assert (
        bad.status_code == 400 and "not a number" in bad.json()["errors"]["custom.budget__gte"][0]
    )


def test_search_filters_ordering_and_cursor_pagination(api):
    for index in range(5):
        api.post(
            "/api/v1/contacts/", {"first_name": f"P{index}", "source": "web" if index % 2 else "ad"}
        )
    assert api.get("/api/v1/contacts/?search=P3").json()["results"][0]["first_name"] == "P3"
    assert len(api.get("/api/v1/contacts/?source=web").json()["results"]) == 2
    page = api.get("/api/v1/contacts/?page_size=2&ordering=id").json()
    assert [c["first_name"] for c in page["results"]] == ["P0", "P1"]
    assert page["next"] and "cursor=" in page["next"]
    following = api.get(page["next"]).json()
    assert [c["first_name"] for c in following["results"]] == ["P2", "P3"]
    assert api.get("/api/v1/contacts/?cursor=garbage").status_code == 404
    assert api.get("/api/v1/contacts/?owner=notanumber").status_code == 400


def test_bulk_upsert_mixes_good_and_bad_rows(api, alpha):
    existing = api.post(
        "/api/v1/contacts/", {"first_name": "Old", "email": "old@example.com", "city": "Austin"}
    ).json()
    rows = [
        {"first_name": "New", "email": "new@example.com"},
        {"email": "OLD@example.com", "last_name": "Timer"},  # matches by normalised email
        {"first_name": "Bad", "phone": "12"},
        {"email": "old@example.com", "phone": "nope", "city": "Dallas"},  # bad update: no change
        {"first_name": "Typo", "emial": "x@example.com"},
        "not an object",
    ]
    response = api.post("/api/v1/contacts/bulk/", {"rows": rows})
    assert response.status_code == 200, response.content
    body = response.json()
    statuses = [(r["index"], r["status"]) for r in body["results"]]
    assert statuses == [
        (0, "created"),
        (1, "updated"),
        (2, "error"),
        (3, "error"),
        (4, "error"),
        (5, "error"),
    ]
    assert body["results"][1]["id"] == existing["id"]
    assert "phone" in body["results"][2]["errors"]
    assert body["results"][4]["errors"] == {"emial": ["Unknown field."]}
    assert (body["created"], body["updated"], body["error"]) == (1, 1, 4)
    with schema_context(alpha.schema):
        old = Contact.objects.get(pk=existing["id"])
        assert (old.last_name, old.city) == ("Timer", "Austin")
        assert not Contact.objects.filter(first_name="Bad").exists()


def test_bulk_matches_by_phone_across_formats(api):
    api.post("/api/v1/contacts/", {"first_name": "Ph", "phone": "+1 512 555 0199"})
    body = api.post("/api/v1/contacts/bulk/", [{"phone": "(512) 555-0199", "city": "Waco"}]).json()
    assert body["results"][0]["status"] == "updated"


def test_bulk_over_limit_is_413_and_stores_nothing(api, alpha):
    rows = [{"first_name": f"R{i}"} for i in range(bulk_max_rows() + 1)]
    response = api.post("/api/v1/contacts/bulk/", {"rows": rows})
    assert response.status_code == 413
    assert response["Content-Type"] == PROBLEM
    assert "At most 1000 rows" in response.json()["detail"]
    assert _count(alpha) == 0
    assert api.post("/api/v1/contacts/bulk/", {"rows": []}).status_code == 400
    assert api.post("/api/v1/contacts/bulk/", {"rows": "x"}).status_code == 400


def test_companies_crud(api, alpha):
    created = api.post("/api/v1/companies/", {"name": "Acme", "domain": "www.Acme.com"})
    assert created.status_code == 201, created.content
    company_id = created.json()["id"]
    assert created.json()["domain"] == "acme.com"
    assert (
        api.patch(f"/api/v1/companies/{company_id}/", {"industry": "Roofing"}).json()["industry"]
        == "Roofing"
    )
    assert api.post("/api/v1/companies/", {"domain": "x.com"}).status_code == 400
    contact = api.post("/api/v1/contacts/", {"first_name": "W", "company": company_id})
    assert contact.status_code == 201 and contact.json()["company"] == company_id
    assert api.delete(f"/api/v1/companies/{company_id}/").status_code == 204
    with schema_context(alpha.schema):
        assert not Company.objects.filter(pk=company_id).exists()


def _identity_ready() -> bool:
    try:
        from crm.contacts import identity
    except ImportError:
        return False
    return hasattr(identity, "contact_merge")


def test_merge_validates_input(api):
    survivor = api.post("/api/v1/contacts/", {"first_name": "S"}).json()["id"]
    url = f"/api/v1/contacts/{survivor}/merge/"
    assert api.post(url, {"duplicate_id": survivor}).status_code in (400, 501)
    assert api.post(url, {"duplicate_id": "x"}).status_code == 400
    assert api.post(url, {"duplicate_id": 999999}).status_code == 400


@pytest.mark.skipif(
    not _identity_ready(),
    reason="crm.contacts.identity.contact_merge is not written yet (identity engineer)",
)
def test_merge_contacts(api, alpha):
    survivor = api.post("/api/v1/contacts/", {"first_name": "S", "email": "s@example.com"}).json()
    duplicate = api.post("/api/v1/contacts/", {"first_name": "S", "phone": "5125550111"}).json()
    response = api.post(
        f"/api/v1/contacts/{survivor['id']}/merge/", {"duplicate_id": duplicate["id"]}
    )
    assert response.status_code == 200, response.content
    assert response.json()["id"] == survivor["id"]
    assert api.get(f"/api/v1/contacts/{duplicate['id']}/").status_code == 404


def test_export_is_501_until_implemented_or_streams_csv(api):
    api.post("/api/v1/contacts/", {"first_name": "Exp", "source": "web"})
    api.post("/api/v1/contacts/", {"first_name": "Other", "source": "ad"})
    response = api.get("/api/v1/contacts/export.csv?source=web")
    if response.status_code == 501:
        pytest.skip("crm.csvexport.csv_export is not written yet (CSV engineer)")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv") and response.streaming
    text = b"".join(response.streaming_content).decode()
    assert "Exp" in text and "Other" not in text
