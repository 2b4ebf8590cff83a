"""Churn training rows without leakage, and the fit (the lead model's calibrated logistic
pipeline, reused: one linear model, so one explanation per score).

Each customer is described at monthly reference dates during its customer life; a row's label
is whether it churned within the 90 days after that date. So a churned customer appears as it
looked *before* it churned (the silence after the churn never enters its features), and a
customer that is still with us appears only at dates at least 90 days ago, where we know it
did not churn in the following 90 days.

Evaluation is time-ordered: the newest 20 % of reference dates are the test set, and only
rows whose 90-day outcome was known before the first test date are used to train it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from sklearn.metrics import roc_auc_score

from intelligence import training as lead_training
from intelligence.features import FeatureSpec

from .features import History, Key, features_as_of
from .scorecard import HIGH_BAND, HORIZON_DAYS

MIN_CUSTOMERS = 100
MIN_CHURNED = 15
STRIDE = timedelta(days=30)
MAX_SNAPSHOTS = 24  # per customer, the most recent ones
TEST_FRACTION = 0.2
HORIZON = timedelta(days=HORIZON_DAYS)
# A single custom field that separates churned from kept customers this well was most likely
# filled in when (or because) the customer left: dropped as a leak.
LEAK_AUC = 0.97


@dataclass(frozen=True)
class Snapshot:
    key: Key
    at: datetime
    label: int


def snapshots(histories: dict[Key, History], *, now: datetime) -> list[Snapshot]:
    """Labelled reference dates, oldest first."""
    out: list[Snapshot] = []
    for key, history in histories.items():
        churned = history.stage == "churned" and history.churned_at is not None
        if history.stage not in ("customer", "churned") or (
            history.stage == "churned" and not churned
        ):
            continue
        end = history.churned_at if churned else now - HORIZON
        own: list[Snapshot] = []
        at = history.start + STRIDE
        while at < end:
            label = int(churned and history.churned_at - at <= HORIZON)
            own.append(Snapshot(key, at, label))
            at += STRIDE
        out.extend(own[-MAX_SNAPSHOTS:])
    out.sort(key=lambda s: (s.at, s.key))
    return out


def rows_for(histories: dict[Key, History], shots: list[Snapshot], spec: FeatureSpec) -> list[dict]:
    return [features_as_of(histories[s.key], s.at, spec) for s in shots]


def churned_ever(histories: dict[Key, History], shots: list[Snapshot]) -> np.ndarray:
    """Per row: did this customer churn at some point (whatever the row's own label)."""
    return np.array([int(histories[s.key].stage == "churned") for s in shots])


def leaky_columns(spec: FeatureSpec, rows: list[dict], churned: np.ndarray) -> list[str]:
    """Custom columns that alone (value or missingness) nearly tell churned customers from
    kept ones. Custom values carry no date, so a field filled in at (or because of) the churn
    would otherwise be read at every earlier reference date too."""
    y = churned
    leaky = []
    for name in spec.columns:
        if not name.startswith("cf_"):
            continue
        values = [row.get(name) for row in rows]
        present = np.array([v is not None for v in values], dtype=float)
        candidates = [present]
        if name in spec.numeric:
            candidates.append(np.array([v if v is not None else -1e18 for v in values]))
        else:
            for level in {v for v in values if v is not None}:
                candidates.append(np.array([v == level for v in values], dtype=float))
        for signal in candidates:
            if len(set(signal.tolist())) < 2:
                continue
            auc = roc_auc_score(y, signal)
            if max(auc, 1 - auc) >= LEAK_AUC:
                leaky.append(name)
                break
    return leaky


def without(spec: FeatureSpec, names: list[str]) -> FeatureSpec:
    drop = set(names)
    return FeatureSpec(
        numeric=tuple(c for c in spec.numeric if c not in drop),
        categorical=tuple(c for c in spec.categorical if c not in drop),
        labels={k: v for k, v in spec.labels.items() if k not in drop},
    )


@dataclass
class TrainedChurn:
    spec: FeatureSpec
    model: object
    metrics: dict
    importance: list[dict]


def train(
    spec: FeatureSpec, shots: list[Snapshot], rows: list[dict], churned: np.ndarray
) -> TrainedChurn:
    """`churned`: per row, whether that customer ever churned (see churned_ever)."""
    y = np.array([s.label for s in shots])
    leaky = leaky_columns(spec, rows, churned) if len(set(churned.tolist())) == 2 else []
    # A column with one value (every customer a company, no sources) explains nothing and
    # would show up as the same "factor" on every customer.
    constant = [c for c in spec.columns if len({repr(row.get(c)) for row in rows}) < 2]
    spec = without(spec, leaky + constant)
    X = lead_training.matrix(spec, rows)
    cut_at = shots[int(len(shots) * (1 - TEST_FRACTION))].at
    train_mask = np.array([s.at + HORIZON <= cut_at for s in shots])
    test_mask = np.array([s.at >= cut_at for s in shots])
    metrics: dict = {"auc": None}
    y_train, y_test = y[train_mask], y[test_mask]
    if y_train.sum() >= 3 and (y_train == 0).sum() >= 3 and len(set(y_test.tolist())) == 2:
        held_out = lead_training.fit(spec, X[train_mask], y_train)
        metrics = lead_training.evaluate(
            y_test, held_out.predict_proba(X[test_mask])[:, 1], hot=HIGH_BAND
        )
        metrics["train_rows"] = int(train_mask.sum())
    else:
        metrics["evaluation"] = "not enough history on both sides of the time split"
    model = lead_training.fit(spec, X, y)
    metrics.update({
        "rows": len(y), "positives": int(y.sum()), "horizon_days": HORIZON_DAYS,
        "customers": len({s.key for s in shots}), "excluded_as_leaks": leaky,
        "excluded_as_constant": constant,
        "high_band": HIGH_BAND,
    })  # fmt: skip
    explainer = lead_training.Explainer.build(spec, model, X)
    importance = lead_training.feature_importance(spec, model, explainer, X)
    return TrainedChurn(spec, model, metrics, importance)
