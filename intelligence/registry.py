"""The model registry every model kind shares (lead score, deal win, churn, CLV): one training
at a time per kind and workspace, checksummed artifacts, activation/rollback, training runs.

    with training_lock(kind):          # raises TrainingInProgress if one is running
        ...fit...
        version = model_version_store(kind=kind, payload={...}, rows_used=..., metrics=...)
    version, payload = model_active_load(kind)   # (None, None): use the rules
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import joblib
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from .models import ModelVersion, TrainingRun

log = logging.getLogger(__name__)


class TrainingInProgress(RuntimeError):
    """Another training of the same kind is running in this workspace."""


def _lock_key(kind: str) -> str:
    # Advisory locks are per database, so the key names the workspace schema too.
    return f"{connection.schema_name}:intelligence:{kind}"


@contextmanager
def training_lock(kind: str) -> Iterator[None]:
    """A transaction with a transaction-level advisory lock on (workspace, kind): released at
    commit/rollback, even if the worker dies. Raises TrainingInProgress when already held."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(hashtext(%s))", [_lock_key(kind)])
            if not cursor.fetchone()[0]:
                label = ModelVersion(kind=kind).get_kind_display().lower()
                raise TrainingInProgress(
                    f"A {label} training is already running in this workspace; "
                    "try again when it has finished."
                )
        yield


def _dump(payload: dict[str, Any]) -> tuple[bytes, str]:
    buffer = io.BytesIO()
    joblib.dump(payload, buffer, compress=3)
    data = buffer.getvalue()
    return data, hashlib.sha256(data).hexdigest()


def model_version_store(
    *,
    kind: str,
    payload: dict[str, Any],
    rows_used: int,
    metrics: dict[str, Any],
    feature_importance: list[Any] | None = None,
    activate: bool = True,
) -> ModelVersion:
    """Store a trained model as the kind's next version (and make it the active one)."""
    artifact, sha = _dump(payload)
    with transaction.atomic():
        last = ModelVersion.objects.filter(kind=kind).aggregate(v=Max("version"))["v"] or 0
        if activate:
            ModelVersion.objects.filter(kind=kind, status=ModelVersion.Status.ACTIVE).update(
                status=ModelVersion.Status.RETIRED
            )
        return ModelVersion.objects.create(
            kind=kind, version=last + 1, rows_used=rows_used, metrics=metrics,
            feature_importance=feature_importance or [], artifact=artifact, sha256=sha,
            status=ModelVersion.Status.ACTIVE if activate else ModelVersion.Status.RETIRED,
        )  # fmt: skip


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
_loaded: dict[tuple[str, int, str], dict[str, Any]] = {}


def model_payload_load(version: ModelVersion) -> dict[str, Any] | None:
    """The version's payload, checksum verified; None (and the problem recorded on the row,
    which the admin shows as an alert) if the artifact is corrupted, missing or unloadable."""
    key = (connection.schema_name, version.pk, version.sha256)
    if key in _loaded:
        return _loaded[key]
    data = bytes(version.artifact or b"")
    problem = ""
    if not data or hashlib.sha256(data).hexdigest() != version.sha256:
        problem = "artifact checksum mismatch (corrupted or missing); scoring with the rules"
    else:
        try:
            payload = joblib.load(io.BytesIO(data))
        except Exception as exc:  # any unpickling failure means the same: use the rules
            problem = f"artifact could not be loaded ({exc.__class__.__name__}); using the rules"
    if problem:
        log.error("%s model v%s unusable: %s", version.kind, version.version, problem)
        ModelVersion.objects.filter(pk=version.pk).update(problem=problem)
        version.problem = problem
        return None
    _loaded[key] = payload
    return payload


def model_active_load(kind: str) -> tuple[ModelVersion | None, dict[str, Any] | None]:
    """(active version, payload); (version, None) when its artifact is unusable; (None, None)
    when the workspace has no trained model of this kind (cold start)."""
    version = (
        ModelVersion.objects.filter(kind=kind, status=ModelVersion.Status.ACTIVE)
        .order_by("-version")
        .first()
    )
    if version is None:
        return None, None
    return version, model_payload_load(version)


def training_run_start(*, kind: str, actor: Any = None) -> TrainingRun:
    return TrainingRun.objects.create(kind=kind, requested_by=actor if actor else None)


def training_run_finish(
    run: TrainingRun,
    *,
    status: str,
    reason: str = "",
    rows: int = 0,
    positives: int = 0,
    version: ModelVersion | None = None,
) -> TrainingRun:
    run.status, run.reason, run.rows, run.positives = status, reason, rows, positives
    run.model_version, run.finished_at = version, timezone.now()
    run.save(
        update_fields=["status", "reason", "rows", "positives", "model_version", "finished_at"]
    )
    return run


# Each model kind's training and bulk-rescoring entry points, registered by the app that owns
# the kind (AppConfig.ready), so the admin, the API and the nightly job can train any kind.
# (*, actor=None[, run=TrainingRun]) -> the new version, None (cold start), or the TrainingRun it
# recorded itself; `intelligence.rescoring.model_train` accepts all three.
Trainer = Callable[..., "ModelVersion | TrainingRun | None"]
Rescorer = Callable[[], int]  # () -> how many records were rescored
_trainers: dict[str, Trainer] = {}
_rescorers: dict[str, Rescorer] = {}


def trainer_register(kind: str, *, train: Trainer, rescore_all: Rescorer) -> None:
    _trainers[kind] = train
    _rescorers[kind] = rescore_all


def trainer_for(kind: str) -> Trainer:
    """The kind's training function; KeyError names the kinds that can be trained."""
    if kind not in _trainers:
        raise KeyError(f"no trainer for {kind!r}; trainable kinds: {sorted(_trainers)}")
    return _trainers[kind]


def rescorer_for(kind: str) -> Rescorer:
    return _rescorers[kind]


def trainable_kinds() -> list[str]:
    return sorted(_trainers)
