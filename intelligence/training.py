"""Train, evaluate and explain the lead conversion model (scikit-learn, no pandas).

Pipeline: numeric columns imputed (median) and standardised, categories one-hot encoded
(unseen values ignored), a class-balanced LogisticRegression, calibrated with
CalibratedClassifierCV(ensemble=False) so one fitted linear model explains every prediction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from .features import FeatureSpec
from .scorecard import HOT_THRESHOLD, TOP_FACTORS, Scored, temperature_for, top_factors

MIN_OUTCOMES = 200
MIN_POSITIVES = 20
TEST_FRACTION = 0.2
MISSING = "(missing)"


def _to_float(block: np.ndarray) -> np.ndarray:
    return np.asarray(block, dtype=float)  # None becomes nan, imputed next


def _to_text(block: np.ndarray) -> np.ndarray:
    return np.where(block == None, MISSING, block).astype(str)  # noqa: E711 - elementwise


def matrix(spec: FeatureSpec, rows: list[dict]) -> np.ndarray:
    return np.array([[row.get(c) for c in spec.columns] for row in rows], dtype=object)


def build_pipeline(spec: FeatureSpec) -> Pipeline:
    n_num = len(spec.numeric)
    numeric = Pipeline([
        ("float", FunctionTransformer(_to_float, feature_names_out="one-to-one")),
        ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
        ("scale", StandardScaler()),
    ])  # fmt: skip
    categorical = Pipeline([
        ("text", FunctionTransformer(_to_text, feature_names_out="one-to-one")),
        ("onehot", OneHotEncoder(handle_unknown="ignore", min_frequency=5)),
    ])  # fmt: skip
    prep = ColumnTransformer(
        [("num", numeric, list(range(n_num))),
         ("cat", categorical, list(range(n_num, len(spec.columns))))],
        sparse_threshold=0,
    )  # fmt: skip
    linear = LogisticRegression(class_weight="balanced", max_iter=2000, C=1.0)
    return Pipeline([("prep", prep), ("linear", linear)])


def fit(spec: FeatureSpec, X: np.ndarray, y: np.ndarray) -> CalibratedClassifierCV:
    model = CalibratedClassifierCV(build_pipeline(spec), method="sigmoid", cv=3, ensemble=False)
    return model.fit(X, y)


def calibration_table(y: np.ndarray, p: np.ndarray, bins: int = 10) -> list[dict]:
    edges = np.linspace(0, 1, bins + 1)
    table = []
    for i in range(bins):
        upper = p <= edges[i + 1] if i == bins - 1 else p < edges[i + 1]
        inside = (p >= edges[i]) & upper
        n = int(inside.sum())
        table.append({
            "bin": f"{edges[i]:.1f}-{edges[i + 1]:.1f}", "n": n,
            "predicted": round(float(p[inside].mean()), 4) if n else None,
            "observed": round(float(y[inside].mean()), 4) if n else None,
        })  # fmt: skip
    return table


def evaluate(y: np.ndarray, p: np.ndarray, *, hot: int = HOT_THRESHOLD) -> dict:
    hot_mask = p * 100 >= hot
    positives = int(y.sum())
    true_hot = int((hot_mask & (y == 1)).sum())
    both = len(set(y.tolist())) == 2
    return {
        "auc": round(float(roc_auc_score(y, p)), 4) if both else None,
        "brier": round(float(brier_score_loss(y, p)), 4),
        "precision_at_hot": round(true_hot / hot_mask.sum(), 4) if hot_mask.any() else None,
        "recall_at_hot": round(true_hot / positives, 4) if positives else None,
        "hot_threshold": hot,
        "test_rows": len(y), "test_positives": positives,
        "calibration": calibration_table(y, p),
    }  # fmt: skip


@dataclass
class Trained:
    model: CalibratedClassifierCV
    metrics: dict
    importance: list[dict]


def train_time_ordered(spec: FeatureSpec, X: np.ndarray, y: np.ndarray) -> Trained:
    """Evaluate on the newest 20 % after training on the older 80 % (rows come oldest first),
    then refit on everything so the stored model uses all the history."""
    cut = int(len(y) * (1 - TEST_FRACTION))
    held_out = fit(spec, X[:cut], y[:cut])
    metrics = evaluate(y[cut:], held_out.predict_proba(X[cut:])[:, 1])
    metrics["train_rows"] = cut
    model = fit(spec, X, y)
    return Trained(model=model, metrics=metrics, importance=importance(spec, model))


def _linear(model: CalibratedClassifierCV) -> Pipeline:
    return model.calibrated_classifiers_[0].estimator


def _readable(spec: FeatureSpec, name: str) -> tuple[str, str | None]:
    """'num__x3' / 'cat__x15_referral' (xN = input column N) → (column label, category)."""
    block, _, rest = name.partition("__")
    index, _, category = rest[1:].partition("_")
    column = spec.columns[int(index)]
    return spec.labels.get(column, column), (category if block == "cat" else None)


def importance(spec: FeatureSpec, model: CalibratedClassifierCV) -> list[dict]:
    pipeline = _linear(model)
    names = pipeline.named_steps["prep"].get_feature_names_out()
    coefs = pipeline.named_steps["linear"].coef_[0]
    ranked = sorted(zip(names, coefs, strict=True), key=lambda item: -abs(item[1]))[:25]
    out = []
    for name, coef in ranked:
        label, category = _readable(spec, name)
        out.append({"feature": f"{label}: {category}" if category else label,
                    "coefficient": round(float(coef), 4)})  # fmt: skip
    return out


def _factor_text(spec: FeatureSpec, name: str, row: dict, value: float) -> str:
    label, category = _readable(spec, name)
    if category is not None:
        return f"{label}: {category}"
    raw = row.get(spec.columns[int(name.partition("__")[2][1:])])
    level = "high" if value > 0 else "low"
    return f"{label} {level} ({raw:g})" if raw is not None else f"{label} unknown"


def predict(spec: FeatureSpec, model: CalibratedClassifierCV, rows: list[dict],
            model_label: str) -> list[Scored]:  # fmt: skip
    """Calibrated probabilities with per-row factors: coefficient times standardised value for
    numbers (high/low against the training mean), coefficient for the lead's category (an
    absent category is not a factor)."""
    X = matrix(spec, rows)
    probabilities = model.predict_proba(X)[:, 1]
    pipeline = _linear(model)
    transformed = pipeline.named_steps["prep"].transform(X)
    contributions = transformed * pipeline.named_steps["linear"].coef_[0]
    names = pipeline.named_steps["prep"].get_feature_names_out()
    order = np.argsort(contributions, axis=1)  # vectorised: only the top few become text
    out = []
    for i, (row, p) in enumerate(zip(rows, probabilities, strict=True)):
        picked = [*order[i, ::-1][:TOP_FACTORS], *order[i, :TOP_FACTORS]]
        factors = {
            _factor_text(spec, names[j], row, transformed[i, j]): float(contributions[i, j])
            for j in picked
            if abs(contributions[i, j]) >= 0.005
        }
        score = round(float(p) * 100)
        out.append(
            Scored(probability=float(p), score=score, temperature=temperature_for(score),
                   factors=top_factors(list(factors.items())), model_label=model_label)
        )  # fmt: skip
    return out
