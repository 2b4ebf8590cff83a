"""Lead scoring services: workspace settings, train (cold start aware, one at a time per
workspace, every request recorded as a TrainingRun with its reason), activate a version
(rollback), compute scores with the active model or the rules scorecard, rescore all open
leads."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from django.db import connection, transaction
from django.db.models.base import ModelState
from django.utils import timezone

from crm.leads.models import Lead, LeadStatus
from crm.leads.services import lead_current_scores_store
from crm.leads.status import OPEN_STATUSES

from . import training
from .features import FeatureSpec, FeatureTable, lead_feature_spec, lead_feature_table
from .models import IntelligenceSettings, LeadScore, ModelKind, ModelVersion, TrainingRun
from .registry import (  # noqa: F401 - re-exported for callers of the services
    TrainingInProgress,
    model_active_load,
    model_payload_load,
    model_version_activate,
    model_version_store,
    training_lock,
    training_run_finish,
    training_run_start,
)
from .scorecard import Scored, scorecard_score

log = logging.getLogger(__name__)
POSITIVE = (LeadStatus.CONVERTED,)
NEGATIVE = (LeadStatus.LOST, LeadStatus.DISQUALIFIED)
RESCORE_BATCH = 5000
ASYNC_COMMIT_FROM = 1000  # leads in one compute call
STAYS_ON_RULES = "Scoring stays on the rules scorecard."


def intelligence_settings_get() -> IntelligenceSettings:
    """The workspace's single settings row, created with the defaults on first use."""
    row = IntelligenceSettings.objects.order_by("pk").first()
    if row is None:
        row, _ = IntelligenceSettings.objects.get_or_create(pk=1)
    return row


def _outcomes() -> tuple[list[int], np.ndarray]:
    """Labelled leads, oldest first (the time-ordered split depends on it)."""
    rows = Lead.objects.filter(status__in=(*POSITIVE, *NEGATIVE)).order_by("created_at", "id")
    pairs = list(rows.values_list("id", "status"))
    return [pk for pk, _ in pairs], np.array([int(s in POSITIVE) for _, s in pairs], dtype=int)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def cold_start_reason(*, outcomes: int, positives: int) -> str:
    """Why this history is too thin to train on, in words ("" when it is enough)."""
    negatives = outcomes - positives
    need = (f"the model needs at least {training.MIN_OUTCOMES} closed leads with "
            f"{training.MIN_POSITIVES} conversions")  # fmt: skip
    if outcomes == 0:
        reason = f"No closed leads yet; {need}."
    elif positives == 0:
        reason = (f"None of the {_plural(outcomes, 'closed lead')} converted: with one class "
                  f"there is nothing to learn; {need}.")  # fmt: skip
    elif negatives == 0:
        reason = (f"All {_plural(outcomes, 'closed lead')} converted: with one class there is "
                  f"nothing to learn; {need}.")  # fmt: skip
    elif positives < training.MIN_POSITIVES:
        reason = (f"Only {_plural(positives, 'conversion')}; the model needs at least "
                  f"{training.MIN_POSITIVES} (and {training.MIN_OUTCOMES} outcomes).")  # fmt: skip
    elif outcomes < training.MIN_OUTCOMES:
        reason = (f"Only {_plural(outcomes, 'closed lead')}; the model needs at least "
                  f"{training.MIN_OUTCOMES} outcomes (and {training.MIN_POSITIVES} "
                  "conversions).")  # fmt: skip
    elif negatives < training.MIN_NEGATIVES:
        reason = (f"Only {_plural(negatives, 'lost or disqualified lead')}; the model needs "
                  f"at least {training.MIN_NEGATIVES} to learn what does not convert.")  # fmt: skip
    else:
        return ""
    return f"{reason} {STAYS_ON_RULES}"


def _split_reason(y: np.ndarray) -> str:
    # The time-ordered evaluation trains on the older 80 %: it needs both classes too.
    older = y[: int(len(y) * (1 - training.TEST_FRACTION))]
    if 0 < older.sum() < len(older):
        return ""
    missing = "conversions" if older.sum() == 0 else "lost or disqualified leads"
    return (f"The older 80 % of the history has no {missing} (they are all recent), so the "
            f"model cannot be trained and checked on the newer 20 %. {STAYS_ON_RULES}")  # fmt: skip


@dataclass
class _Outcome:
    status: str
    reason: str = ""
    rows: int = 0
    positives: int = 0
    version: ModelVersion | None = None


