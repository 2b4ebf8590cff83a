"""Train, evaluate and explain the lead conversion model (scikit-learn, no pandas).

The model is an L2-regularised logistic regression on every feature the workspace has
(numbers imputed (median) and standardised, categories one-hot encoded, unseen values ignored,
rare ones grouped). From 2,000 closed leads its coefficients are time-stable (columns whose
effect wanders across the history are penalised more) and guarded tree corrections learn bumps
inside the range the history covers and add nothing outside it (intelligence/corrections.py).
Why this and not boosting alone or a post-hoc calibrator (measured on the bank-marketing
benchmark, see docs/lead-scoring.md):

- Imported history drifts: a later period has other levels of period-wide numbers (economy,
  seasonality) and another base rate. A linear model extrapolates a trend beyond the range it
  was trained on; trees and binned/spline numerics clamp it and lost most of the ranking. The
  corrections' guard keeps the linear extrapolation there.
- Plain (unweighted) logistic regression is calibrated by its own loss and its probabilities
  follow such a shift; class weighting plus a sigmoid calibrator squeezed them back to the old
  base rate (Brier 0.27 instead of 0.19 on the newer period).
- Every prediction is explained exactly: each linear factor is coefficient * (the lead's value
  - the average lead's), in log-odds; each tree's correction is credited to the columns its
  splits used along the lead's path; together they add up to the score's distance from an
  average lead (plus the applied trees' constant root values).
"""

from __future__ import annotations

import contextlib
import gc
import math
from collections.abc import Iterator
from dataclasses import dataclass, replace

import numpy as np
from scipy.special import expit
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from .corrections import CorrectedLogisticRegression
from .features import FeatureSpec
from .scorecard import HOT_THRESHOLD, TOP_FACTORS, WARM_THRESHOLD, Scored, temperature_for

MIN_OUTCOMES = 200
MIN_POSITIVES = 20
MIN_NEGATIVES = 20
TEST_FRACTION = 0.2
MISSING = "(missing)"
REGULARISATION_C = 1.0
MIN_FACTOR_WEIGHT = 0.01
# Not model inputs although the scorecard uses them: for a closed lead "days since created"
# is how long it took to close (known only at the outcome), for an open one how long it has
# been open so far, and for imported history it is the import time: not the same quantity.
NOT_MODEL_INPUTS = frozenset({"days_since_created"})


def model_spec(spec: FeatureSpec) -> FeatureSpec:
    """The workspace's feature spec without the columns the model must not learn from."""
    return replace(
        spec,
        numeric=tuple(c for c in spec.numeric if c not in NOT_MODEL_INPUTS),
        categorical=tuple(c for c in spec.categorical if c not in NOT_MODEL_INPUTS),
    )


def _to_float(block: np.ndarray) -> np.ndarray:
    # None becomes nan (imputed next); infinities too, so a bad value never reaches the scaler.
    values = np.asarray(block, dtype=float)
    values[~np.isfinite(values)] = np.nan
    return values


def _to_text(block: np.ndarray) -> np.ndarray:
    return np.where(block == None, MISSING, block).astype(str)  # noqa: E711 - elementwise


def matrix(spec: FeatureSpec, rows: list[dict]) -> np.ndarray:
    return np.array([[row.get(c) for c in spec.columns] for row in rows], dtype=object)


class AverageUnseenOneHotEncoder(OneHotEncoder):
    """One-hot encoding in which a value never seen in training (a new month, a new industry)
    reads as the training average of its feature's columns instead of all zeros. All zeros
    would score it like whichever level the fit happened to centre at zero, and explain it as
    "not level X"; the average scores it like an average lead on that feature and adds
    nothing to the explanation, which is all the model knows about it."""

    def __init__(self, *, min_frequency: int | None = None):
        super().__init__(handle_unknown="ignore", min_frequency=min_frequency,
                         sparse_output=False)  # fmt: skip

    def fit(self, X, y=None):
        super().fit(X, y)
        self.average_ = np.asarray(super().transform(X), dtype=float).mean(axis=0)
        return self

    def fit_transform(self, X, y=None):
        return self.fit(X, y).transform(X)

    def transform(self, X):
        out = np.asarray(super().transform(X), dtype=float)
        offset = 0
        for width in self._n_features_outs:
            block = slice(offset, offset + width)
            unseen = ~out[:, block].any(axis=1)
            if unseen.any():
                out[unseen, block] = self.average_[block]
            offset += width
        return out


