"""Writes: the start-of-period snapshots that forecast accuracy is measured against."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from .models import ForecastSnapshot
from .periods import MONTH, QUARTER, Period, period_containing
from .selectors import DEFAULT_DRAWS, Forecast, forecast_compute, workspace_today_and_zone

# A snapshot taken later than this into its period would already know part of the outcome and
# flatter the accuracy: such a period is left without one.
SNAPSHOT_GRACE_DAYS = 3


def _rows(forecast: Forecast) -> list[ForecastSnapshot]:
    period = forecast.period
    scopes = [forecast.total, *forecast.owners, *forecast.pipelines]
    return [
        ForecastSnapshot(
            period=period.label,
            period_start=period.start,
            period_end=period.end,
            scope=scope.scope,
            scope_ref=scope.ref,
            label=scope.label[:255],
            currency=fig.currency,
            closed_won=fig.closed_won,
            open_count=fig.open_count,
            open_amount=fig.open_amount,
            weighted_stage=fig.weighted_stage,
            weighted_ml=fig.weighted_ml,
            p10=fig.p10,
            p50=fig.p50,
            p90=fig.p90,
            mean=fig.mean,
            draws=forecast.draws,
            seed=forecast.seed,
        )
        for scope in scopes
        for fig in scope.figures
    ]


def forecast_snapshot_take(*, period: Period, today: date | None = None) -> int:
    """Store the period's forecast (team, every owner, every pipeline; per currency) once.
    Idempotent: a period that already has its snapshot is left alone, and the unique
    constraint makes a concurrent second run insert nothing. Returns the rows written (0 when
    the period already had its snapshot)."""
    if ForecastSnapshot.objects.filter(period=period.label).exists():
        return 0
    forecast = forecast_compute(period=period, draws=DEFAULT_DRAWS, today=today)
    rows = _rows(forecast)
    with transaction.atomic():
        created = ForecastSnapshot.objects.bulk_create(rows, ignore_conflicts=True)
    return len(created)


def forecast_snapshots_due(*, today: date | None = None) -> dict[str, int]:
    """Take the snapshots of the current month and quarter if we are still near their start
    (the daily beat job calls this). {period label: rows created}."""
    today = today or workspace_today_and_zone()[0]
    taken: dict[str, int] = {}
    for kind in (MONTH, QUARTER):
        period = period_containing(day=today, kind=kind)
        if (today - period.start).days < SNAPSHOT_GRACE_DAYS:
            taken[period.label] = forecast_snapshot_take(period=period, today=today)
    return taken
