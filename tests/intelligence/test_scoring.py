import pytest
from django_tenants.utils import schema_context

from intelligence import registry
from intelligence.models import LeadScore, ModelVersion, TrainingRun
from intelligence.scorecard import scorecard_score
from intelligence.selectors import lead_score_latest, lead_score_latest_map
from intelligence.services import (
    TrainingInProgress,
    lead_score_compute,
    lead_score_model_train,
    model_version_activate,
)
from tests.training_lock import training_lock_held

from .conftest import make_history, make_leads


def test_scorecard_explains_in_words_with_weights():
    scored = scorecard_score({"inbound_7d": 2, "inbound_messages": 2, "calls": 1,
                              "days_since_last_activity": 1, "source": "referral",
                              "first_response_seconds": 120})  # fmt: skip
    assert {"label": "Replied twice in the last 7 days", "weight": 0.18} in scored.factors
    assert all(set(f) == {"label", "weight"} for f in scored.factors)
    assert scored.model_label == "rules" and 0 <= scored.score <= 100
    assert scored.temperature == "hot"
    cold = scorecard_score({"outbound_messages": 6, "days_since_last_activity": 45})
    assert cold.temperature == "cold" and cold.factors[0]["weight"] < 0


def test_cold_start_scores_with_rules(in_alpha):
    make_leads(30, status="lost")
    assert lead_score_model_train() is None
    leads = make_leads(3)
    scores = lead_score_compute(lead_ids=[lead.pk for lead in leads])
    assert [s.model_label for s in scores] == ["rules"] * 3
    assert lead_score_latest(lead_id=leads[0].pk).model_label == "rules"


@pytest.fixture
def trained(in_alpha):
    history = make_history()
    return history, lead_score_model_train()


def test_training_on_history_beats_chance_and_explains(trained):
    history, version = trained
    assert version.version == 1 and version.status == "active"
    assert version.metrics["auc"] > 0.7, version.metrics
    assert len(version.metrics["calibration"]) == 10
    assert {"brier", "precision_at_hot", "recall_at_hot"} <= set(version.metrics)
    assert version.rows_used == 300
    # the leaky `duration` field is not an input
    assert not any("Call length" in f["feature"] for f in version.feature_importance)
    assert any("Budget" in f["feature"] for f in version.feature_importance)

    ids = [lead.pk for lead in history[-20:]]
    scores = lead_score_compute(lead_ids=ids)
    assert scores[0].model_label == f"trained v1, AUC {version.metrics['auc']:.2f}"
    assert all(s.factors for s in scores)
    assert any("Budget" in f["label"] for s in scores for f in s.factors)
    assert set(lead_score_latest_map(lead_ids=ids)) == set(ids)


def test_corrupted_artifact_falls_back_to_rules(trained):
    history, version = trained
    registry._loaded.clear()
    ModelVersion.objects.filter(pk=version.pk).update(artifact=b"garbage")
    scores = lead_score_compute(lead_ids=[history[0].pk])
    assert scores[0].model_label == "rules"
    version.refresh_from_db()
    assert "checksum" in version.problem


def test_activation_rolls_back(trained):
    history, v1 = trained
    v2 = lead_score_model_train()
    v1.refresh_from_db()
    assert (v2.version, v2.status, v1.status) == (2, "active", "retired")
    model_version_activate(version=v1)
    v2.refresh_from_db()
    assert (v1.status, v2.status) == ("active", "retired")
    label = lead_score_compute(lead_ids=[history[0].pk])[0].model_label
    assert label.startswith("trained v1,")


def test_model_of_alpha_is_not_used_in_beta(trained, beta):
    with schema_context(beta.schema):
        assert not ModelVersion.objects.exists()
        leads = make_leads(2)
        scores = lead_score_compute(lead_ids=[lead.pk for lead in leads])
        assert {s.model_label for s in scores} == {"rules"}
        # alpha's leads are not visible from beta: nothing is scored
        assert LeadScore.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_trainings_never_run_at_once(alpha):
    lock = training_lock_held(alpha.schema, "lead_score")
    with lock, schema_context(alpha.schema), pytest.raises(TrainingInProgress):
        lead_score_model_train()
    with schema_context(alpha.schema):
        assert lead_score_model_train() is None  # lock free again: cold start answer
        TrainingRun.objects.all().delete()  # transaction=True: nothing rolls back for us


def test_train_task_runs_in_the_messages_workspace(alpha):
    from crm.tenancy.celery import SCHEMA_HEADER
    from intelligence.tasks import train_lead_score

    with schema_context(alpha.schema):
        make_history()
    result = train_lead_score.apply(headers={SCHEMA_HEADER: alpha.schema})
    assert result.get() == 1
    with schema_context(alpha.schema):
        assert ModelVersion.objects.get().status == "active"


def test_history_with_no_conversions_stays_on_rules(in_alpha):
    # Plenty of outcomes but a single class: nothing to learn from, so no model (and no crash).
    make_leads(220, status="lost")
    assert lead_score_model_train() is None
    assert not ModelVersion.objects.exists()
    lead = make_leads(1)[0]
    assert lead_score_compute(lead_ids=[lead.pk])[0].model_label == "rules"


def test_scoring_unknown_or_empty_ids_is_harmless(in_alpha):
    assert lead_score_compute(lead_ids=[]) == []
    assert lead_score_compute(lead_ids=[987654321]) == []
