"""Reads: the forecast of a period and the accuracy of past snapshots.

What counts in a period (docs/forecast.md says the same to users):
- closed-won: deals in a won stage whose `closed_at` falls in the period (workspace time zone);
- open: deals in neither a won nor a lost stage whose `expected_close_date` is in the period.
  A deal dated in the period is assumed to close in it if it is won: the slip risk lives in the
  win probability (the deal model sees a slipped close date), not in a second guess here. Once a
  period has ended its open deals can no longer close in it and count for nothing (overdue);
- open deals with no close date belong to no period and open deals dated in an earlier period
  are overdue: both are left out and counted in `quality` so the rep can fix them;
- a deal with no amount (0) counts as a deal and adds 0;
- currencies are never added together: every figure is per currency.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import numpy as np
from django.db import connection
from django.db.models import Count, Q, Sum
from django.utils import timezone

from crm.deals.models import Deal, Pipeline
from crm.team.models import User
from intelligence.deals.selectors import deal_win_probability_map

from .models import ForecastSnapshot, Scope
from .montecarlo import histogram, simulate
from .periods import MONTH, QUARTER, Period, period_parse, workspace_zone

DEFAULT_DRAWS = 10_000
MAX_DRAWS = 100_000
CENT = Decimal("0.01")
UNASSIGNED = "Unassigned"


def _money(value: float | Decimal) -> Decimal:
    return Decimal(str(round(float(value), 2))).quantize(CENT)


@dataclass
class Figures:
    """One scope's forecast in one currency. p10/p50/p90/mean already include closed-won."""

    currency: str
    closed_won: Decimal = Decimal("0.00")
    closed_won_count: int = 0
    open_count: int = 0
    open_amount: Decimal = Decimal("0.00")
    weighted_stage: Decimal = Decimal("0.00")
    weighted_ml: Decimal = Decimal("0.00")
    p10: Decimal = Decimal("0.00")
    p50: Decimal = Decimal("0.00")
    p90: Decimal = Decimal("0.00")
    mean: Decimal = Decimal("0.00")
    histogram: list[tuple[float, float, int]] = field(default_factory=list)

    @property
    def stage_forecast(self) -> Decimal:
        """Closed-won plus the stage-weighted pipeline: the classic single-number forecast."""
        return self.closed_won + self.weighted_stage

    @property
    def ml_forecast(self) -> Decimal:
        return self.closed_won + self.weighted_ml


@dataclass
class ScopeForecast:
    scope: str  # Scope value
    ref: int  # owner / pipeline id; 0 for the team and for unassigned deals
    label: str
    figures: list[Figures]


@dataclass
class Quality:
    """Open deals in the filters that the period's figures leave out, and fallbacks used."""

    open_without_close_date: int = 0
    open_overdue: int = 0
    open_without_amount: int = 0  # in the period, counted with 0
    ml_fallback: int = 0  # no model probability: the stage's was used


@dataclass
class Forecast:
    period: Period
    today: date
    draws: int
    seed: int
    owner_id: int | None
    pipeline_id: int | None
    total: ScopeForecast
    owners: list[ScopeForecast]
    pipelines: list[ScopeForecast]
    currencies: list[str]
    quality: Quality
    notes: list[str]
    generated_at: datetime

    @property
    def is_past(self) -> bool:
        return self.period.end < self.today


def request_seed(*, period: Period, owner_id: int | None, pipeline_id: int | None) -> int:
    """The default seed: the same question gives the same numbers (until the deals change)."""
    return zlib.crc32(f"{period.label}|{owner_id or 0}|{pipeline_id or 0}".encode())


def workspace_today_and_zone():
    """(today, zone) in the current workspace's time zone."""
    from crm.tenancy.selectors import workspace_current

    name = getattr(getattr(connection, "tenant", None), "timezone", None)
    if name is None:
        try:
            name = workspace_current().timezone
        except LookupError:
            name = "UTC"
    zone = workspace_zone(name)
    return timezone.now().astimezone(zone).date(), zone


