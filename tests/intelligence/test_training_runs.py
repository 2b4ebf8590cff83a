"""Every training request leaves a TrainingRun with its outcome and the reason in words."""

import pytest
from django_tenants.utils import schema_context

from intelligence import registry, training
from intelligence.models import ModelVersion, TrainingRun
from intelligence.services import (
    TrainingInProgress,
    lead_score_compute,
    lead_score_model_train,
)
from tests.training_lock import training_lock_held

from .conftest import make_history, make_leads


def _only_run() -> TrainingRun:
    runs = list(TrainingRun.objects.all())
    assert len(runs) == 1, runs
    return runs[0]


def _stays_on_rules() -> None:
    assert not ModelVersion.objects.exists()
    lead = make_leads(1)[0]
    assert lead_score_compute(lead_ids=[lead.pk])[0].model_label == "rules"


def test_too_few_conversions_is_explained(in_alpha):
    make_leads(12, status="converted")
    make_leads(200, status="lost")
    assert lead_score_model_train() is None
    run = _only_run()
    assert run.status == TrainingRun.Status.COLD_START
    assert run.reason == (
        "Only 12 conversions; the model needs at least 20 (and 200 outcomes). "
        "Scoring stays on the rules scorecard."
    )
    assert (run.rows, run.positives, run.finished_at is not None) == (212, 12, True)
    _stays_on_rules()


@pytest.mark.parametrize(
    ("converted", "lost", "expected"),
    [
        (0, 0, "No closed leads yet"),
        (0, 220, "None of the 220 closed leads converted"),  # no positives
        (220, 0, "All 220 closed leads converted"),  # one class the other way
        (30, 50, "Only 80 closed leads; the model needs at least 200 outcomes"),  # too few rows
        (200, 5, "Only 5 lost or disqualified leads"),
    ],
)
def test_thin_or_one_class_history_stays_on_rules_with_reason(in_alpha, converted, lost, expected):
    if converted:
        make_leads(converted, status="converted")
    if lost:
        make_leads(lost, status="lost")
    assert lead_score_model_train() is None
    run = _only_run()
    assert run.status == TrainingRun.Status.COLD_START
    assert run.reason.startswith(expected), run.reason
    assert run.reason.endswith("Scoring stays on the rules scorecard.")
    _stays_on_rules()


def test_all_conversions_in_the_newest_fifth_is_explained(in_alpha):
    history = make_history()
    # Relabel: only the newest 20 % converted, so the time-ordered split has one class.
    cut = int(len(history) * 0.8)
    for i, lead in enumerate(history):
        lead.status = "converted" if i >= cut and i % 2 else "lost"
    type(history[0]).objects.bulk_update(history, ["status"])
    assert lead_score_model_train() is None
    assert "older 80 % of the history has no conversions" in _only_run().reason


def test_successful_training_records_the_version(in_alpha):
    make_history()
    version = lead_score_model_train()
    run = _only_run()
    assert run.status == TrainingRun.Status.TRAINED and run.model_version == version
    assert run.rows == 300 and 0 < run.positives < 300
    assert run.reason.startswith(f"Trained v1, AUC {version.metrics['auc']:.2f}, from 300 closed")


def test_a_caller_supplied_run_is_finished_not_duplicated(in_alpha, alpha):
    owner = alpha.make_user(email="trainer@alpha.test", role="manager")
    make_leads(3, status="lost")
    run = registry.training_run_start(kind="lead_score", actor=owner)
    assert lead_score_model_train(actor=owner, run=run) is None
    assert _only_run().status == TrainingRun.Status.COLD_START
    assert _only_run().requested_by == owner


def test_a_failing_training_is_recorded_and_raised(in_alpha, monkeypatch):
    make_history()

    def broken(*args, **kwargs):
        raise MemoryError("simulated: out of memory while fitting")

    monkeypatch.setattr(training, "train_time_ordered", broken)
    with pytest.raises(MemoryError):
        lead_score_model_train()
    run = _only_run()  # written outside the training transaction that rolled back
    assert run.status == TrainingRun.Status.FAILED
    assert "MemoryError: simulated: out of memory" in run.reason
    assert not ModelVersion.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_training_is_refused_with_a_clear_message_and_recorded(alpha):
    with schema_context(alpha.schema):
        TrainingRun.objects.all().delete()  # transaction=True: earlier such tests commit runs
    with training_lock_held(alpha.schema, "lead_score"), schema_context(alpha.schema):
        with pytest.raises(TrainingInProgress) as refused:
            lead_score_model_train()
        assert str(refused.value) == (
            "A lead conversion score training is already running in this workspace; "
            "try again when it has finished."
        )
        run = _only_run()  # survives the rolled-back lock transaction
        assert run.status == TrainingRun.Status.REFUSED
        assert run.reason == str(refused.value)
    with schema_context(alpha.schema):
        TrainingRun.objects.all().delete()  # transaction=True: clean up what we wrote