def build_preprocessor(spec: FeatureSpec, *, min_frequency: int = 5) -> ColumnTransformer:
    """Numbers imputed (median) and standardised, categories one-hot (rare values grouped,
    unseen ones read as the average: AverageUnseenOneHotEncoder); shared by every model kind
    so they read features the same way."""
    n_num = len(spec.numeric)
    numeric = Pipeline([
        ("float", FunctionTransformer(_to_float, feature_names_out="one-to-one")),
        ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
        ("scale", StandardScaler()),
    ])  # fmt: skip
    categorical = Pipeline([
        ("text", FunctionTransformer(_to_text, feature_names_out="one-to-one")),
        ("onehot", AverageUnseenOneHotEncoder(min_frequency=min_frequency)),
    ])  # fmt: skip
    return ColumnTransformer(
        [("num", numeric, list(range(n_num))),
         ("cat", categorical, list(range(n_num, len(spec.columns))))],
        sparse_threshold=0,
    )  # fmt: skip


def build_pipeline(spec: FeatureSpec) -> Pipeline:
    prep = build_preprocessor(spec)
    linear = CorrectedLogisticRegression(C=REGULARISATION_C, max_iter=3000)
    return Pipeline([("prep", prep), ("linear", linear)])


def fit(spec: FeatureSpec, X: np.ndarray, y: np.ndarray) -> Pipeline:
    return build_pipeline(spec).fit(X, y)


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
    hot_mask = np.rint(p * 100) >= hot  # the score a rep sees is rounded
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
    model: Pipeline
    explainer: Explainer
    metrics: dict
    importance: list[dict]


def train_time_ordered(
    spec: FeatureSpec, X: np.ndarray, y: np.ndarray, *, hot: int = HOT_THRESHOLD
) -> Trained:
    """Evaluate on the newest 20 % after training on the older 80 % (rows come oldest first),
    then refit on everything so the stored model uses all the history."""
    cut = int(len(y) * (1 - TEST_FRACTION))
    held_out = fit(spec, X[:cut], y[:cut])
    metrics = evaluate(y[cut:], held_out.predict_proba(X[cut:])[:, 1], hot=hot)
    metrics.update(
        train_rows=cut, rows=len(y), positives=int(y.sum()),
        base_rate=round(float(y.mean()), 4),
    )  # fmt: skip
    model = fit(spec, X, y)
    metrics["model"] = _model_description(model)
    explainer = Explainer.build(spec, model, X)
    return Trained(model=model, explainer=explainer, metrics=metrics,
                   importance=feature_importance(spec, model, explainer, X))  # fmt: skip


IMPORTANCE_ROWS = 20000  # rows sampled (evenly over the history) to measure importance


def feature_importance(
    spec: FeatureSpec, model, explainer: Explainer, X: np.ndarray, *, n: int = 25
) -> list[dict]:
    """Per input feature, how far it moves a lead's log-odds on average (mean absolute
    contribution over the training rows, relative to the average lead): a category's levels
    are summed per lead first, and the tree corrections' credit counts with the linear part,
    so the card ranks what the whole model leans on, not the largest single coefficient.
    `linear` and `corrections` split the figure by where it comes from."""
    if not len(X):
        return explainer.importance(n)
    rows = X[np.linspace(0, len(X) - 1, min(len(X), IMPORTANCE_ROWS)).astype(int)]
    pipeline = _linear(model)
    transformed = _transform(pipeline.named_steps["prep"], rows)
    linear = explainer.contributions(transformed)
    parts = getattr(pipeline.named_steps["linear"], "decision_parts", None)
    credit = parts(transformed)[1] if parts else None
    if credit is None:
        credit = np.zeros_like(linear)
    to_input = explainer.to_input(len(spec.columns))
    linear_in, credit_in = linear @ to_input, credit @ to_input
    total = np.abs(linear_in + credit_in).mean(axis=0)
    linear_part, credit_part = np.abs(linear_in).mean(axis=0), np.abs(credit_in).mean(axis=0)
    order = [j for j in np.argsort(-total, kind="stable") if total[j] > 0][:n]
    return [{"feature": spec.labels.get(spec.columns[j], spec.columns[j]),
             "importance": round(float(total[j]), 4),
             "linear": round(float(linear_part[j]), 4),
             "corrections": round(float(credit_part[j]), 4)} for j in order]  # fmt: skip