def lead_score_model_train(*, actor=None, run: TrainingRun | None = None) -> ModelVersion | None:
    """Train a new lead score model and activate it; None while the workspace stays on the
    rules scorecard (too little or one-class history). Every request is recorded as a
    TrainingRun (`run`, when the caller already created one, else a new one) with its outcome
    and reason. A concurrent training raises TrainingInProgress (recorded as refused); any
    other failure is recorded as failed and re-raised, so the worker/caller sees it.

    The run row is written outside the training lock's transaction, so it survives the
    rollback of a refused or failed training."""
    kind = ModelKind.LEAD_SCORE
    run = run or training_run_start(kind=kind, actor=actor)
    hot = intelligence_settings_get().hot_threshold
    try:
        with training_lock(kind):
            outcome = _train_locked(kind, hot)
    except TrainingInProgress as exc:
        training_run_finish(run, status=TrainingRun.Status.REFUSED, reason=str(exc))
        raise
    except Exception as exc:
        log.exception("lead score training failed")
        training_run_finish(run, status=TrainingRun.Status.FAILED,
                            reason=f"Training failed: {exc.__class__.__name__}: {exc}")  # fmt: skip
        raise
    training_run_finish(run, status=outcome.status, reason=outcome.reason, rows=outcome.rows,
                        positives=outcome.positives, version=outcome.version)  # fmt: skip
    log.info("lead score training by %s: %s %s", getattr(actor, "pk", None), outcome.status,
             outcome.reason)  # fmt: skip
    return outcome.version


def _train_locked(kind: str, hot: int) -> _Outcome:
    ids, y = _outcomes()
    positives = int(y.sum())
    counts = {"rows": len(y), "positives": positives}
    reason = cold_start_reason(outcomes=len(y), positives=positives) or _split_reason(y)
    if reason:
        return _Outcome(status=TrainingRun.Status.COLD_START, reason=reason, **counts)
    spec = training.model_spec(lead_feature_spec())
    X = lead_feature_table(lead_ids=ids, spec=spec).matrix()  # every outcome id exists
    trained = training.train_time_ordered(spec, X, y, hot=hot)
    version = model_version_store(
        kind=kind, payload={"spec": spec, "model": trained.model, "explainer": trained.explainer},
        rows_used=len(y), metrics=trained.metrics, feature_importance=trained.importance,
    )  # fmt: skip
    label = version.label[:1].upper() + version.label[1:]
    reason = f"{label}, from {len(y)} closed leads ({positives} conversions); now active."
    return _Outcome(status=TrainingRun.Status.TRAINED, reason=reason, version=version, **counts)


def _lead_model_active() -> tuple[ModelVersion | None, dict | None]:
    """`model_active_load` for the lead score without reading the artifact bytes every time:
    the registry caches payloads by (schema, version, checksum), so the bytes are fetched (one
    deferred-field query) only when this process meets a version for the first time. The row
    itself is read on every call, so a version activated elsewhere is used on the next score."""
    version = (
        ModelVersion.objects.filter(kind=ModelKind.LEAD_SCORE, status=ModelVersion.Status.ACTIVE)
        .defer("artifact")
        .order_by("-version")
        .first()
    )
    if version is None:
        return None, None
    return version, model_payload_load(version)


@dataclass
class _Scorer:
    """What one compute call reads once: thresholds, the active model (or none)."""

    hot: int
    warm: int
    version: ModelVersion | None
    payload: dict | None
    spec: FeatureSpec

    @classmethod
    def load(cls) -> _Scorer:
        settings = intelligence_settings_get()
        version, payload = _lead_model_active()
        # The model's own columns: a custom field deleted since training just reads as missing.
        spec = payload["spec"] if payload else lead_feature_spec()
        return cls(hot=settings.hot_threshold, warm=settings.warm_threshold, version=version,
                   payload=payload, spec=spec)  # fmt: skip

    def score(self, table: FeatureTable) -> list[Scored]:
        if self.payload:
            try:
                return training.predict_matrix(
                    self.spec, self.payload["model"], table.matrix(self.spec),
                    self.version.label, explainer=self.payload.get("explainer"), hot=self.hot,
                    warm=self.warm,
                )  # fmt: skip
            except Exception as exc:  # an unusable model scores with the rules, never a 500
                log.exception("lead score model %s failed to predict", self.version)
                problem = f"prediction failed ({exc.__class__.__name__}); using the rules"
                ModelVersion.objects.filter(pk=self.version.pk).update(problem=problem)
                self.payload, self.version = None, None
        return [scorecard_score(table.row(i), hot=self.hot, warm=self.warm)
                for i in range(len(table))]  # fmt: skip


