"""Guarded tree corrections: NumPy evaluation equals scikit-learn's trees, credits add up, the
guard leaves rows outside the training range to the linear trend, and they learn a bump a
line cannot. Pure arrays: no database."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score
from sklearn.tree import DecisionTreeRegressor

from intelligence import corrections
from intelligence.corrections import CorrectedLogisticRegression, Corrections


def _bumpy(n: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """x0 has a linear effect; x1 converts well only in a band (a bump no line can follow)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    logit = -1.5 + 0.8 * X[:, 0] + np.where(np.abs(X[:, 1]) < 0.5, 1.8, -0.6)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, y


@pytest.mark.parametrize("min_leaf", [30, 700])  # 700: some leaves above the last level
def test_laid_out_trees_walk_like_scikit_learns(min_leaf):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3000, 4)).astype(np.float32).astype(float)
    target = np.sin(X[:, 0] * 2) + (X[:, 2] > 0.3)
    tree = DecisionTreeRegressor(max_depth=3, min_samples_leaf=min_leaf).fit(X, target)
    laid = Corrections.empty(trees=1, columns=4, low=X.min(axis=0), high=X.max(axis=0))
    laid.tree_store(0, tree, tree.tree_.value[:, 0, 0])
    correction, credit = laid.apply(X)
    assert np.allclose(correction, tree.predict(X))
    assert np.allclose(credit.sum(axis=1) + laid.root(X), correction)
    used = set(tree.tree_.feature[tree.tree_.feature >= 0].tolist())
    assert set(np.flatnonzero(laid.uses[:, 0]).tolist()) == used
    assert set(np.flatnonzero(np.abs(credit).sum(axis=0)).tolist()) <= used


def test_corrections_learn_a_bump_and_their_credits_add_up():
    X, y = _bumpy(6000)
    Xt, yt = _bumpy(4000, seed=2)
    linear = CorrectedLogisticRegression(corrections=False).fit(X, y)
    corrected = CorrectedLogisticRegression().fit(X, y)
    assert linear.corrections_ is None and corrected.corrections_ is not None
    auc_linear = roc_auc_score(yt, linear.decision_function(Xt))
    auc_corrected = roc_auc_score(yt, corrected.decision_function(Xt))
    assert auc_corrected > auc_linear + 0.05
    logit, credit = corrected.decision_parts(Xt)
    fitted = corrected.corrections_
    assert np.allclose(logit - corrected.linear_decision(Xt), credit.sum(1) + fitted.root(Xt))
    assert np.abs(credit[:, 1]).mean() > np.abs(credit[:, 2]).mean()  # the bump is in x1
    proba = corrected.predict_proba(Xt)[:, 1]
    assert np.allclose(proba, 1 / (1 + np.exp(-logit)))
    assert "guarded tree corrections" in corrected.description()


def test_outside_the_training_range_only_the_linear_trend_decides():
    X, y = _bumpy(4000)
    model = CorrectedLogisticRegression().fit(X, y)
    fitted = model.corrections_
    beyond = np.array([[0.0, fitted.high[1] + 5, 0.0], [fitted.low[0] - 3, 0.1, 0.0]])
    _, credit = model.decision_parts(beyond)
    # Row 0 is beyond the range in x1, row 1 in x0: trees splitting there add nothing.
    for row, column in ((0, 1), (1, 0)):
        assert (fitted.uses[column] > 0).any()
        assert credit[row, column] == 0.0
    far = np.array([[fitted.low[0] - 1, fitted.high[1] + 1, fitted.high[2] + 1]])
    assert np.allclose(model.decision_function(far), model.linear_decision(far))


def test_small_histories_stay_linear(monkeypatch):
    X, y = _bumpy(corrections.MIN_ROWS - 1)
    assert CorrectedLogisticRegression().fit(X, y).corrections_ is None
    monkeypatch.setattr(corrections, "MIN_ROWS", 100)
    assert CorrectedLogisticRegression().fit(X[:500], y[:500]).corrections_ is not None


@pytest.mark.parametrize("rows", [1, 7, corrections.CHUNK + 5])
def test_any_number_of_rows_scores_the_same_as_one_at_a_time(rows):
    X, y = _bumpy(3000)
    model = CorrectedLogisticRegression().fit(X, y)
    Xs = np.resize(X, (rows, 3))
    together = model.decision_function(Xs)
    alone = np.array([model.decision_function(Xs[i : i + 1])[0] for i in range(min(rows, 20))])
    assert np.allclose(together[: len(alone)], alone)


