"""Geometry of the forecast chart, drawn as inline SVG by templates/forecast/_chart.html.

Revenue runs along x; the grey bars are the histogram of the Monte Carlo draws, the band is
P10-P90, and vertical lines mark P50, the closed-won so far and the two weighted forecasts.
"""

from __future__ import annotations

from dataclasses import dataclass

from .selectors import Figures

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 16, 16, 28, 36  # margins: room for the marker labels and the axis
TICKS = 5


@dataclass
class Marker:
    key: str  # css class
    label: str
    value: float
    x: float


@dataclass
class Chart:
    width: int
    height: int
    plot_top: int
    plot_bottom: int
    plot_height: int
    band_x: float
    band_width: float
    bars: list[tuple[float, float, float, float]]  # x, y, width, height
    markers: list[Marker]
    ticks: list[tuple[float, float, str]]  # x, value, text-anchor


def distribution_chart(fig: Figures) -> Chart:
    values = [
        float(v) for v in (fig.p10, fig.p90, fig.closed_won, fig.stage_forecast, fig.ml_forecast)
    ]
    values += [b for _, b, _ in fig.histogram]
    low = min([float(fig.closed_won), *[a for a, _, _ in fig.histogram]])
    low = min(low, float(fig.p10))
    high = max(values)
    if high <= low:
        high = low + max(1.0, abs(low) * 0.1)
    span = high - low
    low, high = max(0.0, low - span * 0.05), high + span * 0.05
    plot_width = WIDTH - LEFT - RIGHT
    plot_bottom = HEIGHT - BOTTOM

    def x(value: float) -> float:
        return round(LEFT + (value - low) / (high - low) * plot_width, 1)

    peak = max((c for _, _, c in fig.histogram), default=0) or 1
    bars = []
    for a, b, count in fig.histogram:
        height = (plot_bottom - TOP) * count / peak
        bars.append(
            (
                x(a),
                round(plot_bottom - height, 1),
                max(0.5, round(x(b) - x(a) - 1, 1)),
                round(height, 1),
            )
        )
    markers = [
        Marker("won", "Won so far", float(fig.closed_won), x(float(fig.closed_won))),
        Marker(
            "stage", "Weighted (stage %)", float(fig.stage_forecast), x(float(fig.stage_forecast))
        ),
        Marker("ml", "Weighted (win prob.)", float(fig.ml_forecast), x(float(fig.ml_forecast))),
        Marker("p50", "P50", float(fig.p50), x(float(fig.p50))),
    ]
    step = (high - low) / (TICKS - 1)
    anchors = ["start", *["middle"] * (TICKS - 2), "end"]  # the end labels stay inside the box
    ticks = [(x(low + i * step), low + i * step, anchors[i]) for i in range(TICKS)]
    band_x = x(float(fig.p10))
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        plot_top=TOP,
        plot_bottom=plot_bottom,
        plot_height=plot_bottom - TOP,
        band_x=band_x,
        band_width=max(1.0, round(x(float(fig.p90)) - band_x, 1)),
        bars=bars,
        markers=markers,
        ticks=ticks,
    )
