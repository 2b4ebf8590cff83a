"""Leads: create (contact by id or by identity), transitions, conversion, bulk, query counts."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from crm.contacts.models import Contact
from crm.leads.models import Lead

PROBLEM = "application/problem+json"


def _lead(api, **fields) -> dict:
    payload = {"contact": {"first_name": "Lee", "email": "lee@example.com"}, **fields}
    response = api.post("/api/v1/leads/", payload)
    assert response.status_code == 201, response.content
    return response.json()


def test_lead_crud_with_contact_by_identity(api, alpha):
    lead = _lead(api, source="web", estimated_value="1200.50")
    assert lead["status"] == "new" and lead["contact"]["email"] == "lee@example.com"
    assert "contacted" in lead["allowed_transitions"]
    again = _lead(api, contact={"email": "LEE@example.com"})  # same person, second lead
    assert again["contact"]["id"] == lead["contact"]["id"]
    by_id = api.post("/api/v1/leads/", {"contact": lead["contact"]["id"], "interest": "roof"})
    assert by_id.status_code == 201 and by_id.json()["contact"]["id"] == lead["contact"]["id"]
    url = f"/api/v1/leads/{lead['id']}/"
    assert api.patch(url, {"campaign": "spring"}).json()["campaign"] == "spring"
    assert api.get("/api/v1/leads/?source=web").json()["results"][0]["id"] == lead["id"]
    assert api.get("/api/v1/leads/?search=lee@").json()["results"]
    assert api.delete(url).status_code == 204
    assert api.get(url).status_code == 404


def test_lead_bad_input_stores_nothing(api, alpha):
    response = api.post(
        "/api/v1/leads/", {"contact": {"first_name": "Z", "phone": "123"}, "source": "web"}
    )
    assert response.status_code == 400
    assert "contact.phone" in response.json()["errors"]
    response = api.post(
        "/api/v1/leads/", {"contact": {"first_name": "Z"}, "estimated_value": "lots"}
    )
    assert response.status_code == 400 and "estimated_value" in response.json()["errors"]
    response = api.post("/api/v1/leads/", {"contact": 999999})
    assert response.status_code == 400 and "contact" in response.json()["errors"]
    response = api.post("/api/v1/leads/", {"contact": {"first_name": "Z"}, "status": "won"})
    assert "transition" in response.json()["errors"]["status"][0]
    with schema_context(alpha.schema):
        assert Lead.objects.count() == 0 and Contact.objects.count() == 0


def test_patch_cannot_change_status(api):
    lead = _lead(api)
    response = api.patch(f"/api/v1/leads/{lead['id']}/", {"status": "qualified"})
    assert response.status_code == 400
    assert "transition" in response.json()["errors"]["status"][0]


def test_transitions_and_illegal_moves(api):
    lead = _lead(api)
    url = f"/api/v1/leads/{lead['id']}/transition/"
    moved = api.post(url, {"to": "contacted"})
    assert moved.status_code == 200 and moved.json()["status"] == "contacted"
    assert moved.json()["first_response_at"]
    illegal = api.post(url, {"to": "new"})
    assert illegal.status_code == 409
    assert illegal["Content-Type"] == PROBLEM
    body = illegal.json()
    assert body["allowed"] == ["disqualified", "engaged", "lost", "qualified"]
    assert body["current_status"] == "contacted" and "cannot become new" in body["detail"]
    needs_reason = api.post(url, {"to": "lost"})
    assert needs_reason.status_code == 400 and "reason" in needs_reason.json()["errors"]
    unknown = api.post(url, {"to": "won"})
    assert unknown.status_code == 400 and "to" in unknown.json()["errors"]
    to_convert = api.post(url, {"to": "converted"})
    assert to_convert.status_code == 400 and "convert" in to_convert.json()["detail"]
    lost = api.post(url, {"to": "lost", "reason": "went quiet"})
    assert lost.json()["lost_reason"] == "went quiet"


def test_convert(api, alpha):
    lead = _lead(api, estimated_value="900")
    convert_url = f"/api/v1/leads/{lead['id']}/convert/"
    early = api.post(convert_url, {})
    assert early.status_code == 409 and "qualified" in early.json()["allowed"]
    api.post(f"/api/v1/leads/{lead['id']}/transition/", {"to": "qualified"})
    response = api.post(convert_url, {"deal_name": "Roof job"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "converted" and body["converted_deal"]
    deal = api.get(f"/api/v1/deals/{body['converted_deal']}/").json()
    assert deal["name"] == "Roof job" and deal["amount"] == "900.00"


def test_bulk_leads(api, alpha):
    existing = _lead(api)
    rows = [
        {"contact": {"first_name": "A", "email": "a@example.com"}, "source": "fb"},
        {"contact": {"email": "lee@example.com"}, "interest": "solar"},  # existing contact
        {"id": existing["id"], "campaign": "relaunch"},
        {"id": existing["id"], "estimated_value": "-5"},  # invalid: existing lead untouched
        {"contact": {"phone": "1"}},
        {"source": "no contact"},
    ]
    body = api.post("/api/v1/leads/bulk/", {"rows": rows}).json()
    assert [r["status"] for r in body["results"]] == [
        "created",
        "created",
        "updated",
        "error",
        "error",
        "error",
    ]
    assert "contact.phone" in body["results"][4]["errors"]
    with schema_context(alpha.schema):
        lead = Lead.objects.get(pk=existing["id"])
        assert lead.campaign == "relaunch" and lead.estimated_value is None
        assert Contact.objects.filter(email="lee@example.com").count() == 1
        assert not Contact.objects.filter(phone="1").exists()


def test_list_query_count_is_constant(api, alpha):
    def make(count: int) -> None:
        with schema_context(alpha.schema):
            contacts = Contact.objects.bulk_create(
                [Contact(first_name=f"C{i}") for i in range(count)]
            )
            Lead.objects.bulk_create([Lead(contact=c, source="bench") for c in contacts])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = api.get("/api/v1/leads/?page_size=50")
        assert response.status_code == 200
        return len(captured), len(response.json()["results"])

    api.get("/api/v1/leads/")  # records the key's first use, which is a write
    make(5)
    few, rows_few = queries()
    make(45)
    many, rows_many = queries()
    assert (rows_few, rows_many) == (5, 50)
    assert few == many, f"{few} queries for 5 leads, {many} for 50"
