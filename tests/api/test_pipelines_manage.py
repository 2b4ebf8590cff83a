"""Managing pipelines and stages through the API: rename, reorder, probability, won/lost
flags, the default pipeline, archiving, deleting unused stages."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from crm.audit.models import AuditEvent
from crm.deals.models import Pipeline, Stage

PROBLEM = "application/problem+json"


@pytest.fixture
def pipeline(api) -> dict:
    created = api.post(
        "/api/v1/pipelines/",
        {
            "name": "Renewals",
            "stages": [
                {"name": "Due", "probability": 40},
                {"name": "Talking", "probability": 60},
                {"name": "Renewed", "probability": 100, "is_won": True},
                {"name": "Lapsed", "probability": 0, "is_lost": True},
            ],
        },
    )
    assert created.status_code == 201, created.content
    return created.json()


def _stage_ids(pipeline: dict) -> dict[str, int]:
    return {s["name"]: s["id"] for s in pipeline["stages"]}


def _default(api) -> dict:
    return next(p for p in api.get("/api/v1/pipelines/").json() if p["is_default"])


def test_rename_and_reposition_pipeline(api, alpha, pipeline):
    url = f"/api/v1/pipelines/{pipeline['id']}/"
    response = api.patch(url, {"name": " Renewals 2027 ", "position": 5})
    assert response.status_code == 200, response.content
    assert (response.json()["name"], response.json()["position"]) == ("Renewals 2027", 5)
    bad = api.patch(url, {"name": "", "position": -1})
    assert bad.status_code == 400 and {"name", "position"} <= set(bad.json()["errors"])
    assert bad["Content-Type"].startswith(PROBLEM)
    hint = api.patch(url, {"stages": []})
    assert hint.status_code == 400 and "/stages/" in hint.json()["errors"]["stages"][0]
    with schema_context(alpha.schema):
        assert Pipeline.objects.get(pk=pipeline["id"]).name == "Renewals 2027"
        event = AuditEvent.objects.get(
            entity_type="pipeline", entity_id=pipeline["id"], field="name"
        )
        assert (event.old_value, event.new_value, event.source) == (
            "Renewals", "Renewals 2027", "api",
        )  # fmt: skip


def test_make_another_pipeline_the_default(api, alpha, pipeline):
    old_default = _default(api)
    url = f"/api/v1/pipelines/{pipeline['id']}/"
    response = api.patch(url, {"is_default": True})
    assert response.status_code == 200 and response.json()["is_default"] is True
    pipelines = api.get("/api/v1/pipelines/").json()
    assert [p["id"] for p in pipelines if p["is_default"]] == [pipeline["id"]]
    # New deals land in the new default.
    deal = api.post("/api/v1/deals/", {"name": "Renewal"}).json()
    assert deal["pipeline"] == pipeline["id"]
    # The default is never simply switched off: make another pipeline the default.
    off = api.patch(url, {"is_default": False})
    assert off.status_code == 400 and "is_default" in off.json()["errors"]
    back = api.patch(f"/api/v1/pipelines/{old_default['id']}/", {"is_default": True})
    assert back.status_code == 200
    with schema_context(alpha.schema):
        assert list(Pipeline.objects.filter(is_default=True).values_list("pk", flat=True)) == [
            old_default["id"]
        ]
        assert (
            AuditEvent.objects.filter(
                entity_type="pipeline", field="is_default", source="api"
            ).count()
            == 4
        )  # two switches, two pipelines each


def test_archive_and_unarchive(api, alpha, pipeline):
    default_url = f"/api/v1/pipelines/{_default(api)['id']}/"
    refused = api.patch(default_url, {"archived": True})
    assert refused.status_code == 409, refused.content
    assert refused.json()["type"] == "urn:lodestar:problem:conflict"
    assert "default" in refused.json()["detail"]
    url = f"/api/v1/pipelines/{pipeline['id']}/"
    archived = api.patch(url, {"archived": True})
    assert archived.status_code == 200 and archived.json()["archived"] is True
    # An archived pipeline cannot become the default until it is brought back.
    assert api.patch(url, {"is_default": True}).status_code == 400
    both = api.patch(url, {"archived": False, "is_default": True})
    assert both.status_code == 200, both.content
    assert (both.json()["archived"], both.json()["is_default"]) == (False, True)
    assert api.delete(url).status_code == 405


def test_stage_update(api, alpha, pipeline):
    stages = _stage_ids(pipeline)
    base = f"/api/v1/pipelines/{pipeline['id']}/stages/"
    response = api.patch(f"{base}{stages['Due']}/", {"name": "Up for renewal", "probability": 35})
    assert response.status_code == 200, response.content
    assert (response.json()["name"], response.json()["probability"]) == ("Up for renewal", 35)
    both = api.patch(f"{base}{stages['Renewed']}/", {"is_lost": True})
    assert both.status_code == 400 and "is_won" in both.json()["errors"]
    assert "both won and lost" in both.json()["detail"]
    bad = api.patch(f"{base}{stages['Due']}/", {"probability": 101, "name": ""})
    assert bad.status_code == 400 and {"probability", "name"} <= set(bad.json()["errors"])
    hint = api.patch(f"{base}{stages['Due']}/", {"position": 0})
    assert hint.status_code == 400 and "order" in hint.json()["errors"]["position"][0]
    flipped = api.patch(f"{base}{stages['Renewed']}/", {"is_won": False, "is_lost": True})
    assert flipped.status_code == 200, flipped.content
    with schema_context(alpha.schema):
        renewed = Stage.objects.get(pk=stages["Renewed"])
        assert (renewed.is_won, renewed.is_lost) == (False, True)
        assert Stage.objects.get(pk=stages["Due"]).probability == 35
        assert (
            AuditEvent.objects.filter(
                entity_type="stage", entity_id=stages["Due"], source="api"
            ).count()
            == 2
        )  # name and probability


def test_stage_flags_do_not_change_under_deals(api, alpha, pipeline):
    stages = _stage_ids(pipeline)
    api.post("/api/v1/deals/", {"name": "In due", "stage": stages["Due"]})
    response = api.patch(
        f"/api/v1/pipelines/{pipeline['id']}/stages/{stages['Due']}/", {"is_won": True}
    )
    assert response.status_code == 409, response.content
    assert "1 deal(s)" in response.json()["detail"]
    with schema_context(alpha.schema):
        assert Stage.objects.get(pk=stages["Due"]).is_won is False


def test_stage_reorder(api, alpha, pipeline):
    stages = _stage_ids(pipeline)
    order = [stages["Talking"], stages["Due"], stages["Lapsed"], stages["Renewed"]]
    url = f"/api/v1/pipelines/{pipeline['id']}/stages/order/"
    response = api.post(url, {"stages": order})
    assert response.status_code == 200, response.content
    assert [s["id"] for s in response.json()["stages"]] == order
    other = _default(api)["stages"][0]["id"]
    for bad in ([stages["Due"]], [*order, other], [*order, stages["Due"]], []):
        refused = api.post(url, {"stages": bad})
        assert refused.status_code == 400 and "stages" in refused.json()["errors"], bad
    with schema_context(alpha.schema):
        assert (
            list(
                Stage.objects.filter(pipeline_id=pipeline["id"])
                .order_by("position")
                .values_list("pk", flat=True)
            )
            == order
        )


def test_stage_delete(api, alpha, pipeline):
    stages = _stage_ids(pipeline)
    base = f"/api/v1/pipelines/{pipeline['id']}/stages/"
    # Unused: deleted, and audited.
    assert api.delete(f"{base}{stages['Lapsed']}/").status_code == 204
    # A deal in it: 409, names the count.
    deal = api.post("/api/v1/deals/", {"name": "D", "stage": stages["Due"]}).json()
    refused = api.delete(f"{base}{stages['Due']}/")
    assert refused.status_code == 409, refused.content
    assert "1 deal(s) are in stage" in refused.json()["detail"]
    # Moved out, but its history still mentions the stage: 409 as well.
    assert (
        api.post(f"/api/v1/deals/{deal['id']}/move/", {"stage": stages["Talking"]}).status_code
        == 200
    )
    refused = api.delete(f"{base}{stages['Due']}/")
    assert refused.status_code == 409 and "history" in refused.json()["detail"]
    # A stage of another pipeline is not found through this one.
    other = _default(api)["stages"][0]["id"]
    assert api.delete(f"{base}{other}/").status_code == 404
    with schema_context(alpha.schema):
        assert not Stage.objects.filter(pk=stages["Lapsed"]).exists()
        assert Stage.objects.filter(pk=stages["Due"]).exists()
        assert Stage.objects.filter(pk=other).exists()
        assert (
            AuditEvent.objects.filter(
                entity_type="stage", entity_id=stages["Lapsed"], action="delete", source="api"
            ).count()
            == 1
        )
