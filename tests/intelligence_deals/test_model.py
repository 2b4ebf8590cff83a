"""Win probability: cold-start rules, training on history, storage, the forecast's map,
isolation between workspaces."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from intelligence import registry
from intelligence.deals import training
from intelligence.deals.models import DealScore
from intelligence.deals.rules import rules_score
from intelligence.deals.selectors import deal_score_latest, deal_win_probability_map
from intelligence.deals.services import (
    deal_score_compute,
    deal_scores_rescore_all,
    deal_win_model_train,
)
from intelligence.models import ModelVersion, TrainingRun
from tests.training_lock import training_lock_held

from .conftest import log_activity, make_closed_history, make_deal


def _explained(factors: list[dict]) -> None:
    assert factors and all(set(f) == {"label", "weight"} for f in factors)
    weights = [f["weight"] for f in factors]
    positives = [w for w in weights if w > 0]
    assert weights[: len(positives)] == sorted(positives, reverse=True)  # positives first
    assert all(w < 0 for w in weights[len(positives) :])


def test_rules_start_from_the_stage_and_explain(in_alpha):
    deal = make_deal(stage_name="Proposal", contacts=3)
    log_activity(deal, days_ago=1, direction="inbound", kind="email")
    (score,) = deal_score_compute(deal_ids=[deal.pk])
    assert score.model_label == "rules" and score.model_version is None
    _explained(score.factors)
    assert score.factors[0] == {"label": "In stage Proposal (50 % by stage)", "weight": 0.5}
    assert {"label": "3 stakeholders involved", "weight": 0.04} in score.factors
    assert score.win_probability == pytest.approx(0.5 + 0.03 + 0.04)


def test_rules_lower_the_probability_for_each_flag(in_alpha):
    risky = make_deal(stage_name="Proposal", contacts=1, age_days=50, close_in_days=-5)
    (score,) = deal_score_compute(deal_ids=[risky.pk])
    _explained(score.factors)
    negatives = [f for f in score.factors if f["weight"] < 0]
    assert [f["weight"] for f in negatives] == [-0.1, -0.07, -0.05]
    assert score.win_probability == pytest.approx(0.5 - 0.1 - 0.07 - 0.05)


def test_rules_probability_stays_in_bounds():
    row = {"_stage_probability_now": 0.0, "_stage_name": "New"}
    assert rules_score(row, []).probability == 0.01


def test_cold_start_records_why(in_alpha):
    make_closed_history(30)
    run = deal_win_model_train()
    assert run.status == TrainingRun.Status.COLD_START and run.model_version is None
    assert "30 closed deals, need 100" in run.reason
    assert not ModelVersion.objects.filter(kind="deal_win").exists()


def test_one_class_history_stays_on_rules(in_alpha):
    for i in range(3):
        make_deal(name=f"lost {i}", stage_name="Lost", closed_days_ago=3)
    run = deal_win_model_train()
    assert run.status == "cold_start" and "0 won, need 15" in run.reason


@pytest.fixture
def trained(in_alpha):
    history = make_closed_history(training.MIN_CLOSED + 60)
    return history, deal_win_model_train()


def test_training_on_history_beats_chance_and_is_labelled(trained):
    _, run = trained
    version = run.model_version
    assert run.status == "trained" and version.kind == "deal_win" and version.status == "active"
    assert version.metrics["auc"] > 0.7, version.metrics
    assert version.metrics["auc_cv"] > 0.7
    assert len(version.metrics["calibration"]) == 10 and "brier" in version.metrics
    assert version.label == f"trained v1, AUC {version.metrics['auc']:.2f}"
    features = " ".join(f["feature"] for f in version.feature_importance)
    assert "Stakeholders" in features

    open_deal = make_deal(contacts=4)
    for day in range(5):
        log_activity(open_deal, days_ago=day + 1)
    lonely = make_deal(name="lonely", contacts=1)
    scores = {s.deal_id: s for s in deal_score_compute(deal_ids=[open_deal.pk, lonely.pk])}
    assert scores[open_deal.pk].model_label == version.label
    assert scores[open_deal.pk].model_version == version
    assert scores[open_deal.pk].win_probability > scores[lonely.pk].win_probability
    _explained(scores[open_deal.pk].factors)
    # health flags still come from the rules of health, whatever the model
    assert {f["code"] for f in scores[lonely.pk].flags} >= {"single_stakeholder"}


def test_registry_trains_and_rescores_deal_win(trained):
    from intelligence.registry import rescorer_for, trainer_for

    assert trainer_for("deal_win") is deal_win_model_train
    make_deal(name="open one")
    assert rescorer_for("deal_win")() == deal_scores_rescore_all() >= 1


def test_corrupted_model_falls_back_to_rules(trained):
    _, run = trained
    ModelVersion.objects.filter(pk=run.model_version.pk).update(artifact=b"broken")
    deal = make_deal()
    (score,) = deal_score_compute(deal_ids=[deal.pk])
    assert score.model_label == "rules"
    assert "checksum" in ModelVersion.objects.get(pk=run.model_version.pk).problem


def test_alpha_model_never_scores_beta(trained, beta):
    with schema_context(beta.schema):
        deal = make_deal(name="beta deal")
        (score,) = deal_score_compute(deal_ids=[deal.pk])
        assert score.model_label == "rules" and score.model_version is None
        assert not ModelVersion.objects.filter(kind="deal_win").exists()
        assert not DealScore.objects.exclude(deal_id=deal.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_two_trainings_never_run_at_once(alpha):
    lock = training_lock_held(alpha.schema, "deal_win")
    with lock, schema_context(alpha.schema), pytest.raises(registry.TrainingInProgress):
        deal_win_model_train()
    with schema_context(alpha.schema):
        assert deal_win_model_train().status == "cold_start"  # free again


def test_win_probability_map_reads_stored_scores(in_alpha):
    scored = make_deal(name="scored", stage_name="Proposal", contacts=1)
    unscored = make_deal(name="unscored", stage_name="Negotiation")
    won = make_deal(name="won", stage_name="Won", closed_days_ago=1)
    lost = make_deal(name="lost", stage_name="Lost", closed_days_ago=1)
    (score,) = deal_score_compute(deal_ids=[scored.pk])
    ids = [scored.pk, unscored.pk, won.pk, lost.pk, 999999]
    with CaptureQueriesContext(connection) as queries:
        result = deal_win_probability_map(deal_ids=ids)
    assert result == {scored.pk: score.win_probability, unscored.pk: 0.75, won.pk: 1.0,
                      lost.pk: 0.0}  # fmt: skip
    assert score.win_probability != 0.5  # the rules moved it off the stage probability
    real = [q for q in queries.captured_queries if not q["sql"].startswith("SET ")]
    assert len(real) == 2
    # a newer score wins
    (newer,) = deal_score_compute(deal_ids=[scored.pk])
    assert deal_score_latest(deal_id=scored.pk).pk == newer.pk


def test_scoring_unknown_or_empty_ids_is_harmless(in_alpha):
    assert deal_score_compute(deal_ids=[]) == []
    assert deal_score_compute(deal_ids=[987654]) == []
    assert deal_win_probability_map(deal_ids=[]) == {}
