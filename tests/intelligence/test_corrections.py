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
    assert np.allclose(linear.coef_, corrected.coef_)  # the linear part is the same model
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
