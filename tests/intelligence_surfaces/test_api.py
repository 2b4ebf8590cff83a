"""The partner API: a lead's score (GET computes one if needed, POST rescores), the model
registry (list, train → 202 / 409, activate), scopes, bad input, two-workspace isolation."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from intelligence.models import LeadScore, ModelVersion, TrainingRun
from intelligence.registry import model_version_store

from ..api.conftest import ApiClient, make_key  # noqa: F401 - fixture
from .conftest import make_hot, make_lead


@pytest.fixture
def client_for(make_key):  # noqa: F811
    def make(ws, scopes=None) -> ApiClient:
        return ApiClient(host=ws.host, secret=make_key(ws, scopes))

    return make


def test_get_computes_a_score_with_its_explanation(alpha, people, client_for):
    lead = make_lead(alpha, owner=people["rep"])
    with schema_context(alpha.schema):
        make_hot(lead)
    api = client_for(alpha, ["leads:read"])
    response = api.get(f"/api/v1/leads/{lead.pk}/score")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["lead_id"] == lead.pk and body["temperature"] == "hot"
    assert 0 <= body["score"] <= 100 and 0 < body["probability"] < 1
    assert body["model"] == {
        "label": "rules",
        "trained": False,
        "version": None,
        "version_id": None,
        "auc": None,
    }
    labels = [f["label"] for f in body["factors"]]
    assert "Replied 3 times in the last 7 days" in labels
    assert all(isinstance(f["weight"], float) for f in body["factors"])
    # a second GET reads the stored score, it does not score again
    api.get(f"/api/v1/leads/{lead.pk}/score")
    with schema_context(alpha.schema):
        assert LeadScore.objects.filter(lead=lead).count() == 1


def test_post_rescores_and_needs_write(alpha, people, client_for):
    lead = make_lead(alpha, owner=people["rep"])
    reader = client_for(alpha, ["leads:read"])
    refused = reader.post(f"/api/v1/leads/{lead.pk}/score")
    assert refused.status_code == 403
    assert refused["Content-Type"] == "application/problem+json"
    assert "leads:write" in refused.json()["detail"]
    writer = client_for(alpha, ["leads:write"])
    assert writer.post(f"/api/v1/leads/{lead.pk}/score").status_code == 200
    assert writer.post(f"/api/v1/leads/{lead.pk}/score").status_code == 200
    with schema_context(alpha.schema):
        assert LeadScore.objects.filter(lead=lead).count() == 2  # history kept
    assert (
        client_for(alpha, ["deals:read"]).get(f"/api/v1/leads/{lead.pk}/score").status_code == 403
    )


def test_a_trained_score_names_its_model(alpha, people, client_for):
    from intelligence.services import lead_score_model_train

    from ..intelligence.conftest import make_history

    with schema_context(alpha.schema):
        make_history()
        version = lead_score_model_train()
    lead = make_lead(alpha, owner=people["rep"])
    body = client_for(alpha, ["leads:write"]).post(f"/api/v1/leads/{lead.pk}/score").json()
    assert body["model"]["trained"] is True and body["model"]["version"] == version.version
    assert body["model"]["label"].startswith(f"trained v{version.version}, AUC ")


def test_other_workspaces_leads_are_404(alpha, beta, people, client_for):
    lead = make_lead(alpha, owner=people["rep"])
    beta_api = client_for(beta, ["leads:write"])
    for method in ("get", "post"):
        response = getattr(beta_api, method)(f"/api/v1/leads/{lead.pk}/score")
        assert response.status_code == 404
        assert response["Content-Type"] == "application/problem+json"
    with schema_context(alpha.schema):
        assert not LeadScore.objects.exists()
    assert client_for(alpha).get("/api/v1/leads/999999999/score").status_code == 404


def test_session_users_rescore_only_what_they_may_edit(alpha, people):
    lead = make_lead(alpha, owner=people["rep"])
    other = alpha.logged_in_client(people["other"])
    assert other.get(f"/api/v1/leads/{lead.pk}/score").status_code == 200
    assert other.post(f"/api/v1/leads/{lead.pk}/score").status_code == 403
    owner = alpha.logged_in_client(people["rep"])
    assert owner.post(f"/api/v1/leads/{lead.pk}/score").status_code == 200


# --- the model registry --------------------------------------------------------------------


@pytest.fixture
def versions(alpha):
    with schema_context(alpha.schema):
        v1 = model_version_store(
            kind="lead_score", payload={"n": 1}, rows_used=210, metrics={"auc": 0.79}
        )
        v2 = model_version_store(
            kind="lead_score", payload={"n": 2}, rows_used=260, metrics={"auc": 0.81}
        )
    return v1, v2


def test_list_models_without_artifacts_and_filter_by_kind(alpha, versions, client_for):
    api = client_for(alpha, ["leads:read"])
    body = api.get("/api/v1/intelligence/models").json()
    assert [(m["version"], m["status"]) for m in body["results"]] == [(2, "active"), (1, "retired")]
    assert body["results"][0]["label"] == "trained v2, AUC 0.81"
    assert "artifact" not in body["results"][0] and "sha256" not in body["results"][0]
    assert api.get("/api/v1/intelligence/models?kind=lead_score").json()["results"]
    bad = api.get("/api/v1/intelligence/models?kind=astrology")
    assert bad.status_code == 400 and "kind" in bad.json()["errors"]
    # a key sees the kinds whose records it may read
    deals_only = client_for(alpha, ["deals:read"])
    assert deals_only.get("/api/v1/intelligence/models").json()["results"] == []
    assert deals_only.get("/api/v1/intelligence/models?kind=lead_score").status_code == 403
    assert client_for(alpha, ["tasks:read"]).get("/api/v1/intelligence/models").status_code == 403


def test_train_is_accepted_then_refused_while_it_runs(
    alpha, client_for, sent, django_capture_on_commit_callbacks
):
    api = client_for(alpha, ["leads:write"])
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/v1/intelligence/models", {"action": "train", "kind": "lead_score"}
        )
    assert response.status_code == 202, response.content
    run = response.json()["run"]
    assert run["status"] == "running" and run["kind"] == "lead_score"
    assert sent["train"] == [(alpha.schema, "lead_score", run["id"], None)]
    again = api.post("/api/v1/intelligence/models", {"action": "train", "kind": "lead_score"})
    assert again.status_code == 409
    assert again["Content-Type"] == "application/problem+json"
    assert again.json()["type"] == "urn:lodestar:problem:training_running"
    assert "has not finished" in again.json()["detail"]
    with schema_context(alpha.schema):
        assert TrainingRun.objects.count() == 1
    assert (
        client_for(alpha, ["leads:read"])
        .post("/api/v1/intelligence/models", {"action": "train", "kind": "lead_score"})
        .status_code
        == 403
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"action": "train", "kind": "astrology"}, "kind"),
        ({"action": "train"}, "kind"),
        ({"action": "explode"}, "action"),
        ({"action": "activate"}, "version_id"),
        ({"action": "activate", "version_id": "x"}, "version_id"),
        ({"action": "train", "kind": "lead_score", "extra": 1}, "extra"),
    ],
)
def test_bad_model_actions_are_field_errors(alpha, client_for, sent, body, field):
    response = client_for(alpha).post("/api/v1/intelligence/models", body)
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    with schema_context(alpha.schema):
        assert not TrainingRun.objects.exists()


def test_activate_rolls_back_and_other_workspaces_versions_are_404(
    alpha, beta, versions, client_for, sent
):
    v1, v2 = versions
    api = client_for(alpha, ["leads:write"])
    response = api.post("/api/v1/intelligence/models", {"action": "activate", "version_id": v1.pk})
    assert response.status_code == 200
    assert response.json()["version"]["status"] == "active"
    with schema_context(alpha.schema):
        assert ModelVersion.objects.get(pk=v2.pk).status == "retired"
    beta_api = client_for(beta, ["leads:write"])
    missing = beta_api.post(
        "/api/v1/intelligence/models", {"action": "activate", "version_id": v2.pk}
    )
    assert missing.status_code == 404
    assert beta_api.get("/api/v1/intelligence/models").json()["results"] == []
    with schema_context(alpha.schema):
        assert ModelVersion.objects.get(pk=v2.pk).status == "retired"


def test_reps_signed_in_cannot_train(alpha, people, sent):
    rep = alpha.logged_in_client(people["rep"])
    response = rep.post(
        "/api/v1/intelligence/models",
        {"action": "train", "kind": "lead_score"},
        content_type="application/json",
    )
    assert response.status_code == 403
