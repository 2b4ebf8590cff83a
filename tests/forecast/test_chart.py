from decimal import Decimal

import numpy as np

from intelligence.forecast.charts import LEFT, RIGHT, WIDTH, distribution_chart
from intelligence.forecast.montecarlo import histogram
from intelligence.forecast.selectors import Figures


def test_chart_places_every_mark_inside_the_plot_in_order():
    draws = 700 + np.random.default_rng(1).normal(4200, 800, 5000)
    fig = Figures(
        currency="USD", closed_won=Decimal("700"), weighted_stage=Decimal("3850"),
        weighted_ml=Decimal("4200"), p10=Decimal("3900"), p50=Decimal("5000"),
        p90=Decimal("5900"), histogram=histogram(draws),
    )  # fmt: skip
    chart = distribution_chart(fig)
    marks = {m.key: m.x for m in chart.markers}
    assert all(LEFT <= x <= WIDTH - RIGHT for x in marks.values())
    assert marks["won"] < marks["stage"] < marks["ml"] < marks["p50"]
    assert chart.band_x < marks["p50"] < chart.band_x + chart.band_width
    assert len(chart.bars) == 24 and all(h >= 0 for *_, h in chart.bars)
    assert [anchor for *_, anchor in chart.ticks][::4] == ["start", "end"]


def test_chart_of_nothing_does_not_divide_by_zero():
    chart = distribution_chart(Figures(currency="USD"))
    assert chart.bars == [] and chart.band_width >= 1
