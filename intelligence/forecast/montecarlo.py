"""Monte Carlo of closed-won revenue, vectorised with numpy.

Each draw wins every open deal independently with its probability. Deals are grouped in
cells (one owner x pipeline x currency each); a draw's won amount is summed per cell, and the
reported columns (the team, each owner, each pipeline, per currency) are sums of cells. Sums
are float64, exact to the cent.

Speed: the uniform numbers are 16-bit integers cut from the generator's raw 64-bit output (four
per word, several times faster than float uniforms), compared with the probability scaled to
0..65535, so probabilities are resolved to 1/65,536, far finer than any win probability is
known. Deals with p >= 1 (always won) or p <= 0 (never) are added exactly, outside the draws.
Per-cell sums use one multiply and one `add.reduceat` over deals sorted by cell (cheaper than a
matrix product with a one-hot matrix). Draws are generated in chunks of about CHUNK_CELLS
deal-draws, which bounds memory (~11 bytes per deal-draw: the 16-bit uniforms, the bool wins,
the won amounts) whatever the number of deals or draws; every draw consumes the same words of
the stream, so the chunk size never changes the results.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CHUNK_CELLS = 2_500_000  # ~28 MB of working memory per chunk
PERCENTILES = (10, 50, 90)
SCALE = 65_536  # uniforms are 16-bit integers


@dataclass(frozen=True)
class Distribution:
    """Per column: the percentiles and mean of the simulated won amount (open deals only)."""

    p10: np.ndarray
    p50: np.ndarray
    p90: np.ndarray
    mean: np.ndarray
    totals: np.ndarray  # (draws x columns): kept for histograms


def simulate(
    *,
    probabilities: np.ndarray,
    amounts: np.ndarray,
    cells: np.ndarray,
    columns: np.ndarray,
    draws: int,
    seed: int,
) -> Distribution:
    """`probabilities` and `amounts` (n,), probabilities in [0, 1] (NaN counts as 0); `cells`
    (n,) each deal's cell 0..g-1; `columns` (g x k) 1 where a cell adds to a column. The same
    seed gives the same figures."""
    n = amounts.shape[0]
    g = columns.shape[0]
    if probabilities.shape != (n,) or cells.shape != (n,):
        raise ValueError("one probability and one cell per deal")
    if n and (cells.min() < 0 or cells.max() >= g):
        raise ValueError("cell index out of range")
    if draws < 1:
        raise ValueError("draws must be at least 1")
    p = np.clip(np.nan_to_num(probabilities.astype(np.float64), nan=0.0), 0.0, 1.0)
    amounts = amounts.astype(np.float64)
    certain = p >= 1.0
    cell_totals = np.empty((draws, g), dtype=np.float64)
    cell_totals[:] = np.bincount(cells[certain], weights=amounts[certain], minlength=g)
    live = np.flatnonzero((p > 0.0) & ~certain)
    live = live[np.argsort(cells[live], kind="stable")]
    m = live.size
    if m:
        live_cells, live_amounts = cells[live], amounts[live]
        # u < threshold with u uniform on 0..65535: P(win) = threshold / 65536.
        threshold = np.minimum(np.round(p[live] * SCALE), SCALE - 1).astype(np.uint16)
        starts = np.flatnonzero(np.r_[True, live_cells[1:] != live_cells[:-1]])
        targets = live_cells[starts]
        words = -(-m // 4)  # 64-bit words per draw: four 16-bit uniforms each
        bits = np.random.default_rng(seed).bit_generator
        rows = max(1, CHUNK_CELLS // m)
        for first in range(0, draws, rows):
            size = min(rows, draws - first)
            uniforms = bits.random_raw(size * words).view(np.uint16).reshape(size, 4 * words)
            won = np.multiply(uniforms[:, :m] < threshold, live_amounts)
            cell_totals[first : first + size, targets] += np.add.reduceat(won, starts, axis=1)
    totals = cell_totals @ columns.astype(np.float64)
    p10, p50, p90 = np.percentile(totals, PERCENTILES, axis=0)
    return Distribution(p10=p10, p50=p50, p90=p90, mean=totals.mean(axis=0), totals=totals)


def histogram(values: np.ndarray, *, bins: int = 24) -> list[tuple[float, float, int]]:
    """(from, to, count) bins of one column's draws, for the page's chart."""
    if values.size == 0:
        return []
    low, high = float(values.min()), float(values.max())
    if high <= low:
        return [(low, high, int(values.size))]
    counts, edges = np.histogram(values, bins=bins, range=(low, high))
    return [(float(edges[i]), float(edges[i + 1]), int(c)) for i, c in enumerate(counts)]
