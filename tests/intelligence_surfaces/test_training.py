"""Training through the registry: outcomes recorded as runs, refusals while one runs, bulk
rescoring after a new version, the nightly fan-out and the beat schedule."""

from __future__ import annotations

import threading

import pytest
from django.db import connections
from django_tenants.utils import schema_context

from crm.tenancy.celery import SCHEMA_HEADER
from crm.tenancy.schedules import _REGISTERED
from intelligence import rescoring, services
from intelligence.models import IntelligenceSettings, ModelVersion, TrainingRun
from intelligence.registry import _lock_key
from intelligence.tasks import platform_nightly_training, train

from ..intelligence.conftest import make_history
from .conftest import make_lead


def test_cold_start_is_recorded_with_its_reason(alpha):
    with schema_context(alpha.schema):
        run = rescoring.model_train(kind="lead_score")
        assert run.status == TrainingRun.Status.COLD_START
        assert "rules" in run.reason and run.finished_at is not None
        assert not ModelVersion.objects.exists()


def test_a_training_is_recorded_and_followed_by_a_rescoring(alpha, people, monkeypatch):
    rescored: list[str] = []
    monkeypatch.setattr(rescoring, "model_rescore_all", lambda *, kind: rescored.append(kind))
    with schema_context(alpha.schema):
        make_history()
        run = train.apply(args=["lead_score"], headers={SCHEMA_HEADER: alpha.schema})
        assert run.get() == TrainingRun.Status.TRAINED
        row = TrainingRun.objects.get()  # one row per request, with the trainer's reason
        assert row.model_version.status == "active" and row.rows == 300
        assert f"v{row.model_version.version}, AUC" in row.reason
    assert rescored == ["lead_score"]


def _hold_lock(schema: str, kind: str):
    """Another worker's training: the advisory lock held on a second connection."""
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        connection = connections.create_connection("default")
        try:
            with connection.cursor() as cursor:
                cursor.execute("BEGIN")
                cursor.execute(
                    "SELECT pg_advisory_xact_lock(hashtext(%s))", [f"{schema}:intelligence:{kind}"]
                )
                held.set()
                release.wait(20)
                cursor.execute("ROLLBACK")
        finally:
            connection.close()

    thread = threading.Thread(target=hold)
    thread.start()
    assert held.wait(10)
    return release, thread


@pytest.mark.django_db(transaction=True)
def test_a_concurrent_training_is_refused_with_a_clear_reason(alpha):
    with schema_context(alpha.schema):
        assert _lock_key("lead_score") == f"{alpha.schema}:intelligence:lead_score"
    release, thread = _hold_lock(alpha.schema, "lead_score")
    try:
        with schema_context(alpha.schema):
            run = rescoring.model_train(kind="lead_score")
            assert run.status == TrainingRun.Status.REFUSED
            assert "already running" in run.reason
            with pytest.raises(rescoring.TrainingRefused, match="already running"):
                rescoring.training_request(kind="lead_score")
    finally:
        release.set()
        thread.join()
        with schema_context(alpha.schema):
            TrainingRun.objects.all().delete()


def test_a_queued_training_refuses_a_second_request(alpha, people, sent):
    with schema_context(alpha.schema):
        run = rescoring.training_request(kind="lead_score", actor=people["manager"])
        assert run.status == TrainingRun.Status.RUNNING
        with pytest.raises(rescoring.TrainingRefused, match="has not finished"):
            rescoring.training_request(kind="lead_score")
        # the worker picks it up later; a redelivered message does not train twice
        assert rescoring.model_train(kind="lead_score", run_id=run.pk).status == "cold_start"
        assert rescoring.model_train(kind="lead_score", run_id=run.pk).pk == run.pk
        assert TrainingRun.objects.count() == 1


def test_an_unknown_kind_is_a_field_error(alpha):
    from django.core.exceptions import ValidationError

    with schema_context(alpha.schema), pytest.raises(ValidationError) as exc:
        rescoring.training_request(kind="astrology")
    assert "kind" in exc.value.message_dict


def test_a_trainer_that_crashes_leaves_a_failed_run(alpha, monkeypatch):
    def boom(*, actor=None):
        raise ValueError("bad matrix")

    monkeypatch.setattr(rescoring, "trainer_for", lambda kind: boom)
    with schema_context(alpha.schema):
        run = rescoring.model_train(kind="lead_score")
    assert run.status == TrainingRun.Status.FAILED and "bad matrix" in run.reason


def test_nightly_training_fans_out_to_workspaces_that_want_it(alpha, beta, monkeypatch):
    queued: list[tuple[str, str]] = []

    def fake_delay(kind):
        from django.db import connection

        queued.append((connection.schema_name, kind))

    from config.celery import app
    from intelligence import tasks

    monkeypatch.setattr(tasks.train, "delay", fake_delay)
    with schema_context(beta.schema):
        row = services.intelligence_settings_get()
        IntelligenceSettings.objects.filter(pk=row.pk).update(nightly_training=False)
    saved = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    try:
        assert platform_nightly_training.apply().get() >= 2
    finally:
        app.conf.task_always_eager, app.conf.task_eager_propagates = saved
    assert (alpha.schema, "lead_score") in queued
    assert all(schema != beta.schema for schema, _ in queued)


def test_nightly_rescoring_rescores_every_kind(alpha, people):
    from intelligence.tasks import workspace_nightly_rescore

    lead = make_lead(alpha, owner=people["rep"])
    result = workspace_nightly_rescore.apply(headers={SCHEMA_HEADER: alpha.schema}).get()
    assert "lead_score" in result
    with schema_context(alpha.schema):
        assert lead.scores.exists()


def test_the_nightly_jobs_are_on_the_beat_schedule():
    by_task = {s.task: s for s in _REGISTERED.values()}
    assert by_task["intelligence.platform_nightly_training"].daily_at == (2, 0)
    assert by_task["intelligence.platform_nightly_rescore"].daily_at == (3, 0)
