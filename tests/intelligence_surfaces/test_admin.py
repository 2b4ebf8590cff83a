"""The managers' admin: model list and model card, activate (rollback) and retrain, the alert
for an unusable artifact (pages still 200, scores fall back to the rules), training runs
read-only, the settings row validated; reps kept out; the artifact never shown."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from crm.team.models import Role
from intelligence import rescoring
from intelligence.models import IntelligenceSettings, ModelVersion, TrainingRun
from intelligence.registry import model_version_store

from .conftest import make_lead

CALIBRATION = [{"bin": "0.0-0.1", "n": 40, "predicted": 0.05, "observed": 0.04}]
METRICS = {
    "auc": 0.8123,
    "brier": 0.1432,
    "precision_at_hot": 0.61,
    "recall_at_hot": 0.44,
    "hot_threshold": 70,
    "calibration": CALIBRATION,
}


@pytest.fixture
def versions(alpha):
    with schema_context(alpha.schema):
        v1 = model_version_store(
            kind="lead_score",
            payload={"n": 1},
            rows_used=250,
            metrics=METRICS,
            feature_importance=[
                {"feature": "Source: referral", "coefficient": 1.25},  # an older version's shape
                {"feature": "Age", "importance": 0.4321, "linear": 0.1, "corrections": 0.3456},
            ],
        )
        v2 = model_version_store(
            kind="lead_score", payload={"n": 2}, rows_used=300, metrics={**METRICS, "auc": 0.83}
        )
        TrainingRun.objects.create(
            kind="lead_score",
            status="trained",
            model_version=v1,
            rows=250,
            positives=40,
            reason="Trained v1",
        )
    return v1, v2


@pytest.fixture
def manager_client(alpha, people):
    return alpha.logged_in_client(people["manager"])


def test_the_model_list_and_card_show_metrics_never_the_artifact(alpha, versions, manager_client):
    v1, _ = versions
    page = manager_client.get("/admin/intelligence/modelversion/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "trained v2, AUC 0.83" in html and "0.812" in html
    card = manager_client.get(f"/admin/intelligence/modelversion/{v1.pk}/change/")
    assert card.status_code == 200
    html = card.content.decode()
    for text in (
        "Model card",
        "0.8123",
        "0.1432",
        "0.61",
        "0.44",
        "0.0-0.1",
        "Source: referral",
        "1.25",
        "<td>Age</td><td>0.4321</td><td>0.3456</td>",
        "Trained v1",
        "Activate this version",
    ):
        assert text in html, text
    with schema_context(alpha.schema):
        raw = bytes(ModelVersion.objects.get(pk=v1.pk).artifact)
    assert raw[:16].hex() not in html and 'name="artifact"' not in html
    # nothing to edit by hand
    assert (
        manager_client.post(
            f"/admin/intelligence/modelversion/{v1.pk}/change/", {"artifact": "x"}
        ).status_code
        == 403
    )
    assert manager_client.get("/admin/intelligence/modelversion/add/").status_code == 403


def test_activate_rolls_back_and_queues_a_rescoring(
    alpha, versions, manager_client, sent, django_capture_on_commit_callbacks
):
    v1, v2 = versions
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(f"/admin/intelligence/modelversion/{v1.pk}/activate/")
    assert sent["rescore_all"] == [(alpha.schema, "lead_score")]
    assert response.status_code == 302
    with schema_context(alpha.schema):
        assert ModelVersion.objects.get(pk=v1.pk).status == "active"
        assert ModelVersion.objects.get(pk=v2.pk).status == "retired"
    assert (
        manager_client.get(f"/admin/intelligence/modelversion/{v1.pk}/activate/").status_code == 405
    )
    # through the list's action as well
    manager_client.post(
        "/admin/intelligence/modelversion/",
        {"action": "activate_selected", "_selected_action": [v2.pk]},
    )
    with schema_context(alpha.schema):
        assert ModelVersion.objects.get(pk=v2.pk).status == "active"


def test_retrain_queues_a_run_and_a_second_is_refused(
    alpha, versions, manager_client, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(
            "/admin/intelligence/modelversion/retrain/lead_score/", follow=True
        )
    assert response.status_code == 200
    assert "queued" in response.content.decode()
    assert [call[1] for call in sent["train"]] == ["lead_score"]
    with schema_context(alpha.schema):
        run = TrainingRun.objects.get(status="running")
    assert sent["train"][0] == (alpha.schema, "lead_score", run.pk, run.requested_by_id)
    again = manager_client.post("/admin/intelligence/modelversion/retrain/lead_score/", follow=True)
    assert "has not finished" in again.content.decode()
    assert len(sent["train"]) == 1
    bad = manager_client.post("/admin/intelligence/modelversion/retrain/astrology/", follow=True)
    assert "cannot be trained" in bad.content.decode()


def test_a_corrupted_artifact_alerts_and_scores_fall_back_to_rules(
    alpha, people, versions, manager_client
):
    _, v2 = versions
    lead = make_lead(alpha, owner=people["rep"])
    with schema_context(alpha.schema):
        ModelVersion.objects.filter(pk=v2.pk).update(artifact=b"not a model")
        scores = rescoring.lead_rescore(lead_ids=[lead.pk])
        assert scores[0].model_label == "rules"
        assert "checksum" in ModelVersion.objects.get(pk=v2.pk).problem
    for path in (
        "/admin/",
        "/admin/intelligence/modelversion/",
        f"/admin/intelligence/modelversion/{v2.pk}/change/",
        "/admin/intelligence/trainingrun/",
    ):
        page = manager_client.get(path)
        assert page.status_code == 200, path
        assert "cannot be used" in page.content.decode(), path


def test_training_runs_are_read_only_with_their_reasons(alpha, versions, manager_client):
    page = manager_client.get("/admin/intelligence/trainingrun/")
    assert page.status_code == 200 and "Trained v1" in page.content.decode()
    assert manager_client.get("/admin/intelligence/trainingrun/add/").status_code == 403


def test_settings_are_one_validated_row(
    alpha, manager_client, sent, django_capture_on_commit_callbacks
):
    listing = manager_client.get("/admin/intelligence/intelligencesettings/")
    assert listing.status_code == 302
    url = listing["Location"]
    form = {
        "hot_threshold": 60,
        "warm_threshold": 60,
        "nightly_training": "on",
        "deal_inactive_days": 14,
        "deal_amount_outlier_ratio": 3.0,
    }
    refused = manager_client.post(url, form)
    assert refused.status_code == 200
    assert "Warm must be below hot" in refused.content.decode()
    with schema_context(alpha.schema):
        assert IntelligenceSettings.objects.get().warm_threshold == 40  # nothing saved
    with django_capture_on_commit_callbacks(execute=True):
        saved = manager_client.post(url, {**form, "warm_threshold": 30})
    assert saved.status_code == 302
    with schema_context(alpha.schema):
        row = IntelligenceSettings.objects.get()
        assert (row.hot_threshold, row.warm_threshold) == (60, 30)
    assert sent["rescore_all"] == [(alpha.schema, "lead_score")]


def test_reps_have_no_access(alpha, people, versions):
    client = alpha.logged_in_client(people["rep"])
    response = client.get("/admin/intelligence/modelversion/")
    assert response.status_code in (302, 403)
    v1, _ = versions
    client.post(f"/admin/intelligence/modelversion/{v1.pk}/activate/")
    with schema_context(alpha.schema):
        assert ModelVersion.objects.get(pk=v1.pk).status == "retired"


def test_another_workspaces_version_is_a_404(alpha, beta, versions):
    v1, _ = versions
    manager = beta.make_user(email="boss@beta.test", role=Role.MANAGER)
    client = beta.logged_in_client(manager)
    assert client.get(f"/admin/intelligence/modelversion/{v1.pk}/change/").status_code == 404
    assert client.post(f"/admin/intelligence/modelversion/{v1.pk}/activate/").status_code == 404