def forecast_compute(
    *,
    period: Period,
    owner_id: int | None = None,
    pipeline_id: int | None = None,
    draws: int = DEFAULT_DRAWS,
    seed: int | None = None,
    breakdown: bool = True,
    today: date | None = None,
) -> Forecast:
    """The period's forecast for the deals matching the filters (owner / pipeline: ids that
    the caller has checked), with per-owner and per-pipeline breakdowns unless filtered by
    that dimension. A constant number of queries whatever the number of deals."""
    local_today, zone = workspace_today_and_zone()
    today = today or local_today
    seed = (
        request_seed(period=period, owner_id=owner_id, pipeline_id=pipeline_id)
        if seed is None
        else seed
    )
    draws = max(1, min(int(draws), MAX_DRAWS))
    start, end = period.bounds(zone)

    deals = Deal.objects.all()
    if owner_id is not None:
        deals = deals.filter(owner_id=owner_id)
    if pipeline_id is not None:
        deals = deals.filter(pipeline_id=pipeline_id)
    is_open = Q(stage__is_won=False, stage__is_lost=False)

    won = list(
        deals.filter(stage__is_won=True, closed_at__gte=start, closed_at__lt=end).values_list(
            "amount", "currency", "owner_id", "pipeline_id"
        )
    )
    ended = period.end < today
    open_rows = (
        []
        if ended
        else list(
            deals.filter(
                is_open, expected_close_date__gte=period.start, expected_close_date__lte=period.end
            )
            .order_by("pk")
            .values_list(
                "pk", "amount", "currency", "owner_id", "pipeline_id", "stage__probability"
            )
        )
    )
    # Overdue: open, dated in the past, and not counted in this period (an ended period's own
    # open deals included).
    cutoff = today if ended else min(today, period.start)
    quality = Quality(
        **deals.filter(is_open).aggregate(
            open_without_close_date=Count("pk", filter=Q(expected_close_date__isnull=True)),
            open_overdue=Count("pk", filter=Q(expected_close_date__lt=cutoff)),
        )
    )
    ml = deal_win_probability_map(deal_ids=[row[0] for row in open_rows]) if open_rows else {}

    # Columns: (scope, ref, currency). The total is the team, or the filtered owner/pipeline.
    total_scope, total_ref = (
        (Scope.OWNER, owner_id) if owner_id is not None
        else (Scope.PIPELINE, pipeline_id) if pipeline_id is not None
        else (Scope.TEAM, 0)
    )  # fmt: skip
    by_owner = breakdown and owner_id is None
    by_pipeline = breakdown and pipeline_id is None

    def keys(currency: str, owner: int | None, pipeline: int) -> list[tuple[str, int, str]]:
        out = [(total_scope, total_ref, currency)]
        if by_owner:
            out.append((Scope.OWNER, owner or 0, currency))
        if by_pipeline:
            out.append((Scope.PIPELINE, pipeline, currency))
        return out

    figures: dict[tuple[str, int, str], Figures] = {}

    def figures_for(key: tuple[str, int, str]) -> Figures:
        if key not in figures:
            figures[key] = Figures(currency=key[2])
        return figures[key]

    for amount, currency, owner, pipeline in won:
        for key in keys(currency, owner, pipeline):
            fig = figures_for(key)
            fig.closed_won += amount
            fig.closed_won_count += 1

    # Each open deal sits in one cell (currency, owner, pipeline); columns are sums of cells.
    n = len(open_rows)
    columns: dict[tuple[str, int, str], int] = {}
    cell_index: dict[tuple[str, int, int], int] = {}
    cell_columns: list[list[int]] = []
    cells = np.zeros(n, dtype=np.intp)
    amounts = np.zeros(n, dtype=np.float64)
    stage_p = np.zeros(n, dtype=np.float64)
    ml_p = np.zeros(n, dtype=np.float64)
    for i, (pk, amount, currency, owner, pipeline, probability) in enumerate(open_rows):
        amounts[i] = float(amount)
        stage_p[i] = (probability or 0) / 100
        model = ml.get(pk)
        if model is None or not np.isfinite(model):
            quality.ml_fallback += 1
            model = stage_p[i]
        ml_p[i] = model
        if not amount:
            quality.open_without_amount += 1
        cell = (currency, owner or 0, pipeline)
        if cell not in cell_index:
            cell_index[cell] = len(cell_columns)
            cell_columns.append(
                [columns.setdefault(key, len(columns)) for key in keys(currency, owner, pipeline)]
            )
        cells[i] = cell_index[cell]
        for key in keys(currency, owner, pipeline):
            fig = figures_for(key)
            fig.open_count += 1
            fig.open_amount += amount
    ml_p = np.clip(ml_p, 0.0, 1.0)

    membership = np.zeros((len(cell_columns), len(columns)), dtype=np.float64)
    for cell, cols in enumerate(cell_columns):
        membership[cell, cols] = 1.0
    dist = simulate(
        probabilities=ml_p, amounts=amounts, cells=cells, columns=membership,
        draws=draws, seed=seed,
    )  # fmt: skip
    g = len(cell_columns)
    weighted_stage = np.bincount(cells, weights=amounts * stage_p, minlength=g) @ membership
    weighted_ml = np.bincount(cells, weights=amounts * ml_p, minlength=g) @ membership
    for key, fig in figures.items():
        col = columns.get(key)
        base = float(fig.closed_won)
        if col is None:  # nothing open: the closed-won is the whole distribution
            fig.p10 = fig.p50 = fig.p90 = fig.mean = _money(base)
            continue
        fig.weighted_stage = _money(weighted_stage[col])
        fig.weighted_ml = _money(weighted_ml[col])
        fig.p10 = _money(base + dist.p10[col])
        fig.p50 = _money(base + dist.p50[col])
        fig.p90 = _money(base + dist.p90[col])
        fig.mean = _money(base + dist.mean[col])
        if key[0] == total_scope:
            fig.histogram = [(base + a, base + b, c) for a, b, c in histogram(dist.totals[:, col])]

    currencies = _currency_order([f for k, f in figures.items() if k[0] == total_scope])
    labels = _labels({(k[0], k[1]) for k in figures} | {(total_scope, total_ref)})
    total = ScopeForecast(
        scope=total_scope,
        ref=total_ref,
        label=labels.get((total_scope, total_ref), "Team"),
        figures=[
            figures.get((total_scope, total_ref, c)) or Figures(currency=c) for c in currencies
        ],
    )

    def group(scope: str) -> list[ScopeForecast]:
        refs = sorted(
            {k[1] for k in figures if k[0] == scope},
            key=lambda r: labels.get((scope, r), "").lower(),
        )
        return [
            ScopeForecast(
                scope=scope,
                ref=ref,
                label=labels.get((scope, ref), UNASSIGNED),
                figures=[
                    figures[(scope, ref, c)] for c in currencies if (scope, ref, c) in figures
                ],
            )
            for ref in refs
        ]

    notes = []
    if len(currencies) > 1:
        notes.append(
            f"Deals are in {len(currencies)} currencies ({', '.join(currencies)}); amounts in "
            "different currencies are never added together, so each has its own figures."
        )
    if ended:
        notes.append("This period has ended: its figures are the actual closed-won revenue.")
    return Forecast(
        period=period,
        today=today,
        draws=draws,
        seed=seed,
        owner_id=owner_id,
        pipeline_id=pipeline_id,
        total=total,
        owners=group(Scope.OWNER) if by_owner else [],
        pipelines=group(Scope.PIPELINE) if by_pipeline else [],
        currencies=currencies,
        quality=quality,
        notes=notes,
        generated_at=timezone.now(),
    )


