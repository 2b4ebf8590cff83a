"""Lead scoring services: train (cold start aware, one at a time per workspace), activate a
version (rollback), compute scores with the active model or the rules scorecard."""

from __future__ import annotations

import hashlib
import io
import logging

import joblib
import numpy as np
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from crm.leads.models import Lead, LeadStatus

from . import training
from .features import lead_feature_spec, lead_features
from .models import LeadScore, ModelKind, ModelVersion
from .scorecard import Scored, scorecard_score

log = logging.getLogger(__name__)
POSITIVE = (LeadStatus.CONVERTED,)
NEGATIVE = (LeadStatus.LOST, LeadStatus.DISQUALIFIED)


class TrainingInProgress(RuntimeError):
    """Another training of the same kind is running in this workspace."""


def _lock_key(kind: str) -> str:
    # Advisory locks are per database, so the key names the workspace schema too.
    return f"{connection.schema_name}:intelligence:{kind}"


def _try_lock(kind: str) -> bool:
    """A transaction-level advisory lock: released at commit/rollback, even on a crash."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(hashtext(%s))", [_lock_key(kind)])
        return bool(cursor.fetchone()[0])


def _dump(payload: dict) -> tuple[bytes, str]:
    buffer = io.BytesIO()
    joblib.dump(payload, buffer, compress=3)
    data = buffer.getvalue()
    return data, hashlib.sha256(data).hexdigest()


def _outcomes() -> tuple[list[int], np.ndarray]:
    """Labelled leads, oldest first (the time-ordered split depends on it)."""
    rows = Lead.objects.filter(status__in=(*POSITIVE, *NEGATIVE)).order_by("created_at", "id")
    pairs = list(rows.values_list("id", "status"))
    return [pk for pk, _ in pairs], np.array([int(s in POSITIVE) for _, s in pairs])


def lead_score_model_train(*, actor=None) -> ModelVersion | None:
    """Train a new lead score model and activate it; None while the workspace is in cold start
    (fewer than MIN_OUTCOMES outcomes or MIN_POSITIVES conversions: the scorecard stays)."""
    kind = ModelKind.LEAD_SCORE
    with transaction.atomic():
        if not _try_lock(kind):
            raise TrainingInProgress("A lead score training is already running in this workspace.")
        ids, y = _outcomes()
        negatives = len(y) - int(y.sum())
        if len(y) < training.MIN_OUTCOMES or y.sum() < training.MIN_POSITIVES or not negatives:
            log.info("lead score: cold start (%s outcomes, %s positives)", len(y), int(y.sum()))
            return None
        spec, rows = lead_features(lead_ids=ids, spec=lead_feature_spec())
        X = training.matrix(spec, [rows[pk] for pk in ids])
        trained = training.train_time_ordered(spec, X, y)
        artifact, sha = _dump({"spec": spec, "model": trained.model})
        last = ModelVersion.objects.filter(kind=kind).aggregate(v=Max("version"))["v"] or 0
        ModelVersion.objects.filter(kind=kind, status=ModelVersion.Status.ACTIVE).update(
            status=ModelVersion.Status.RETIRED
        )
        version = ModelVersion.objects.create(
            kind=kind, version=last + 1, status=ModelVersion.Status.ACTIVE, rows_used=len(y),
            metrics=trained.metrics, feature_importance=trained.importance, artifact=artifact,
            sha256=sha,
        )  # fmt: skip
    log.info("lead score: trained %s by %s", version.label, getattr(actor, "pk", None))
    return version


@transaction.atomic
def model_version_activate(*, version: ModelVersion) -> ModelVersion:
    """Make `version` the active one of its kind (rollback to an older one included)."""
    ModelVersion.objects.filter(kind=version.kind, status=ModelVersion.Status.ACTIVE).exclude(
        pk=version.pk
    ).update(status=ModelVersion.Status.RETIRED)
    version.status = ModelVersion.Status.ACTIVE
    version.save(update_fields=["status"])
    return version


# (schema, version pk, sha256) → loaded payload; the checksum in the key means a re-stored
# artifact is reloaded, and the schema means one workspace's model never serves another.
_loaded: dict[tuple[str, int, str], dict] = {}


def _load(version: ModelVersion) -> dict | None:
    """The active model, checksum verified; None (and the problem recorded) if unusable."""
    key = (connection.schema_name, version.pk, version.sha256)
    if key in _loaded:
        return _loaded[key]
    data = bytes(version.artifact or b"")
    problem = ""
    if hashlib.sha256(data).hexdigest() != version.sha256:
        problem = "artifact checksum mismatch (corrupted or missing); scoring with the rules"
    else:
        try:
            payload = joblib.load(io.BytesIO(data))
        except Exception as exc:  # any unpickling failure means the same: use the rules
            problem = f"artifact could not be loaded ({exc.__class__.__name__}); using the rules"
    if problem:
        log.error("lead score model v%s unusable: %s", version.version, problem)
        ModelVersion.objects.filter(pk=version.pk).update(problem=problem)
        version.problem = problem
        return None
    _loaded[key] = payload
    return payload


def _active(kind: str) -> ModelVersion | None:
    return ModelVersion.objects.filter(kind=kind, status=ModelVersion.Status.ACTIVE).first()


def lead_score_compute(*, lead_ids: list[int]) -> list[LeadScore]:
    """Score the leads with the active model, or the scorecard in cold start or when the
    model cannot be used; stores and returns one LeadScore row per existing lead."""
    version = _active(ModelKind.LEAD_SCORE)
    payload = _load(version) if version is not None else None
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