def _model_description(model) -> str:
    linear = _linear(model).named_steps["linear"]
    describe = getattr(linear, "description", None)
    return describe() if describe else "logistic regression (L2)"


def _linear(model) -> Pipeline:
    # Versions trained before this module used a CalibratedClassifierCV around the pipeline.
    if hasattr(model, "calibrated_classifiers_"):
        return model.calibrated_classifiers_[0].estimator
    return model


def _nice_category(value: str) -> str:
    if value == MISSING:
        return "not recorded"
    if value == "infrequent_sklearn":
        return "a rare value"
    return value


@dataclass
class Explainer:
    """Precomputed text and weights per model column, so explaining 40,000 predictions is a
    few array operations plus string work for the top factors only."""

    coef: np.ndarray  # per transformed column
    baseline: np.ndarray  # the average training row, transformed
    source: np.ndarray  # transformed column → input column index
    numeric: np.ndarray  # bool per transformed column
    texts: list[str]  # label for categories ("Job: retired"), column label for numbers
    input_labels: list[str] | None = None  # per input column (None: pickled before it existed)

    @classmethod
    def build(cls, spec: FeatureSpec, model, X: np.ndarray | None = None) -> Explainer:
        pipeline = _linear(model)
        prep = pipeline.named_steps["prep"]
        coef = pipeline.named_steps["linear"].coef_[0]
        names = prep.get_feature_names_out()
        source, numeric, texts = [], [], []
        for name in names:
            block, _, rest = name.partition("__")
            index_text, _, category = rest[1:].partition("_")
            index = int(index_text)
            column = spec.columns[index]
            label = spec.labels.get(column, column)
            source.append(index)
            numeric.append(block == "num")
            texts.append(label if block == "num" else f"{label}: {_nice_category(category)}")
        baseline = (
            np.asarray(prep.transform(X), dtype=float).mean(axis=0)
            if X is not None and len(X) else np.zeros(len(coef))
        )  # fmt: skip
        return cls(coef=coef, baseline=baseline, source=np.array(source),
                   numeric=np.array(numeric, dtype=bool), texts=texts,
                   input_labels=[spec.labels.get(c, c) for c in spec.columns])  # fmt: skip

    def importance(self, n: int = 25) -> list[dict]:
        """The largest coefficients per model column (without rows to measure on)."""
        order = np.argsort(-np.abs(self.coef))[:n]
        return [{"feature": self.texts[j], "coefficient": round(float(self.coef[j]), 4)}
                for j in order]  # fmt: skip

    def contributions(self, transformed: np.ndarray) -> np.ndarray:
        """Log-odds contribution of each column relative to the average lead (exact for a
        linear model: they add up to the lead's logit minus the average lead's)."""
        return (transformed - self.baseline) * self.coef

    def to_input(self, inputs: int) -> np.ndarray:
        """(model columns, input columns): 1 where a model column comes from the input column,
        so `per_column @ to_input` sums a category's one-hot columns into one figure."""
        mapping = np.zeros((len(self.source), inputs))
        mapping[np.arange(len(self.source)), self.source] = 1.0
        return mapping

    def _input_label(self, c: int, j: int) -> str:
        # `input_labels` is absent from explainers pickled before it existed: their category
        # texts read "Label: value", so the label is what precedes the last ": ".
        if self.input_labels is not None:
            return self.input_labels[c]
        return self.texts[j].rsplit(": ", 1)[0]

    def factors(
        self, X: np.ndarray, transformed: np.ndarray, credit: np.ndarray | None = None
    ) -> list[list[dict]]:
        """Per row: top TOP_FACTORS positive then top TOP_FACTORS negative contributions, in
        words, one per input feature: a category's one-hot columns are summed, which is the
        effect of the lead's own value against the average lead, and named by that value
        ("Job: retired"), never by a level the lead does not have. `credit` adds the tree
        corrections' share per column. Picking and ordering them is array work; only the
        chosen ones become text."""
        per_column = self.contributions(transformed)
        if credit is not None:
            per_column = per_column + credit
        contributions = per_column @ self.to_input(X.shape[1])
        k = min(TOP_FACTORS, contributions.shape[1])
        if k == 0:
            return [[] for _ in range(len(X))]
        picked = []
        for sign in (-1, 1):  # largest positive first, then most negative first
            cols = np.argpartition(sign * contributions, k - 1, axis=1)[:, :k]
            vals = np.take_along_axis(contributions, cols, axis=1)
            order = np.argsort(sign * vals, axis=1, kind="stable")
            vals = np.take_along_axis(vals, order, axis=1)
            picked.append((np.take_along_axis(cols, order, axis=1), vals, np.round(vals, 2)))
        first = np.zeros(X.shape[1], dtype=np.intp)  # input column → its first model column
        for j, c in reversed(list(enumerate(self.source.tolist()))):
            first[c] = j
        rows = np.arange(len(X))[:, None]
        numeric = self.numeric.tolist()
        values = X.tolist()  # plain lists: indexing an object array per factor is slow
        # (input, type, raw value, above average) → text, per call. The type keeps True and 1
        # (equal as keys) apart: "VIP: True" is not "VIP: 1".
        labels: dict[tuple, str] = {}
        out = []
        sides = []
        for cols, vals, shown in picked:
            models = first[cols]
            high = transformed[rows, models] > self.baseline[models]
            sides.append((cols.tolist(), vals.tolist(), shown.tolist(), high.tolist()))
        for i, row in enumerate(values):
            factors = []
            for (cols, vals, shown, high), sign in zip(sides, (-1, 1), strict=True):
                for c, value, weight, above in zip(cols[i], vals[i], shown[i], high[i],
                                                   strict=True):  # fmt: skip
                    if -sign * value < MIN_FACTOR_WEIGHT:
                        break  # sorted: the rest are smaller
                    raw = row[c]
                    key = (c, type(raw), raw, above)
                    try:
                        label = labels.get(key)
                    except TypeError:  # an unhashable value: no caching
                        label = None
                    if label is None:
                        label = self._label(c, int(first[c]), raw, above, numeric)
                        with contextlib.suppress(TypeError):
                            labels[key] = label
                    factors.append({"label": label, "weight": weight})
            out.append(factors)
        return out

    def _label(self, c: int, j: int, raw: object, above: bool, numeric: list[bool]) -> str:
        """Input column c (first model column j) in words for a lead whose value is `raw`."""
        if numeric[j]:
            if raw is None or (isinstance(raw, float) and not math.isfinite(raw)):
                return f"{self.texts[j]} unknown"
            return f"{self.texts[j]} {'high' if above else 'low'} ({raw:g})"
        shown_value = _nice_category(MISSING if raw is None else str(raw))
        return f"{self._input_label(c, j)}: {shown_value}"


