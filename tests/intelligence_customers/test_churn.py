"""Churn risk: no leakage in the training rows, cold start on the rules (with the reason),
a trained model on a synthetic history, fallbacks, and one workspace never scoring another."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from crm.contacts.models import Contact
from crm.customfields.services import custom_field_define
from intelligence import registry
from intelligence.customers import training
from intelligence.customers.features import customer_feature_spec, features_as_of, history_load
from intelligence.customers.models import CustomerScore
from intelligence.customers.scorecard import churn_scorecard
from intelligence.customers.selectors import customer_score_latest
from intelligence.customers.services import (
    churn_model_train,
    customer_rescore_all,
    customer_scores_compute,
)
from intelligence.models import ModelVersion, TrainingRun

from .conftest import add_activities, add_won, make_company, make_history

DAY = timedelta(days=1)


def test_churned_customer_is_described_before_its_churn(in_alpha):
    now = timezone.now()
    start, churned_at = now - 400 * DAY, now - 100 * DAY
    gone = make_company(stage="churned", became=start, churned=churned_at)
    # busy until 150 days before the churn, then a win-back campaign after it
    add_activities(gone, [start + k * 10 * DAY for k in range(15)])
    add_activities(gone, [churned_at + k * DAY for k in range(1, 20)], direction="inbound")
    add_won(gone, [(churned_at + 5 * DAY, 9_000)])  # a deal won back after the churn
    stays = make_company(became=now - 200 * DAY)
    histories = history_load(keys=[("company", gone.pk), ("company", stays.pk)])
    shots = training.snapshots(histories, now=now)
    gone_shots = [s for s in shots if s.key == ("company", gone.pk)]
    assert gone_shots and all(s.at < churned_at for s in gone_shots)
    assert {s.label for s in gone_shots} == {0, 1}
    assert all(s.label == (churned_at - s.at <= timedelta(days=90)) for s in gone_shots)
    # the kept customer only where its next 90 days are known
    assert all(s.at <= now - 90 * DAY and s.label == 0 for s in shots if s.key[1] == stays.pk)
    spec = customer_feature_spec()
    for shot in gone_shots:
        row = features_as_of(histories[shot.key], shot.at, spec)
        assert row["inbound_90d"] == 0  # the win-back replies came after the churn
        assert row["won_deals"] == 0 and row["revenue_12m"] == 0


def test_custom_field_filled_at_churn_is_dropped_as_a_leak(in_alpha):
    custom_field_define(entity="contact", key="exit_survey", label="Exit survey",
                        field_type="choice", choices=["price", "service"])  # fmt: skip
    custom_field_define(entity="contact", key="seats", label="Seats", field_type="number")
    now = timezone.now()
    contacts = []
    for i in range(60):
        churned = i % 3 == 0
        contacts.append(Contact(
            first_name=f"C{i}", lifecycle_stage="churned" if churned else "customer",
            became_customer_at=now - (300 + i) * DAY,
            churned_at=now - (20 + i) * DAY if churned else None,
            custom={"exit_survey": "price", "seats": i % 7} if churned else {"seats": i % 5},
        ))  # fmt: skip
    contacts = Contact.objects.bulk_create(contacts)
    histories = history_load(keys=[("contact", c.pk) for c in contacts])
    shots = training.snapshots(histories, now=now)
    spec = customer_feature_spec()
    rows = training.rows_for(histories, shots, spec)
    ever = training.churned_ever(histories, shots)
    assert training.leaky_columns(spec, rows, ever) == ["cf_exit_survey"]


def test_cold_start_scores_with_rules_and_says_why(in_alpha):
    now = timezone.now()
    quiet = make_company(became=now - 300 * DAY)
    add_activities(quiet, [now - 64 * DAY])
    busy = make_company(became=now - 900 * DAY)
    add_activities(busy, [now - k * 3 * DAY for k in range(1, 10)], direction="inbound")
    add_won(busy, [(now - 40 * DAY, 5_000), (now - 200 * DAY, 4_000), (now - 500 * DAY, 3_000)])
    make_company(stage="churned", became=now - 500 * DAY, churned=now - 10 * DAY)

    run = churn_model_train()
    assert run.status == TrainingRun.Status.COLD_START
    assert run.reason.startswith("only 3 customers with 1 churned")
    assert "100 customers and 15 churned" in run.reason
    assert not ModelVersion.objects.filter(kind="churn").exists()

    scores = {s.company_id: s for s in customer_scores_compute(
        keys=[("company", quiet.pk), ("company", busy.pk)], now=now)}  # fmt: skip
    risky, safe = scores[quiet.pk], scores[busy.pk]
    assert risky.model_label == safe.model_label == "rules" and risky.model_version is None
    assert {"label": "No activity for 64 days", "weight": 0.27} in risky.factors
    assert all(set(f) == {"label", "weight"} for f in risky.factors + safe.factors)
    assert risky.churn_score > safe.churn_score
    assert risky.horizon_days == 90 and 0 <= risky.churn_probability <= 1
    assert safe.factors[-1]["weight"] < 0  # negatives after positives
    assert risky.band in ("high", "medium") and safe.band == "low"


def test_scorecard_reads_missing_and_nan_as_nothing():
    scored = churn_scorecard({"days_since_last_activity": float("nan"), "tenure_days": None,
                              "won_deals": float("nan")})  # fmt: skip
    assert 0 < scored.probability < 1 and scored.model_label == "rules"


def test_only_current_customers_are_scored(in_alpha):
    prospect = make_company(stage="prospect")
    churned = make_company(stage="churned", became=timezone.now() - 90 * DAY,
                           churned=timezone.now())  # fmt: skip
    assert customer_scores_compute(keys=[("company", prospect.pk), ("company", churned.pk),
                                         ("company", 10**9)]) == []  # fmt: skip


@pytest.fixture
def trained(in_alpha):
    companies = make_history()
    run = churn_model_train()
    return companies, run


def test_training_on_history_beats_chance_and_explains(trained):
    companies, run = trained
    assert run.status == TrainingRun.Status.TRAINED, run.reason
    version = run.model_version
    assert version.kind == "churn" and version.status == "active"
    auc = version.metrics["auc"]
    assert auc is not None and 0.7 < auc <= 1.0, version.metrics
    assert version.metrics["horizon_days"] == 90
    assert version.metrics["positives"] > 15 and run.positives >= 15
    assert {"brier", "calibration"} <= set(version.metrics)
    assert version.feature_importance

    current = [c for c in companies if c.lifecycle_stage == "customer"]
    assert customer_rescore_all() == len(current)
    score = customer_score_latest(key=("company", current[0].pk))
    assert score.model_label == f"trained v1, AUC {auc:.2f}"
    assert score.model_version_id == version.pk
    assert score.factors and all(set(f) == {"label", "weight"} for f in score.factors)


def test_quiet_customer_riskier_than_busy_one_with_the_model(trained):
    now = timezone.now()
    quiet = make_company(became=now - 500 * DAY)
    add_activities(quiet, [now - 500 * DAY + k * 7 * DAY for k in range(50)])  # stopped 150d ago
    busy = make_company(became=now - 500 * DAY)
    add_activities(busy, [now - k * 6 * DAY for k in range(1, 80)])
    scores = {s.company_id: s for s in customer_scores_compute(
        keys=[("company", quiet.pk), ("company", busy.pk)])}  # fmt: skip
    assert scores[quiet.pk].churn_probability > scores[busy.pk].churn_probability


def test_corrupted_model_falls_back_to_rules(trained):
    companies, run = trained
    registry._loaded.clear()
    ModelVersion.objects.filter(pk=run.model_version.pk).update(artifact=b"garbage")
    customer = next(c for c in companies if c.lifecycle_stage == "customer")
    score = customer_scores_compute(keys=[("company", customer.pk)])[0]
    assert score.model_label == "rules" and score.model_version is None
    assert "checksum" in ModelVersion.objects.get(pk=run.model_version.pk).problem


def test_alpha_model_never_scores_beta(trained, beta):
    with schema_context(beta.schema):
        assert not ModelVersion.objects.filter(kind="churn").exists()
        theirs = make_company(became=timezone.now() - 300 * DAY)
        score = customer_scores_compute(keys=[("company", theirs.pk)])[0]
        assert score.model_label == "rules" and score.model_version is None
        assert CustomerScore.objects.count() == 1