def _currency_order(figures: list[Figures]) -> list[str]:
    """The biggest currency first (by closed-won + open amount), then alphabetical; the deals'
    default currency when there is nothing at all, so an empty forecast still has a row."""
    if not figures:
        return [Deal._meta.get_field("currency").default]
    ranked = sorted(figures, key=lambda f: (-(f.closed_won + f.open_amount), f.currency))
    return [f.currency for f in ranked]


def _labels(keys: set[tuple[str, int]]) -> dict[tuple[str, int], str]:
    owner_ids = {ref for scope, ref in keys if scope == Scope.OWNER and ref}
    pipeline_ids = {ref for scope, ref in keys if scope == Scope.PIPELINE and ref}
    labels: dict[tuple[str, int], str] = {(Scope.TEAM, 0): "Team", (Scope.OWNER, 0): UNASSIGNED}
    for user in User.objects.filter(pk__in=owner_ids):
        labels[(Scope.OWNER, user.pk)] = user.get_full_name()
    for pk, name in Pipeline.objects.filter(pk__in=pipeline_ids).values_list("pk", "name"):
        labels[(Scope.PIPELINE, pk)] = name
    return labels


# --- accuracy --------------------------------------------------------------------------------


@dataclass
class AccuracyRow:
    snapshot: ForecastSnapshot
    actual: Decimal

    @property
    def stage_forecast(self) -> Decimal:
        return self.snapshot.closed_won + self.snapshot.weighted_stage

    @property
    def ml_forecast(self) -> Decimal:
        return self.snapshot.closed_won + self.snapshot.weighted_ml

    def _ape(self, forecast: Decimal) -> float | None:
        if not self.actual:
            return None  # undefined against zero revenue; left out of the MAPE
        return float(abs(self.actual - forecast) / self.actual)

    @property
    def ape_p50(self) -> float | None:
        return self._ape(self.snapshot.p50)

    @property
    def ape_stage(self) -> float | None:
        return self._ape(self.stage_forecast)

    @property
    def ape_ml(self) -> float | None:
        return self._ape(self.ml_forecast)

    @property
    def within_band(self) -> bool:
        return self.snapshot.p10 <= self.actual <= self.snapshot.p90