def predict(
    spec: FeatureSpec,
    model,
    rows: list[dict],
    model_label: str,
    *,
    explainer: Explainer | None = None,
    hot: int = HOT_THRESHOLD,
    warm: int = WARM_THRESHOLD,
) -> list[Scored]:
    """Probabilities with per-row factors: top TOP_FACTORS positive and negative contributions
    (log-odds against the average lead), in words."""
    if not rows:
        return []
    return predict_matrix(spec, model, matrix(spec, rows), model_label, explainer=explainer,
                          hot=hot, warm=warm)  # fmt: skip


# scikit-learn's column transformer costs ~8 ms per call (one lead, the API) and ~0.7 s for
# 40,000 rows (bulk rescoring); applying the fitted preprocessor from its learnt parameters is
# a few array operations and one dict lookup per category value. Tested equal on every kind of
# value; any other preprocessor shape keeps scikit-learn.
@dataclass
class FastPrep:
    n_num: int
    fill: np.ndarray  # the imputer's medians
    mean: np.ndarray
    scale: np.ndarray
    width: int
    onehot: list[dict[str, int]]  # per category column: value → transformed column
    # per category column: its block of transformed columns and what an unseen value reads as
    # there (AverageUnseenOneHotEncoder); None for encoders fitted before it (all zeros)
    unseen: list[tuple[slice, np.ndarray] | None]

    @classmethod
    def of(cls, prep) -> FastPrep | None:
        """From a fitted build_preprocessor; None for any other shape (scikit-learn is used)."""
        try:
            steps = {name: (pipe, list(cols)) for name, pipe, cols in prep.transformers_}
            (num, num_cols), (cat, cat_cols) = steps["num"], steps["cat"]
            impute, scaler = num.named_steps["impute"], num.named_steps["scale"]
            encoder = cat.named_steps["onehot"]
            n_num = len(num_cols)
            if num_cols != list(range(n_num)) or encoder.drop is not None:
                return None
            average = getattr(encoder, "average_", None)
            onehot, unseen, offset = [], [], n_num
            for k, categories in enumerate(encoder.categories_):
                mapping = encoder._default_to_infrequent_mappings[k]
                onehot.append({str(c): offset + int(i if mapping is None else mapping[i])
                               for i, c in enumerate(categories)})  # fmt: skip
                width = encoder._n_features_outs[k]
                block = slice(offset - n_num, offset - n_num + width)
                unseen.append(None if average is None
                              else (slice(offset, offset + width), average[block]))  # fmt: skip
                offset += width
            if cat_cols != list(range(n_num, n_num + len(onehot))):
                return None
            return cls(n_num=n_num, fill=impute.statistics_, mean=scaler.mean_,
                       scale=scaler.scale_, width=offset, onehot=onehot,
                       unseen=unseen)  # fmt: skip
        except (AttributeError, KeyError, TypeError, ValueError, IndexError):
            return None

    def transform(self, X: np.ndarray) -> np.ndarray:
        out = np.zeros((len(X), self.width))
        numbers = _to_float(X[:, : self.n_num])
        numbers = np.where(np.isnan(numbers), self.fill, numbers)
        out[:, : self.n_num] = (numbers - self.mean) / self.scale
        for k, positions in enumerate(self.onehot):
            found = np.fromiter(
                (positions.get(MISSING if v is None else str(v), -1)
                 for v in X[:, self.n_num + k].tolist()),
                dtype=np.int64, count=len(X),
            )  # fmt: skip
            rows = np.flatnonzero(found >= 0)
            out[rows, found[rows]] = 1.0
            if self.unseen[k] is not None and len(rows) < len(X):
                block, average = self.unseen[k]
                out[found < 0, block] = average
        return out


