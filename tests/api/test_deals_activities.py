"""Pipelines, deals and stage moves; activities, tasks and custom field definitions."""

from __future__ import annotations

from django_tenants.utils import schema_context

from crm.deals.models import Deal, DealStageChange


def _stages(api) -> dict[str, int]:
    pipelines = api.get("/api/v1/pipelines/").json()
    default = next(p for p in pipelines if p["is_default"])
    return {s["name"]: s["id"] for s in default["stages"]}


def test_pipelines(api):
    assert "Won" in _stages(api)
    created = api.post(
        "/api/v1/pipelines/",
        {
            "name": "Renewals",
            "stages": [
                {"name": "Due", "probability": 50},
                {"name": "Renewed", "probability": 100, "is_won": True},
            ],
        },
    )
    assert created.status_code == 201, created.content
    assert [s["name"] for s in created.json()["stages"]] == ["Due", "Renewed"]
    added = api.post(
        f"/api/v1/pipelines/{created.json()['id']}/stages/",
        {"name": "Lapsed", "probability": 0, "is_lost": True},
    )
    assert added.status_code == 201
    bad = api.post(
        "/api/v1/pipelines/", {"name": "X", "stages": [{"name": "Y", "probability": 300}]}
    )
    assert bad.status_code == 400 and "stages.0.probability" in bad.json()["errors"]


def test_deal_crud_and_moves(api, alpha):
    stages = _stages(api)
    created = api.post("/api/v1/deals/", {"name": "Big roof", "amount": "5000"})
    assert created.status_code == 201, created.content
    deal = created.json()
    assert deal["stage"] == stages["New"]
    url = f"/api/v1/deals/{deal['id']}/"
    assert api.patch(url, {"amount": "6000.00"}).json()["amount"] == "6000.00"
    no_stage_patch = api.patch(url, {"stage": stages["Won"]})
    assert (
        no_stage_patch.status_code == 400 and "move" in no_stage_patch.json()["errors"]["stage"][0]
    )
    moved = api.post(f"{url}move/", {"stage": stages["Proposal"]})
    assert moved.status_code == 200 and moved.json()["stage"] == stages["Proposal"]
    lost = api.post(f"{url}move/", {"stage": stages["Lost"]})
    assert lost.status_code == 400 and "lost_reason" in lost.json()["errors"]
    lost = api.post(f"{url}move/", {"stage": stages["Lost"], "lost_reason": "price"})
    assert lost.status_code == 200 and lost.json()["closed_at"]
    assert api.post(f"{url}move/", {"stage": 999999}).status_code == 400
    with schema_context(alpha.schema):
        assert DealStageChange.objects.filter(deal_id=deal["id"]).count() == 3
    assert (
        api.get(f"/api/v1/deals/?stage={stages['Lost']}").json()["results"][0]["id"] == deal["id"]
    )
    assert api.get("/api/v1/deals/?is_open=true").json()["results"] == []
    assert api.post("/api/v1/deals/", {"name": "", "amount": "-1"}).status_code == 400
    assert api.delete(url).status_code == 204
    with schema_context(alpha.schema):
        assert not Deal.objects.filter(pk=deal["id"]).exists()


def test_activities_and_tasks(api):
    contact = api.post("/api/v1/contacts/", {"first_name": "T"}).json()
    logged = api.post(
        "/api/v1/activities/",
        {"kind": "call", "direction": "outbound", "contact": contact["id"], "duration_seconds": 60},
    )
    assert logged.status_code == 201, logged.content
    assert (
        api.get(f"/api/v1/activities/?contact={contact['id']}").json()["results"][0]["kind"]
        == "call"
    )
    assert api.post("/api/v1/activities/", {"kind": "note", "body": "x"}).status_code == 400
    assert (
        api.post("/api/v1/activities/", {"kind": "fax", "contact": contact["id"]}).status_code
        == 400
    )
    task = api.post(
        "/api/v1/tasks/", {"title": "Call back", "contact": contact["id"], "priority": 3}
    )
    assert task.status_code == 201, task.content
    done = api.post(f"/api/v1/tasks/{task.json()['id']}/complete/", {})
    assert done.status_code == 200 and done.json()["done"] is True
    assert api.get("/api/v1/tasks/?done=false").json()["results"] == []
    assert api.post("/api/v1/tasks/", {"title": "x", "priority": 9}).status_code == 400


def test_custom_field_definitions(api):
    created = api.post(
        "/api/v1/customfields/", {"entity": "lead", "label": "Roof age", "field_type": "number"}
    )
    assert created.status_code == 201 and created.json()["key"] == "roof_age"
    duplicate = api.post(
        "/api/v1/customfields/", {"entity": "lead", "label": "Roof age", "field_type": "number"}
    )
    assert duplicate.status_code == 400 and "key" in duplicate.json()["errors"]
    assert (
        api.post(
            "/api/v1/customfields/", {"entity": "lead", "label": "T", "field_type": "choice"}
        ).status_code
        == 400
    )
    assert [f["key"] for f in api.get("/api/v1/customfields/?entity=lead").json()["results"]] == [
        "roof_age"
    ]
    lead = api.post(
        "/api/v1/leads/", {"contact": {"first_name": "R"}, "custom": {"roof_age": "12"}}
    )
    assert lead.status_code == 201 and lead.json()["custom"] == {"roof_age": 12}
    assert api.get("/api/v1/leads/?custom.roof_age__gte=10").json()["results"]
