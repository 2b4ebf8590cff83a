"""Churn risk and 3-year value of customers: train the churn model (cold start aware, one at a
time per workspace), score customers with it or with the rules, and store the history."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from django.utils import timezone

from crm.contacts.models import Company, Contact, LifecycleStage
from crm.deals.models import Deal
from intelligence import training as lead_training
from intelligence.featurekit import feature_number as finite_number
from intelligence.models import ModelKind, TrainingRun
from intelligence.registry import (
    TrainingInProgress,
    model_active_load,
    model_version_store,
    training_lock,
    training_run_finish,
    training_run_start,
)

from . import clv, training
from .features import COMPANY, CONTACT, Key, customer_feature_spec, features_as_of, history_load
from .models import CustomerScore
from .scorecard import HORIZON_DAYS, ChurnScored, churn_scorecard, churn_scored
from .selectors import customer_get, customer_keys_current, customer_keys_ever
from .selectors import customer_score_latest as _latest

log = logging.getLogger(__name__)
BATCH_SIZE = 2000
CLV_FORMULA_LABEL = "formula"


def _cold_start_reason(customers: int, churned: int) -> str:
    if customers >= training.MIN_CUSTOMERS and churned >= training.MIN_CHURNED:
        return ""
    return (
        f"only {customers} customers with {churned} churned; the churn model needs "
        f"{training.MIN_CUSTOMERS} customers and {training.MIN_CHURNED} churned "
        "(until then the rules score)"
    )


def churn_model_train(*, actor=None, now: datetime | None = None) -> TrainingRun:
    """Train a churn model on the workspace's customer history and activate it. Returns the
    TrainingRun that records the outcome: `trained` (with `model_version`), `cold_start`
    (with the reason: too few customers or churned ones), or `refused` when a churn training
    is already running in this workspace. Registered as the "churn" trainer, so the shared
    training request (admin, API) folds this run into its own."""
    kind, now = ModelKind.CHURN, now or timezone.now()
    run = training_run_start(kind=kind, actor=actor)
    try:
        with training_lock(kind):
            keys = customer_keys_ever()
            histories = history_load(keys=keys)
            shots = training.snapshots(histories, now=now)
            churned = len({s.key for s in shots if s.label})
            reason = _cold_start_reason(len(keys), churned)
            if not reason and len({s.label for s in shots}) < 2:
                reason = "every customer history has the same outcome; nothing to learn"
            if reason:
                log.info("churn: cold start (%s)", reason)
                return training_run_finish(
                    run, status=TrainingRun.Status.COLD_START, reason=reason,
                    rows=len(shots), positives=churned,
                )  # fmt: skip
            spec = customer_feature_spec()
            rows = training.rows_for(histories, shots, spec)
            ever = training.churned_ever(histories, shots)
            trained = training.train(spec, shots, rows, ever)
            version = model_version_store(
                kind=kind, payload={"spec": trained.spec, "model": trained.model},
                rows_used=len(shots), metrics=trained.metrics,
                feature_importance=trained.importance,
            )  # fmt: skip
    except TrainingInProgress as exc:
        return training_run_finish(run, status=TrainingRun.Status.REFUSED, reason=str(exc))
    except Exception as exc:
        training_run_finish(run, status=TrainingRun.Status.FAILED, reason=repr(exc)[:500])
        raise
    log.info("churn: trained %s by %s", version.label, getattr(actor, "pk", None))
    return training_run_finish(
        run, status=TrainingRun.Status.TRAINED, rows=len(shots), positives=churned,
        version=version, reason=f"Trained {version.label} on {len(shots)} customer-months.",
    )  # fmt: skip


def workspace_monthly_rate(*, now: datetime) -> float:
    """The workspace's pooled revenue rate: won revenue of all its customers (current and
    former) per customer-month (each customer counts at least one month). 3 queries."""
    stages = (LifecycleStage.CUSTOMER, LifecycleStage.CHURNED)
    months = 0.0
    for model in (Company, Contact):
        rows = model.objects.filter(lifecycle_stage__in=stages).values_list(
            "became_customer_at", "churned_at", "lifecycle_stage", "created_at"
        )
        for became, churned_at, stage, created in rows.iterator(chunk_size=5000):
            end = churned_at if stage == LifecycleStage.CHURNED and churned_at else now
            months += max(1.0, clv.tenure_months(became or created, end))
    if not months:
        return 0.0
    won = Deal.objects.filter(stage__is_won=True, closed_at__isnull=False)
    company_rev = won.filter(company__lifecycle_stage__in=stages).values_list("amount", flat=True)
    contact_rev = won.filter(primary_contact__lifecycle_stage__in=stages).values_list(
        "amount", flat=True
    )
    revenue = sum(finite_number(a) or 0.0 for a in [*company_rev, *contact_rev])
    return max(0.0, revenue) / months


def _churn(rows: list[dict], version, payload) -> list[ChurnScored]:
    if not payload:
        return [churn_scorecard(row) for row in rows]
    scored = lead_training.predict(payload["spec"], payload["model"], rows, version.label)
    return [churn_scored(s.probability, s.factors, s.model_label) for s in scored]


def _compute_batch(keys: list[Key], *, now: datetime, workspace_rate: float,
                   version, payload) -> list[CustomerScore]:  # fmt: skip
    # The model's own columns: a custom field deleted since training just reads as missing.
    spec = payload["spec"] if payload else customer_feature_spec()
    histories = history_load(keys=keys)
    order = [key for key in keys if key in histories]
    rows = [features_as_of(histories[key], now, spec) for key in order]
    scores = []
    for key, churn in zip(order, _churn(rows, version, payload), strict=True):
        history = histories[key]
        revenue = sum(amount for closed, amount in history.won if closed <= now)
        estimate = clv.clv_formula(
            revenue=revenue, tenure_months=clv.tenure_months(history.start, now),
            workspace_rate=workspace_rate, churn_probability=churn.probability,
        )  # fmt: skip
        kind, pk = key
        scores.append(CustomerScore(
            company_id=pk if kind == COMPANY else None,
            contact_id=pk if kind == CONTACT else None,
            horizon_days=HORIZON_DAYS, churn_probability=round(churn.probability, 6),
            churn_score=churn.score, band=churn.band, factors=churn.factors,
            model_label=churn.model_label, model_version=version if payload else None,
            clv_3y=estimate.value, clv_components=estimate.components,
            clv_label=CLV_FORMULA_LABEL, scored_at=now,
        ))  # fmt: skip
    return CustomerScore.objects.bulk_create(scores, batch_size=BATCH_SIZE)


def customer_scores_compute(
    *, keys: Iterable[Key], now: datetime | None = None
) -> list[CustomerScore]:
    """Score the given customers (("company", id) / ("contact", id)) that are current
    customers: churn risk with the active churn model or the rules (cold start, or a model
    that cannot be loaded), CLV with the formula. Stores and returns one row per customer."""
    now = now or timezone.now()
    keys = customer_keys_current(keys=keys)
    if not keys:
        return []
    version, payload = model_active_load(ModelKind.CHURN)
    rate = workspace_monthly_rate(now=now)
    out: list[CustomerScore] = []
    for start in range(0, len(keys), BATCH_SIZE):
        batch = keys[start : start + BATCH_SIZE]
        out.extend(_compute_batch(batch, now=now, workspace_rate=rate, version=version,
                                  payload=payload))  # fmt: skip
    return out


def customer_rescore_all() -> int:
    """Rescore every current customer of the workspace (nightly, and after training)."""
    return len(customer_scores_compute(keys=customer_keys_current()))


def customer_score_current(*, kind: str, pk: int) -> CustomerScore:
    """The customer's latest score, computed now if it has none yet. Raises NotACustomer."""
    customer_get(kind=kind, pk=pk)
    score = _latest(key=(kind, pk))
    if score is None:
        customer_scores_compute(keys=[(kind, pk)])
        score = _latest(key=(kind, pk))
    return score
