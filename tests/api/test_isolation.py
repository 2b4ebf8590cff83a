"""Two workspaces: beta's records are invisible to alpha through every endpoint."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from crm.activities.models import Activity, Task
from crm.contacts.models import Company, Contact
from crm.customfields.models import CustomFieldDefinition
from crm.deals.models import Deal, Pipeline
from crm.leads.models import Lead


@pytest.fixture
def beta_records(beta_api) -> dict[str, int]:
    """One of everything in beta, made through beta's API."""
    contact = beta_api.post("/api/v1/contacts/", {"first_name": "Beta", "email": "b@beta.test"})
    company = beta_api.post("/api/v1/companies/", {"name": "Beta Co"})
    lead = beta_api.post("/api/v1/leads/", {"contact": contact.json()["id"]})
    deal = beta_api.post("/api/v1/deals/", {"name": "Beta deal"})
    activity = beta_api.post(
        "/api/v1/activities/", {"kind": "call", "contact": contact.json()["id"]}
    )
    task = beta_api.post("/api/v1/tasks/", {"title": "Beta task"})
    field = beta_api.post(
        "/api/v1/customfields/", {"entity": "lead", "label": "Beta only", "field_type": "text"}
    )
    pipeline = beta_api.get("/api/v1/pipelines/").json()[0]
    made = {
        "contacts": contact,
        "companies": company,
        "leads": lead,
        "deals": deal,
        "activities": activity,
        "tasks": task,
        "customfields": field,
    }
    for name, response in made.items():
        assert response.status_code == 201, (name, response.content)
    return {**{k: v.json()["id"] for k, v in made.items()}, "pipelines": pipeline["id"]}


def _alpha_has_none_of(alpha, ids: dict[str, int]) -> None:
    models = {
        "contacts": Contact,
        "companies": Company,
        "leads": Lead,
        "deals": Deal,
        "activities": Activity,
        "tasks": Task,
        "customfields": CustomFieldDefinition,
    }
    with schema_context(alpha.schema):
        for name, model in models.items():
            # Sequences are per schema, so an id may exist in both: compare content instead.
            if name == "contacts":
                assert not model.objects.filter(email="b@beta.test").exists()


def test_beta_ids_are_404_on_alpha(api, alpha, beta_records):
    for resource, pk in beta_records.items():
        detail = api.get(f"/api/v1/{resource}/{pk}/")
        if detail.status_code == 200:  # the same id can exist in both schemas
            assert "Beta" not in detail.content.decode(), resource
        else:
            assert detail.status_code == 404, (resource, detail.status_code)
    listings = {r: api.get(f"/api/v1/{r}/").content.decode() for r in beta_records}
    for resource, text in listings.items():
        assert "Beta" not in text and "b@beta.test" not in text, resource
    _alpha_has_none_of(alpha, beta_records)


def test_alpha_cannot_write_beta_records(api, alpha, beta, beta_records):
    # Make sure the ids are free in alpha, so a hit would mean a leak.
    with schema_context(alpha.schema):
        assert not Contact.objects.filter(pk=beta_records["contacts"]).exists()
        assert not Lead.objects.filter(pk=beta_records["leads"]).exists()
        assert not Deal.objects.filter(pk=beta_records["deals"]).exists()
    contact_url = f"/api/v1/contacts/{beta_records['contacts']}/"
    assert api.patch(contact_url, {"first_name": "Hacked"}).status_code == 404
    assert api.delete(contact_url).status_code == 404
    assert (
        api.post(
            f"/api/v1/leads/{beta_records['leads']}/transition/", {"to": "contacted"}
        ).status_code
        == 404
    )
    assert api.post(f"/api/v1/leads/{beta_records['leads']}/convert/", {}).status_code == 404
    assert api.post(f"/api/v1/deals/{beta_records['deals']}/move/", {"stage": 1}).status_code == 404
    assert api.post(f"/api/v1/tasks/{beta_records['tasks']}/complete/", {}).status_code == 404
    # References to beta's records inside alpha's payloads are not found either.
    response = api.post("/api/v1/leads/", {"contact": beta_records["contacts"]})
    assert response.status_code == 400 and "contact" in response.json()["errors"]
    response = api.post(
        "/api/v1/contacts/", {"first_name": "A", "company": beta_records["companies"]}
    )
    assert response.status_code == 400 and "company" in response.json()["errors"]
    alpha_contact = api.post("/api/v1/contacts/", {"first_name": "Alpha"}).json()["id"]
    merge = api.post(
        f"/api/v1/contacts/{alpha_contact}/merge/", {"duplicate_id": beta_records["contacts"]}
    )
    assert merge.status_code in (400, 501)
    bulk = api.post("/api/v1/leads/bulk/", [{"id": beta_records["leads"], "campaign": "x"}])
    assert bulk.json()["results"][0]["status"] == "error"
    with schema_context(beta.schema):
        assert Contact.objects.get(pk=beta_records["contacts"]).first_name == "Beta"
        assert Lead.objects.get(pk=beta_records["leads"]).status == "new"
        assert Lead.objects.get(pk=beta_records["leads"]).campaign == ""
    with schema_context(alpha.schema):
        assert not Pipeline.objects.filter(name="Beta").exists()


def test_custom_field_filter_uses_own_definitions(api, beta_records):
    response = api.get("/api/v1/leads/?custom.beta_only=x")
    assert response.status_code == 400 and "custom.beta_only" in response.json()["errors"]


def test_export_is_per_workspace(api, beta_records):
    response = api.get("/api/v1/contacts/export.csv")
    if response.status_code == 501:
        pytest.skip("crm.csvexport.csv_export is not written yet (CSV engineer)")
    assert "b@beta.test" not in b"".join(response.streaming_content).decode()