@dataclass
class AccuracySummary:
    kind: str  # month / quarter
    currency: str
    periods: int  # periods with a defined error (actual > 0)
    mape_p50: float | None
    mape_stage: float | None
    mape_ml: float | None
    within_band: int  # periods whose actual fell inside P10-P90


@dataclass
class Accuracy:
    scope: str
    scope_ref: int
    rows: list[AccuracyRow]
    summaries: list[AccuracySummary]


def mape(errors: list[float | None]) -> float | None:
    """Mean absolute percentage error as a fraction (0.12 = 12 %), over the defined errors."""
    defined = [e for e in errors if e is not None]
    return sum(defined) / len(defined) if defined else None


def forecast_accuracy(
    *, scope: str = Scope.TEAM, scope_ref: int = 0, limit: int = 24, today: date | None = None
) -> Accuracy:
    """Snapshots of ended periods for one scope against the actual closed-won (computed now,
    so a deal won late or reopened is reflected), newest first, with MAPE per period kind and
    currency."""
    local_today, zone = workspace_today_and_zone()
    today = today or local_today
    snapshots = list(
        ForecastSnapshot.objects.filter(
            scope=scope, scope_ref=scope_ref, period_end__lt=today
        ).order_by("-period_start", "period", "currency")[:limit]
    )
    deals = Deal.objects.filter(stage__is_won=True)
    if scope == Scope.OWNER:
        deals = deals.filter(owner_id=scope_ref) if scope_ref else deals.filter(owner__isnull=True)
    elif scope == Scope.PIPELINE:
        deals = deals.filter(pipeline_id=scope_ref)
    actuals: dict[tuple[str, str], Decimal] = {}
    for label in dict.fromkeys(s.period for s in snapshots):
        start, end = period_parse(label).bounds(zone)
        for currency, total in (
            deals.filter(closed_at__gte=start, closed_at__lt=end)
            .values_list("currency")
            .annotate(total=Sum("amount"))
            .order_by()
        ):
            actuals[(label, currency)] = total
    rows = [
        AccuracyRow(snapshot=s, actual=actuals.get((s.period, s.currency), Decimal("0.00")))
        for s in snapshots
    ]
    grouped: dict[tuple[str, str], list[AccuracyRow]] = defaultdict(list)
    for row in rows:
        kind = QUARTER if "Q" in row.snapshot.period else MONTH
        grouped[(kind, row.snapshot.currency)].append(row)
    summaries = [
        AccuracySummary(
            kind=kind,
            currency=currency,
            periods=sum(1 for r in group if r.actual),
            mape_p50=mape([r.ape_p50 for r in group]),
            mape_stage=mape([r.ape_stage for r in group]),
            mape_ml=mape([r.ape_ml for r in group]),
            within_band=sum(1 for r in group if r.within_band),
        )
        for (kind, currency), group in sorted(grouped.items())
    ]
    return Accuracy(scope=scope, scope_ref=scope_ref, rows=rows, summaries=summaries)