def _store(scorer: _Scorer, order: list[int], scored: list[Scored], now: datetime) -> list[int]:
    """History rows in one INSERT … SELECT unnest(…) per batch (ids returned), and the
    leads' current score in one UPDATE, in one transaction so both always agree."""
    version_id = scorer.version.pk if scorer.version else None
    table = LeadScore._meta.db_table
    ids: list[int] = []
    outermost = not connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cursor:
        if outermost and len(order) >= ASYNC_COMMIT_FROM:
            # Derived data, recomputable at any time: a bulk rescoring need not wait for its
            # WAL flush (a crash can lose the last fraction of a second of scores, never
            # corrupt them). Only when this is the whole transaction, never a caller's.
            cursor.execute("SET LOCAL synchronous_commit = off")
        for start in range(0, len(order), RESCORE_BATCH):
            part = scored[start : start + RESCORE_BATCH]
            # One JSON document per batch: serialised in C and parsed by the server, much
            # cheaper than adapting six Python lists of 5,000 strings each.
            records = json.dumps([
                [pk, sc.score, sc.probability, sc.temperature, sc.model_label,
                 sc.factors]
                for pk, sc in zip(order[start : start + RESCORE_BATCH], part, strict=True)
            ])  # fmt: skip
            cursor.execute(
                f"""
                INSERT INTO {table} (lead_id, score, probability, temperature, model_label,
                                     model_version_id, factors, scored_at)
                SELECT (r.v->>0)::bigint, (r.v->>1)::smallint, (r.v->>2)::float8, r.v->>3,
                       r.v->>4, %s, r.v->5, %s
                  FROM jsonb_array_elements(%s::jsonb) WITH ORDINALITY AS r(v, n)
                 ORDER BY r.n
                RETURNING id
                """,
                [version_id, now, records],
            )
            ids.extend(sorted(r[0] for r in cursor.fetchall()))  # serial ids follow ORDER BY
        lead_current_scores_store(
            scores=[(pk, s.score, s.temperature, s.model_label)
                    for pk, s in zip(order, scored, strict=True)],
            at=now,
        )  # fmt: skip
    return ids


def _compute(
    scorer: _Scorer, lead_ids: list[int], now: datetime
) -> tuple[list[int], list[Scored], list[int]]:
    # Each lead once, in the order asked, unknown ids left out.
    table = lead_feature_table(lead_ids=lead_ids, spec=scorer.spec, now=now)
    order = table.ids
    if not order:
        return [], [], []
    scored = scorer.score(table)
    return order, scored, _store(scorer, order, scored, now)


def lead_score_compute(*, lead_ids: list[int]) -> list[LeadScore]:
    """Score the leads with the active model, or the scorecard in cold start or when the
    model cannot be used; stores one LeadScore history row per existing lead, writes each
    lead's current score, and returns the stored rows (unknown ids are skipped). The
    workspace's hot/warm thresholds are read once per call."""
    if not lead_ids:
        return []
    scorer, now = _Scorer.load(), timezone.now()
    order, scored, ids = _compute(scorer, lead_ids, now)
    version = scorer.version
    version_id = version.pk if version else None
    # Built the way unpickling builds a model instance (attributes set directly): Model.__init__
    # took ~0.5 s for 40,000 rows. The version that scored them is attached, so a caller
    # showing "trained v3, AUC 0.81" does not read back what it wrote.
    cached = {"model_version": version} if version is not None else {}
    alias = connection.alias  # read once: the connection proxy costs ~15 µs per attribute
    scores = []
    for pk, lead_id, s in zip(ids, order, scored, strict=True):
        state = ModelState()
        state.adding, state.db, state.fields_cache = False, alias, dict(cached)
        score = LeadScore.__new__(LeadScore)
        score.__dict__.update(
            _state=state, id=pk, lead_id=lead_id, score=s.score,
            probability=s.probability, temperature=s.temperature,
            model_label=s.model_label, model_version_id=version_id, factors=s.factors,
            scored_at=now,
        )  # fmt: skip
        scores.append(score)
    return scores


def lead_score_rescore_all() -> int:
    """Rescore every open lead (after training, nightly time decay), RESCORE_BATCH at a time
    with the model and thresholds loaded once; returns how many were scored."""
    scorer = _Scorer.load()
    open_ids = list(
        Lead.objects.filter(status__in=OPEN_STATUSES).order_by("pk").values_list("pk", flat=True)
    )
    count = 0
    for start in range(0, len(open_ids), RESCORE_BATCH):
        order, _, _ = _compute(scorer, open_ids[start : start + RESCORE_BATCH], timezone.now())
        count += len(order)
    return count