def test_a_column_whose_effect_flips_over_time_is_leaned_on_less():
    """x0 helps in the first half of the history and hurts in the second; x1 helps all along.
    x0 is measured as unsteady, x1 as steady, and x0's coefficient is shrunk."""
    rng = np.random.default_rng(4)
    n = 6000
    X = rng.normal(size=(n, 2))
    flip = np.where(np.arange(n) < n // 2, 1.2, -0.6)  # rows oldest first
    logit = -1.0 + flip * X[:, 0] + 0.8 * X[:, 1]
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    for blocks in corrections.STABILITY_BLOCKS:
        steadiness = corrections._stability(X, y, blocks, 1.0)
        assert steadiness[0] < 0.4 and steadiness[1] > 0.8
    plain = CorrectedLogisticRegression(corrections=False).fit(X, y).coef_[0]
    coef, intercept = corrections.time_stable_linear(X, y, C=1.0)
    # A smaller scale is a stronger penalty: it shows most where the data are thin (one-hot
    # levels of a few hundred rows); with 6,000 rows the shrinkage is small but one-sided.
    assert abs(coef[0, 0]) < abs(plain[0])
    assert coef[0, 1] > 0.9 * plain[1] > 0
    assert intercept.shape == (1,)
    assert np.allclose(CorrectedLogisticRegression().fit(X, y).coef_, coef)


def test_stability_needs_two_stretches_with_both_outcomes():
    X = np.random.default_rng(5).normal(size=(400, 2))
    y = np.zeros(400, dtype=int)
    y[-40:] = 1  # only the newest stretch has conversions: no stability can be measured
    for blocks in (4, 8):
        assert np.array_equal(corrections._stability(X, y, blocks, 1.0), np.ones(2))


def test_importance_ranks_whole_features_including_the_corrections_share():
    """A category's levels count as one feature; a bump only trees can follow still ranks
    above noise; a constant column is left out."""
    from intelligence import training
    from intelligence.features import FeatureSpec

    rng = np.random.default_rng(3)
    n = 4000
    trend, bump, noise = rng.normal(size=(3, n))
    plan = rng.choice(["gold", "silver", "bronze"], size=n)
    logit = -1.0 + 0.9 * trend + np.where(np.abs(bump) < 0.5, 1.6, -0.5)
    logit += np.select([plan == "gold", plan == "bronze"], [1.2, -1.2], 0.0)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    spec = FeatureSpec(numeric=("trend", "bump", "noise", "constant"), categorical=("plan",),
                       labels={"trend": "Trend", "bump": "Bump", "noise": "Noise",
                               "constant": "Constant", "plan": "Plan"})  # fmt: skip
    X = np.empty((n, 5), dtype=object)
    X[:, 0], X[:, 1], X[:, 2], X[:, 3], X[:, 4] = trend, bump, noise, 7.0, plan
    model = training.fit(spec, X, y)
    explainer = training.Explainer.build(spec, model, X)
    rows = training.feature_importance(spec, model, explainer, X)
    by_name = {row["feature"]: row for row in rows}
    names = [row["feature"] for row in rows]
    assert names.count("Plan") == 1 and "Constant" not in by_name
    assert names.index("Noise") == len(names) - 1  # every real effect ranks above noise
    assert by_name["Bump"]["corrections"] > by_name["Bump"]["linear"]  # only trees see it
    assert by_name["Trend"]["linear"] > by_name["Trend"]["corrections"]
    for row in rows:  # the whole is at most the sum of its parts
        assert row["importance"] <= row["linear"] + row["corrections"] + 1e-4
    assert training.feature_importance(spec, model, explainer, X[:0]) == explainer.importance()


def test_the_same_history_gives_the_same_corrections():
    """Two identical columns make every split on them a tie, which scikit-learn breaks at
    random unless seeded: the model (and its explanations) must not depend on the run."""
    X, y = _bumpy(3000)
    X = np.column_stack([X, X[:, 1]])
    first, second = (CorrectedLogisticRegression().fit(X, y).corrections_ for _ in range(2))
    assert np.array_equal(first.feature, second.feature)
    assert np.array_equal(first.value, second.value)
