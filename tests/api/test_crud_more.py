"""The rest of the CRUD: PUT (full replace) on contacts, companies, leads, deals and tasks;
editing and deleting activities and tasks; scopes and workspace isolation for the new verbs."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from crm.activities.models import Activity, Task
from crm.audit.models import AuditEvent
from crm.contacts.models import Company, Contact
from crm.customfields.models import CustomFieldDefinition
from crm.customfields.services import custom_field_define
from crm.deals.models import Deal, Pipeline, Stage
from crm.leads.models import Lead

PROBLEM = "application/problem+json"


def _problem(response, status: int, *fields: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith(PROBLEM)
    body = response.json()
    for field in fields:
        assert field in body["errors"], body
    return body


# --- PUT: full replace ----------------------------------------------------------------------


def test_contact_put_replaces_every_field(api, alpha):
    with schema_context(alpha.schema):
        custom_field_define(entity="contact", label="Region code", field_type="text")
    created = api.post(
        "/api/v1/contacts/",
        {
            "first_name": "Ann", "last_name": "Lee", "email": "ann@example.com",
            "city": "Austin", "tags": ["vip"], "custom": {"region_code": "tx"},
        },
    )  # fmt: skip
    assert created.status_code == 201, created.content
    url = f"/api/v1/contacts/{created.json()['id']}/"
    replaced = api.put(url, {"first_name": "Annie", "phone": "(512) 555-0100"})
    assert replaced.status_code == 200, replaced.content
    body = replaced.json()
    assert (body["first_name"], body["phone"]) == ("Annie", "+15125550100")
    # Left out: back to what a new contact gets.
    assert (body["last_name"], body["email"], body["city"]) == ("", "", "")
    assert body["tags"] == [] and body["custom"] == {}
    assert body["lifecycle_stage"] == "prospect"
    with schema_context(alpha.schema):
        fields = set(
            AuditEvent.objects.filter(
                entity_type="contact", entity_id=body["id"], action="update", source="api"
            ).values_list("field", flat=True)
        )
    assert {"first_name", "last_name", "email", "phone", "city", "tags", "custom"} <= fields


def test_contact_put_bad_input_changes_nothing(api, alpha):
    contact = api.post("/api/v1/contacts/", {"first_name": "Bo", "city": "Waco"}).json()
    url = f"/api/v1/contacts/{contact['id']}/"
    _problem(api.put(url, {"first_name": "Bob", "email": "bo@"}), 400, "email")
    _problem(api.put(url, {"first_name": "Bob", "colour": "red"}), 400, "colour")
    # Nothing that identifies a person is left: refused as a whole.
    _problem(api.put(url, {"city": "Austin"}), 400, "non_field_errors")
    with schema_context(alpha.schema):
        stored = Contact.objects.get(pk=contact["id"])
        assert (stored.first_name, stored.city) == ("Bo", "Waco")


def test_put_enforces_required_custom_fields(api, alpha):
    with schema_context(alpha.schema):
        custom_field_define(entity="lead", label="Roof", field_type="text", required=True)
    lead = api.post("/api/v1/leads/", {"contact": {"first_name": "R"}, "custom": {"roof": "tile"}})
    assert lead.status_code == 201, lead.content
    url = f"/api/v1/leads/{lead.json()['id']}/"
    assert api.patch(url, {"campaign": "spring"}).status_code == 200  # partial: fine
    _problem(api.put(url, {"campaign": "x"}), 400, "custom.roof")
    with schema_context(alpha.schema):
        assert Lead.objects.get(pk=lead.json()["id"]).custom == {"roof": "tile"}
    replaced = api.put(url, {"interest": "Roof", "custom": {"roof": "metal"}})
    assert replaced.status_code == 200, replaced.content
    body = replaced.json()
    assert body["custom"] == {"roof": "metal"}
    assert (body["campaign"], body["interest"], body["status"]) == ("", "Roof", "new")


def test_lead_put_keeps_status_and_contact_out(api):
    lead = api.post("/api/v1/leads/", {"contact": {"first_name": "S"}}).json()
    url = f"/api/v1/leads/{lead['id']}/"
    body = _problem(api.put(url, {"status": "won"}), 400, "status")
    assert "transition" in body["errors"]["status"][0]
    body = _problem(api.put(url, {"contact": 1}), 400, "contact")
    assert "cannot change" in body["errors"]["contact"][0]


def test_company_put(api, alpha):
    company = api.post(
        "/api/v1/companies/", {"name": "Acme", "industry": "Roofing", "city": "Austin"}
    ).json()
    url = f"/api/v1/companies/{company['id']}/"
    _problem(api.put(url, {"industry": "Solar"}), 400, "name")
    replaced = api.put(url, {"name": "Acme Roofing", "domain": "www.Acme.com"})
    assert replaced.status_code == 200, replaced.content
    body = replaced.json()
    assert (body["name"], body["domain"], body["industry"], body["city"]) == (
        "Acme Roofing", "acme.com", "", "",
    )  # fmt: skip


def test_deal_put(api, alpha):
    deal = api.post("/api/v1/deals/", {"name": "Roof", "amount": "5000", "currency": "EUR"}).json()
    url = f"/api/v1/deals/{deal['id']}/"
    _problem(api.put(url, {"amount": "10"}), 400, "name")
    _problem(api.put(url, {"name": "Roof", "stage": deal["stage"]}), 400, "stage")
    _problem(api.put(url, {"name": "Roof", "amount": "-1"}), 400, "amount")
    with schema_context(alpha.schema):
        assert Deal.objects.get(pk=deal["id"]).amount == 5000
    replaced = api.put(url, {"name": "New roof", "amount": "7000.00"})
    assert replaced.status_code == 200, replaced.content
    body = replaced.json()
    assert (body["name"], body["amount"], body["currency"]) == ("New roof", "7000.00", "USD")
    assert body["stage"] == deal["stage"]  # the stage moves only through move/


def test_task_put_and_patch_and_delete(api, alpha):
    contact = api.post("/api/v1/contacts/", {"first_name": "T"}).json()
    task = api.post(
        "/api/v1/tasks/",
        {"title": "Call", "notes": "n", "priority": 4, "contact": contact["id"]},
    ).json()
    url = f"/api/v1/tasks/{task['id']}/"
    patched = api.patch(url, {"title": "Call back", "due_at": "2026-12-01T15:00:00Z"})
    assert patched.status_code == 200, patched.content
    assert patched.json()["priority"] == 4 and patched.json()["notes"] == "n"
    _problem(api.patch(url, {"priority": 9}), 400, "priority")
    _problem(api.patch(url, {"title": "  "}), 400, "title")
    _problem(api.patch(url, {"done": True}), 400, "done")
    _problem(api.put(url, {"notes": "no title"}), 400, "title")
    with schema_context(alpha.schema):
        stored = Task.objects.get(pk=task["id"])
        assert (stored.title, stored.priority) == ("Call back", 4)
    replaced = api.put(url, {"title": "Email"})
    assert replaced.status_code == 200, replaced.content
    body = replaced.json()
    assert (body["title"], body["notes"], body["priority"]) == ("Email", "", 2)
    assert body["contact"] is None and body["due_at"] is None
    with schema_context(alpha.schema):
        assert AuditEvent.objects.filter(
            entity_type="task", entity_id=task["id"], field="title", source="api"
        ).exists()
    assert api.delete(url).status_code == 204
    assert api.get(url).status_code == 404
    with schema_context(alpha.schema):
        assert (
            AuditEvent.objects.filter(
                entity_type="task", entity_id=task["id"], action="delete", source="api"
            ).count()
            == 1
        )


# --- activities -------------------------------------------------------------------------------


def test_activity_edit_and_delete(api, alpha):
    contact = api.post("/api/v1/contacts/", {"first_name": "A"}).json()
    note = api.post(
        "/api/v1/activities/", {"kind": "note", "body": "first", "contact": contact["id"]}
    ).json()
    url = f"/api/v1/activities/{note['id']}/"
    edited = api.patch(
        url,
        {"subject": " Visit ", "body": "corrected", "occurred_at": "2026-03-01T10:00:00Z",
         "duration_seconds": 600},
    )  # fmt: skip
    assert edited.status_code == 200, edited.content
    body = edited.json()
    assert (body["subject"], body["body"], body["duration_seconds"]) == ("Visit", "corrected", 600)
    assert body["occurred_at"].startswith("2026-03-01T10:00:00")
    _problem(api.patch(url, {"body": ""}), 400, "body")  # a note needs text
    _problem(api.patch(url, {"kind": "call"}), 400, "kind")
    _problem(api.patch(url, {"duration_seconds": -5}), 400, "duration_seconds")
    _problem(api.patch(url, {"occurred_at": None}), 400, "occurred_at")
    assert api.put(url, {"body": "x"}).status_code == 405
    with schema_context(alpha.schema):
        assert Activity.objects.get(pk=note["id"]).body == "corrected"
        assert AuditEvent.objects.filter(
            entity_type="activity", entity_id=note["id"], field="body", source="api"
        ).exists()
    assert api.delete(url).status_code == 204
    with schema_context(alpha.schema):
        assert not Activity.objects.filter(pk=note["id"]).exists()


def test_system_activities_are_immutable(api, alpha):
    lead = api.post("/api/v1/leads/", {"contact": {"first_name": "S"}}).json()
    moved = api.post(f"/api/v1/leads/{lead['id']}/transition/", {"to": "contacted"})
    assert moved.status_code == 200, moved.content
    listed = api.get(f"/api/v1/activities/?lead={lead['id']}&kind=system").json()["results"]
    assert listed, "a status change leaves a system activity"
    system = listed[0]
    url = f"/api/v1/activities/{system['id']}/"
    body = _problem(api.patch(url, {"body": "rewritten"}), 409, "kind")
    assert body["type"] == "urn:lodestar:problem:conflict"
    assert "System activities" in body["detail"]
    _problem(api.delete(url), 409, "kind")
    with schema_context(alpha.schema):
        assert Activity.objects.get(pk=system["id"]).body == system["body"]


# --- scopes and isolation ---------------------------------------------------------------------


@pytest.fixture
def alpha_records(api) -> dict[str, int]:
    contact = api.post("/api/v1/contacts/", {"first_name": "Keep", "email": "keep@alpha.test"})
    made = {
        "contacts": contact,
        "companies": api.post("/api/v1/companies/", {"name": "Keep Co"}),
        "leads": api.post("/api/v1/leads/", {"contact": contact.json()["id"]}),
        "deals": api.post("/api/v1/deals/", {"name": "Keep deal"}),
        "activities": api.post(
            "/api/v1/activities/",
            {"kind": "note", "body": "Keep", "contact": contact.json()["id"]},
        ),
        "tasks": api.post("/api/v1/tasks/", {"title": "Keep task"}),
        "customfields": api.post(
            "/api/v1/customfields/", {"entity": "deal", "label": "Keep", "field_type": "text"}
        ),
    }
    for name, response in made.items():
        assert response.status_code == 201, (name, response.content)
    return {name: response.json()["id"] for name, response in made.items()}


WRITES = {
    "contacts": ({"first_name": "Changed"}, True),
    "companies": ({"name": "Changed"}, True),
    "leads": ({"campaign": "Changed"}, True),
    "deals": ({"name": "Changed"}, True),
    "activities": ({"body": "Changed"}, False),
    "tasks": ({"title": "Changed"}, True),
    "customfields": ({"label": "Changed"}, False),
}


def test_read_only_key_cannot_put_patch_or_delete(alpha, client_for, alpha_records):
    reader = client_for(alpha, [f"{r}:read" for r in (*WRITES, "pipelines")])
    for resource, pk in alpha_records.items():
        url = f"/api/v1/{resource}/{pk}/"
        body, has_put = WRITES[resource]
        assert reader.get(url).status_code == 200
        response = reader.patch(url, body)
        assert response.status_code == 403, resource
        assert f"{resource}:write" in response.json()["detail"]
        if has_put:
            assert reader.put(url, body).status_code == 403, resource
        if resource != "customfields":
            assert reader.delete(url).status_code == 403, resource
    pipeline = reader.get("/api/v1/pipelines/").json()[0]
    assert reader.patch(f"/api/v1/pipelines/{pipeline['id']}/", {"name": "X"}).status_code == 403
    stage = pipeline["stages"][0]["id"]
    stage_url = f"/api/v1/pipelines/{pipeline['id']}/stages/{stage}/"
    assert reader.patch(stage_url, {"name": "X"}).status_code == 403
    assert reader.delete(stage_url).status_code == 403
    with schema_context(alpha.schema):
        assert Contact.objects.get(pk=alpha_records["contacts"]).first_name == "Keep"
        assert Company.objects.get(pk=alpha_records["companies"]).name == "Keep Co"
        assert Task.objects.get(pk=alpha_records["tasks"]).title == "Keep task"
        assert Activity.objects.filter(pk=alpha_records["activities"]).exists()
        assert Deal.objects.filter(pk=alpha_records["deals"]).exists()


def test_a_key_with_another_resources_scope_cannot_write(alpha, client_for, alpha_records):
    contacts_only = client_for(alpha, ["contacts:write"])
    url = f"/api/v1/tasks/{alpha_records['tasks']}/"
    assert contacts_only.put(url, {"title": "x"}).status_code == 403
    assert contacts_only.delete(url).status_code == 403


def test_beta_ids_are_404_for_every_new_write(api, alpha, beta, beta_api):
    """Alpha's key never reaches beta's records, whatever the verb."""
    contact = beta_api.post("/api/v1/contacts/", {"first_name": "Beta"}).json()
    made = {
        "contacts": contact,
        "companies": beta_api.post("/api/v1/companies/", {"name": "Beta Co"}).json(),
        "leads": beta_api.post("/api/v1/leads/", {"contact": contact["id"]}).json(),
        "deals": beta_api.post("/api/v1/deals/", {"name": "Beta deal"}).json(),
        "activities": beta_api.post(
            "/api/v1/activities/", {"kind": "note", "body": "Beta", "contact": contact["id"]}
        ).json(),
        "tasks": beta_api.post("/api/v1/tasks/", {"title": "Beta task"}).json(),
        "customfields": beta_api.post(
            "/api/v1/customfields/", {"entity": "lead", "label": "Beta f", "field_type": "text"}
        ).json(),
    }
    beta_ids = {name: record["id"] for name, record in made.items()}
    beta_pipeline = beta_api.post(
        "/api/v1/pipelines/", {"name": "Beta pipe", "stages": [{"name": "B1", "probability": 5}]}
    ).json()
    # Pick ids that do not exist in alpha, so a success would be a leak, not a coincidence.
    models = {
        "contacts": Contact, "companies": Company, "leads": Lead, "deals": Deal,
        "activities": Activity, "tasks": Task, "customfields": CustomFieldDefinition,
    }  # fmt: skip
    with schema_context(alpha.schema):
        free = {n: not m.objects.filter(pk=beta_ids[n]).exists() for n, m in models.items()}
    assert any(free.values())
    for resource, pk in beta_ids.items():
        if not free[resource]:
            continue
        url = f"/api/v1/{resource}/{pk}/"
        body, has_put = WRITES[resource]
        assert api.patch(url, body).status_code == 404, resource
        if has_put:
            assert api.put(url, body).status_code == 404, resource
        if resource != "customfields":  # definitions are archived, never deleted
            assert api.delete(url).status_code == 404, resource
    pipe_url = f"/api/v1/pipelines/{beta_pipeline['id']}/"
    stage_id = beta_pipeline["stages"][0]["id"]
    with schema_context(alpha.schema):
        pipe_free = not Pipeline.objects.filter(pk=beta_pipeline["id"]).exists()
        stage_free = not Stage.objects.filter(pk=stage_id).exists()
    if pipe_free:
        assert api.patch(pipe_url, {"name": "Hacked"}).status_code == 404
    alpha_pipeline = api.get("/api/v1/pipelines/").json()[0]["id"]
    if stage_free:  # beta's stage through alpha's own pipeline: not found either
        stage_url = f"/api/v1/pipelines/{alpha_pipeline}/stages/{stage_id}/"
        assert api.patch(stage_url, {"name": "Hacked"}).status_code == 404
        assert api.delete(stage_url).status_code == 404
    with schema_context(beta.schema):
        assert Contact.objects.get(pk=beta_ids["contacts"]).first_name == "Beta"
        assert Company.objects.get(pk=beta_ids["companies"]).name == "Beta Co"
        assert Lead.objects.get(pk=beta_ids["leads"]).campaign == ""
        assert Deal.objects.get(pk=beta_ids["deals"]).name == "Beta deal"
        assert Activity.objects.get(pk=beta_ids["activities"]).body == "Beta"
        assert Task.objects.get(pk=beta_ids["tasks"]).title == "Beta task"
        assert CustomFieldDefinition.objects.get(pk=beta_ids["customfields"]).label == "Beta f"
        assert Pipeline.objects.get(pk=beta_pipeline["id"]).name == "Beta pipe"
        assert Stage.objects.get(pk=stage_id).name == "B1"
    with schema_context(alpha.schema):
        assert not CustomFieldDefinition.objects.filter(label="Beta f").exists()
