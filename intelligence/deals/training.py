"""Train, evaluate and explain the deal win model (scikit-learn, no pandas).

Numbers median-imputed and standardised, categories one-hot (unseen ignored, rare grouped),
a class-balanced LogisticRegression calibrated with CalibratedClassifierCV(ensemble=False):
one linear model, so each deal's factors are coefficient times standardised value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import Pipeline

from intelligence.training import build_preprocessor, matrix

from .features import DealFeatureSpec
from .rules import TOP_FACTORS, WinScore, top_factors

# Cold start: fewer closed deals, wins or losses than this and the rules keep scoring.
MIN_CLOSED = 100
MIN_WINS = 15
MIN_LOSSES = 15
TEST_FRACTION = 0.2

# How a numeric factor reads to a rep: (text when above the average deal, text when below).
PHRASES: dict[str, tuple[str, str]] = {
    "amount_log": ("Large deal ({amount:,.0f})", "Small deal ({amount:,.0f})"),
    "stage_position": ("Far along the pipeline", "Early in the pipeline"),
    "stage_probability": ("Stage probability {v:.0f} %", "Stage probability only {v:.0f} %"),
    "age_days": ("Open for {v:.0f} days", "Opened {v:.0f} days ago"),
    "days_in_stage": ("{v:.0f} days in the current stage", "{v:.0f} days in the current stage"),
    "stakeholders": ("{v:.0f} stakeholders on the deal", "{v:.0f} stakeholder(s) on the deal"),
    "activities_7d": ("{v:.0f} activities in the last 7 days", "{v:.0f} activities in 7 days"),
    "activities_30d": ("{v:.0f} activities in the last 30 days", "{v:.0f} activities in 30 days"),
    "inbound_30d": ("Buyer replied {v:.0f} times in 30 days", "{v:.0f} replies in 30 days"),
    "meetings": ("{v:.0f} meetings held", "{v:.0f} meetings held"),
    "days_since_last_activity": ("No activity for {v:.0f} days", "Active {v:.0f} days ago"),
    "close_date_slips": ("Close date pushed back {v:.0f} times", "Close date never pushed back"),
    "days_past_close_date": ("{v:.0f} days past the close date", "Close date not passed"),
    "company_employees": ("Company with {v:,.0f} employees", "Company with {v:,.0f} employees"),
}


def _pipeline(spec: DealFeatureSpec) -> Pipeline:
    prep = build_preprocessor(spec, min_frequency=3)  # type: ignore[arg-type]
    linear = LogisticRegression(class_weight="balanced", max_iter=2000, C=0.5)
    return Pipeline([("prep", prep), ("linear", linear)])


def fit(spec: DealFeatureSpec, X: np.ndarray, y: np.ndarray) -> CalibratedClassifierCV:
    model = CalibratedClassifierCV(_pipeline(spec), method="sigmoid", cv=3, ensemble=False)
    return model.fit(X, y)


def _calibration(y: np.ndarray, p: np.ndarray, bins: int = 10) -> list[dict]:
    edges = np.linspace(0, 1, bins + 1)
    table = []
    for i in range(bins):
        upper = p <= edges[i + 1] if i == bins - 1 else p < edges[i + 1]
        inside = (p >= edges[i]) & upper
        n = int(inside.sum())
        table.append({"bin": f"{edges[i]:.1f}-{edges[i + 1]:.1f}", "n": n,
                      "predicted": round(float(p[inside].mean()), 4) if n else None,
                      "observed": round(float(y[inside].mean()), 4) if n else None})  # fmt: skip
    return table


def _auc(y: np.ndarray, p: np.ndarray) -> float | None:
    return round(float(roc_auc_score(y, p)), 4) if len(set(y.tolist())) == 2 else None


@dataclass
class Trained:
    model: CalibratedClassifierCV
    metrics: dict
    importance: list[dict]


def train(spec: DealFeatureSpec, X: np.ndarray, y: np.ndarray) -> Trained:
    """Held-out AUC on the newest 20 % of closed deals after training on the older 80 % (rows
    come oldest close first), 5-fold stratified CV AUC as a steadier second opinion for small
    histories, then a refit on everything for the stored model."""
    cut = int(len(y) * (1 - TEST_FRACTION))
    held_out = fit(spec, X[:cut], y[:cut]) if len(set(y[:cut].tolist())) == 2 else None
    p_test = held_out.predict_proba(X[cut:])[:, 1] if held_out is not None else None
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    p_cv = cross_val_predict(
        CalibratedClassifierCV(_pipeline(spec), method="sigmoid", cv=3, ensemble=False),
        X, y, cv=folds, method="predict_proba",
    )[:, 1]  # fmt: skip
    time_auc = _auc(y[cut:], p_test) if p_test is not None else None
    metrics = {
        "auc": time_auc if time_auc is not None else _auc(y, p_cv),
        "auc_time_split": time_auc,
        "auc_cv": _auc(y, p_cv),
        "brier": round(float(brier_score_loss(y, p_cv)), 4),
        "precision_at_50": _precision(y, p_cv),
        "recall_at_50": _recall(y, p_cv),
        "rows": len(y), "wins": int(y.sum()), "train_rows": cut, "test_rows": len(y) - cut,
        "calibration": _calibration(y, p_cv),
    }  # fmt: skip
    model = fit(spec, X, y)
    return Trained(model=model, metrics=metrics, importance=importance(spec, model))


def _precision(y: np.ndarray, p: np.ndarray) -> float | None:
    picked = p >= 0.5
    return round(float(y[picked].mean()), 4) if picked.any() else None


def _recall(y: np.ndarray, p: np.ndarray) -> float | None:
    return round(float((p[y == 1] >= 0.5).mean()), 4) if y.sum() else None


def _linear(model: CalibratedClassifierCV) -> Pipeline:
    return model.calibrated_classifiers_[0].estimator


def _readable(spec: DealFeatureSpec, name: str) -> tuple[str, str, str | None]:
    """'num__x3' / 'cat__x15_Enterprise' (xN = input column N) → (column, label, category)."""
    block, _, rest = name.partition("__")
    index, _, category = rest[1:].partition("_")
    column = spec.columns[int(index)]
    return column, spec.labels.get(column, column), (category if block == "cat" else None)


def importance(spec: DealFeatureSpec, model: CalibratedClassifierCV) -> list[dict]:
    pipeline = _linear(model)
    names = pipeline.named_steps["prep"].get_feature_names_out()
    coefs = pipeline.named_steps["linear"].coef_[0]
    ranked = sorted(zip(names, coefs, strict=True), key=lambda item: -abs(item[1]))[:25]
    out = []
    for name, coef in ranked:
        _, label, category = _readable(spec, name)
        out.append({"feature": f"{label}: {category}" if category else label,
                    "coefficient": round(float(coef), 4)})  # fmt: skip
    return out


def _factor_text(spec: DealFeatureSpec, name: str, row: dict, value: float) -> str:
    column, label, category = _readable(spec, name)
    if category is not None:
        return f"{label}: {category}"
    raw = row.get(column)
    if raw is None:
        return f"{label} unknown"
    high, low = PHRASES.get(column, (f"{label} high ({{v:g}})", f"{label} low ({{v:g}})"))
    return (high if value > 0 else low).format(v=raw, amount=row.get("_amount") or 0)


def predict(
    spec: DealFeatureSpec, model: CalibratedClassifierCV, rows: list[dict], model_label: str
) -> list[WinScore]:
    """Calibrated win probabilities, each with its top positive and negative factors."""
    if not rows:
        return []
    X = matrix(spec, rows)
    probabilities = model.predict_proba(X)[:, 1]
    pipeline = _linear(model)
    transformed = pipeline.named_steps["prep"].transform(X)
    contributions = transformed * pipeline.named_steps["linear"].coef_[0]
    names = pipeline.named_steps["prep"].get_feature_names_out()
    order = np.argsort(contributions, axis=1)
    out = []
    for i, (row, p) in enumerate(zip(rows, probabilities, strict=True)):
        picked = [*order[i, ::-1][:TOP_FACTORS], *order[i, :TOP_FACTORS]]
        factors = {
            _factor_text(spec, names[j], row, transformed[i, j]): float(contributions[i, j])
            for j in picked
            if abs(contributions[i, j]) >= 0.005
        }
        out.append(WinScore(float(p), top_factors(list(factors.items())), model_label))
    return out
