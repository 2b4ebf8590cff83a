"""Lead scoring services: train (cold start aware, one at a time per workspace), activate a
version (rollback), compute scores with the active model or the rules scorecard."""

from __future__ import annotations

import logging

import numpy as np
from django.utils import timezone

from crm.leads.models import Lead, LeadStatus

from . import training
from .features import lead_feature_spec, lead_features
from .models import LeadScore, ModelKind, ModelVersion
from .registry import (  # noqa: F401 - re-exported for callers of the services
    TrainingInProgress,
    model_active_load,
    model_version_activate,
    model_version_store,
    training_lock,
)
from .scorecard import Scored, scorecard_score

log = logging.getLogger(__name__)
POSITIVE = (LeadStatus.CONVERTED,)
NEGATIVE = (LeadStatus.LOST, LeadStatus.DISQUALIFIED)


def _outcomes() -> tuple[list[int], np.ndarray]:
    """Labelled leads, oldest first (the time-ordered split depends on it)."""
    rows = Lead.objects.filter(status__in=(*POSITIVE, *NEGATIVE)).order_by("created_at", "id")
    pairs = list(rows.values_list("id", "status"))
    return [pk for pk, _ in pairs], np.array([int(s in POSITIVE) for _, s in pairs])


def lead_score_model_train(*, actor=None) -> ModelVersion | None:
    """Train a new lead score model and activate it; None while the workspace is in cold start
    (fewer than MIN_OUTCOMES outcomes or MIN_POSITIVES conversions: the scorecard stays)."""
    kind = ModelKind.LEAD_SCORE
    with training_lock(kind):
        ids, y = _outcomes()
        negatives = len(y) - int(y.sum())
        if len(y) < training.MIN_OUTCOMES or y.sum() < training.MIN_POSITIVES or not negatives:
            log.info("lead score: cold start (%s outcomes, %s positives)", len(y), int(y.sum()))
            return None
        spec, rows = lead_features(lead_ids=ids, spec=lead_feature_spec())
        X = training.matrix(spec, [rows[pk] for pk in ids])
        trained = training.train_time_ordered(spec, X, y)
        version = model_version_store(
            kind=kind, payload={"spec": spec, "model": trained.model}, rows_used=len(y),
            metrics=trained.metrics, feature_importance=trained.importance,
        )  # fmt: skip
    log.info("lead score: trained %s by %s", version.label, getattr(actor, "pk", None))
    return version


def lead_score_compute(*, lead_ids: list[int]) -> list[LeadScore]:
    """Score the leads with the active model, or the scorecard in cold start or when the
    model cannot be used; stores and returns one LeadScore row per existing lead."""
    version, payload = model_active_load(ModelKind.LEAD_SCORE)
    spec = payload["spec"] if payload else lead_feature_spec()
    # The model's own columns: a custom field deleted since training just reads as missing.
    _, rows = lead_features(lead_ids=lead_ids, spec=spec)
    order = [pk for pk in lead_ids if pk in rows]
    if payload:
        scored: list[Scored] = training.predict(
            spec, payload["model"], [rows[pk] for pk in order], version.label
        )
    else:
        scored = [scorecard_score(rows[pk]) for pk in order]
    now = timezone.now()
    scores = [
        LeadScore(lead_id=pk, score=s.score, probability=round(s.probability, 6),
                  temperature=s.temperature, model_label=s.model_label,
                  model_version=version if payload else None, factors=s.factors, scored_at=now)
        for pk, s in zip(order, scored, strict=True)
    ]  # fmt: skip
    return LeadScore.objects.bulk_create(scores, batch_size=2000)
