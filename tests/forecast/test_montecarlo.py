import numpy as np
import pytest

from intelligence.forecast import montecarlo
from intelligence.forecast.montecarlo import histogram, simulate


def one_column(amounts, probabilities, *, draws, seed):
    n = len(amounts)
    return simulate(
        probabilities=np.asarray(probabilities, dtype=float),
        amounts=np.asarray(amounts, dtype=float),
        cells=np.zeros(n, dtype=np.intp),
        columns=np.ones((1, 1)),
        draws=draws,
        seed=seed,
    )


def two_columns(n, seed):
    """n deals with random amounts and probabilities in 3 cells: cells 0, 1 in column 0,
    cells 1, 2 in column 1."""
    rng = np.random.default_rng(seed)
    return {
        "probabilities": rng.random(n),
        "amounts": rng.random(n) * 1000,
        "cells": rng.integers(0, 3, n),
        "columns": np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]),
    }


def test_certain_deals_always_count_and_impossible_ones_never():
    dist = one_column([100.0, 50.0, 7.0], [1.0, 0.0, 0.0], draws=5000, seed=3)
    assert (dist.totals[:, 0] == 100.0).all()
    assert dist.p10[0] == dist.p50[0] == dist.p90[0] == dist.mean[0] == 100.0


def test_percentiles_are_sane_for_coin_flips():
    n = 100  # 100 deals of 100, each won with p = 0.5: Binomial(100, 0.5) x 100
    dist = one_column(np.full(n, 100.0), np.full(n, 0.5), draws=10_000, seed=11)
    assert dist.p10[0] < dist.p50[0] < dist.p90[0]
    assert abs(dist.mean[0] - 5000) < 50  # sd of the mean is 5
    assert 4800 <= dist.p50[0] <= 5200
    # Binomial(100, .5): sd 5 deals, so P10 ~ 5000 - 1.28 x 500 and P90 ~ 5000 + 640
    assert 4200 <= dist.p10[0] <= 4500 and 5500 <= dist.p90[0] <= 5800


def test_same_seed_same_figures_other_seed_other_draws():
    book = two_columns(300, seed=0)
    one = simulate(**book, draws=2000, seed=42)
    two = simulate(**book, draws=2000, seed=42)
    other = simulate(**book, draws=2000, seed=43)
    assert np.array_equal(one.totals, two.totals)
    assert not np.array_equal(one.totals, other.totals)


def test_chunking_bounds_memory_without_changing_the_figures(monkeypatch):
    book = two_columns(501, seed=2)
    whole = simulate(**book, draws=3000, seed=5)
    monkeypatch.setattr(montecarlo, "CHUNK_CELLS", 501 * 7)  # 7 draws per chunk
    chunked = simulate(**book, draws=3000, seed=5)
    assert np.allclose(whole.totals, chunked.totals)


def test_columns_sum_their_own_cells():
    # deal 0 in cell 0 (columns 0, 1), deal 1 in cell 1 (columns 0, 2)
    dist = simulate(
        probabilities=np.array([1.0, 1.0]), amounts=np.array([10.0, 5.0]),
        cells=np.array([0, 1]), columns=np.array([[1.0, 1.0, 0.0], [1.0, 0.0, 1.0]]),
        draws=10, seed=0,
    )  # fmt: skip
    assert list(dist.p50) == [15.0, 10.0, 5.0]


def test_every_column_matches_its_own_simulation_mean():
    book = two_columns(400, seed=9)
    dist = simulate(**book, draws=20_000, seed=1)
    expected = np.bincount(book["cells"], weights=book["amounts"] * book["probabilities"],
                           minlength=3) @ book["columns"]  # fmt: skip
    assert np.allclose(dist.mean, expected, rtol=0.01)


def test_no_deals_and_bad_arguments():
    empty = {"probabilities": np.zeros(0), "amounts": np.zeros(0),
             "cells": np.zeros(0, dtype=np.intp), "columns": np.ones((1, 2))}  # fmt: skip
    assert list(simulate(**empty, draws=10, seed=0).p90) == [0.0, 0.0]
    with pytest.raises(ValueError):
        simulate(**{**empty, "probabilities": np.zeros(2)}, draws=10, seed=0)
    with pytest.raises(ValueError):
        one_column([1.0], [0.5], draws=0, seed=0)
    with pytest.raises(ValueError):
        simulate(**{**empty, "probabilities": np.zeros(1), "amounts": np.ones(1),
                    "cells": np.array([5])}, draws=10, seed=0)  # fmt: skip
    nan = one_column([1.0], [np.nan], draws=10, seed=0)
    assert nan.p90[0] == 0.0  # a NaN probability counts as never


def test_histogram_counts_every_draw():
    values = np.arange(1000, dtype=float)
    bins = histogram(values, bins=10)
    assert sum(c for _, _, c in bins) == 1000 and bins[0][0] == 0.0 and bins[-1][1] == 999.0
    assert histogram(np.full(5, 3.0)) == [(3.0, 3.0, 5)]