_fast_preps: dict[int, tuple[object, FastPrep | None]] = {}


def fast_prep(prep) -> FastPrep | None:
    """The prep's FastPrep, built once per loaded model (keyed by the object, kept alive)."""
    cached = _fast_preps.get(id(prep))
    if cached is None or cached[0] is not prep:
        cached = _fast_preps[id(prep)] = (prep, FastPrep.of(prep))
    return cached[1]


def _transform(prep, X: np.ndarray) -> np.ndarray:
    fast = fast_prep(prep)
    return fast.transform(X) if fast is not None else np.asarray(prep.transform(X), dtype=float)


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Building explanations for 40,000 leads allocates a few hundred thousand small lists and
    dicts, and each allocation burst triggered full garbage collections over every live object
    (the feature matrix alone holds over a million): a third of the explanation time."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def predict_matrix(
    spec: FeatureSpec,
    model,
    X: np.ndarray,
    model_label: str,
    *,
    explainer: Explainer | None = None,
    hot: int = HOT_THRESHOLD,
    warm: int = WARM_THRESHOLD,
) -> list[Scored]:
    """`predict` for a matrix already in `spec`'s column order (bulk scoring builds it straight
    from the feature columns, without a dict per lead)."""
    if not len(X):
        return []
    explainer = explainer or Explainer.build(spec, model)
    credit = None
    if model is _linear(model):  # transform once, for the probability and the factors
        transformed = _transform(model.named_steps["prep"], X)
        linear = model.named_steps["linear"]
        if hasattr(linear, "decision_parts"):
            logit, credit = linear.decision_parts(transformed)
            probabilities = expit(logit)
        else:  # versions trained before the corrections existed
            probabilities = linear.predict_proba(transformed)[:, 1]
    else:
        probabilities = model.predict_proba(X)[:, 1]
        transformed = np.asarray(_linear(model).named_steps["prep"].transform(X), dtype=float)
    with _gc_paused():  # ~6 dicts and lists per lead: no cycles, nothing for the GC to find
        factors = explainer.factors(X, transformed, credit)
    scores = np.rint(probabilities * 100).astype(int).tolist()
    probabilities = np.round(probabilities, 6)  # as stored
    temperatures = [temperature_for(score, hot=hot, warm=warm) for score in scores]
    return [
        Scored(probability=p, score=score, temperature=t, factors=f, model_label=model_label)
        for p, score, t, f in zip(probabilities.tolist(), scores, temperatures, factors,
                                  strict=True)
    ]  # fmt: skip
