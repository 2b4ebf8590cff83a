"""Start-of-period snapshots (idempotent, fanned out by beat) and accuracy (MAPE)."""

from datetime import date
from decimal import Decimal

import pytest
from django_celery_beat.models import PeriodicTask
from django_tenants.utils import schema_context

from crm.tenancy.schedules import schedules_sync
from intelligence.forecast.models import ForecastSnapshot, Scope
from intelligence.forecast.periods import period_parse
from intelligence.forecast.selectors import forecast_accuracy, mape
from intelligence.forecast.services import forecast_snapshot_take, forecast_snapshots_due
from intelligence.forecast.tasks import forecast_snapshot_platform

from .conftest import make_book, won_at


def test_snapshot_is_taken_once_per_period_and_scope(alpha, team, november):
    nov = period_parse("2026-11")
    with schema_context(alpha.schema):
        written = forecast_snapshot_take(period=nov, today=date(2026, 11, 1))
        again = forecast_snapshot_take(period=nov, today=date(2026, 11, 2))
        rows = list(ForecastSnapshot.objects.filter(period="2026-11"))
    # team + rep1 + rep2 + unassigned + the pipeline, one currency each
    assert written == 5 and again == 0 and len(rows) == 5
    assert {r.scope for r in rows} == {Scope.TEAM, Scope.OWNER, Scope.PIPELINE}
    team_row = next(r for r in rows if r.scope == Scope.TEAM)
    assert team_row.weighted_stage == Decimal("3850.00") and team_row.closed_won == Decimal(
        "700.00"
    )
    assert team_row.period_start == date(2026, 11, 1) and team_row.period_end == date(2026, 11, 30)


def test_snapshots_are_only_taken_near_the_start_of_a_period(alpha, november):
    with schema_context(alpha.schema):
        assert forecast_snapshots_due(today=date(2026, 11, 20)) == {}
        taken = forecast_snapshots_due(today=date(2026, 10, 2))
        assert set(taken) == {"2026-10", "2026-Q4"} and all(taken.values())
        assert forecast_snapshots_due(today=date(2026, 10, 3)) == {"2026-10": 0, "2026-Q4": 0}


def test_an_empty_workspace_still_gets_its_team_snapshot(alpha):
    with schema_context(alpha.schema):
        assert forecast_snapshot_take(period=period_parse("2026-11"), today=date(2026, 11, 1)) == 1
        row = ForecastSnapshot.objects.get()
    assert (row.scope, row.currency, row.p50) == (Scope.TEAM, "USD", Decimal("0.00"))


def test_beat_fans_out_to_every_workspace_and_each_keeps_its_own(
    alpha, beta, november, eager_celery
):
    with schema_context(beta.schema):
        make_book().deal(amount=123, stage="Mid", close=date(2026, 11, 9))
    assert forecast_snapshot_platform.delay("2026-11-01").get() >= 2
    forecast_snapshot_platform.delay("2026-11-02").get()  # beat fires the next day: nothing new
    with schema_context(alpha.schema):
        alpha_team = ForecastSnapshot.objects.get(period="2026-11", scope=Scope.TEAM)
        assert ForecastSnapshot.objects.filter(period="2026-11").count() == 5
    with schema_context(beta.schema):
        beta_team = ForecastSnapshot.objects.get(period="2026-11", scope=Scope.TEAM)
    assert alpha_team.open_amount == Decimal("6500.00")
    assert beta_team.open_amount == Decimal("123.00")


def test_beat_schedule_is_registered_daily(db):
    schedules_sync()
    entry = PeriodicTask.objects.get(task="intelligence.forecast_snapshot_platform")
    assert entry.enabled and (entry.crontab.hour, entry.crontab.minute) == ("0", "30")


def test_mape_of_fractions():
    assert mape([0.1, 0.25, None]) == pytest.approx(0.175)
    assert mape([None]) is None and mape([]) is None


def _snapshot(period: str, *, p50, closed_won=0, stage=0, ml=0, p10=0, p90=10**6,
              scope=Scope.TEAM, ref=0) -> ForecastSnapshot:  # fmt: skip
    p = period_parse(period)
    return ForecastSnapshot.objects.create(
        period=p.label, period_start=p.start, period_end=p.end, scope=scope, scope_ref=ref,
        label="x", currency="USD", closed_won=closed_won, open_count=1, open_amount=0,
        weighted_stage=stage, weighted_ml=ml, p10=p10, p50=p50, p90=p90, mean=p50,
        draws=10, seed=1,
    )  # fmt: skip


def test_accuracy_compares_snapshots_with_actual_closed_won(alpha, team):
    with schema_context(alpha.schema):
        book = make_book()
        rep = team["rep1"]
        for day, amount in [(date(2026, 9, 3), 600), (date(2026, 9, 28), 400),
                            (date(2026, 10, 9), 1200)]:  # fmt: skip
            book.deal(amount=amount, stage="Won", closed_at=won_at(day), owner=rep)
        book.deal(amount=999, stage="Lost", closed_at=won_at(date(2026, 9, 5)))  # not revenue
        _snapshot("2026-09", p50=900, closed_won=100, stage=700, ml=1100, p10=800, p90=950)
        _snapshot("2026-10", p50=1500, stage=1000, ml=1200)
        _snapshot("2026-08", p50=500)  # nothing won in August: error undefined, left out
        _snapshot("2026-11", p50=1)  # not ended yet: not reported
        _snapshot("2026-09", p50=1000, scope=Scope.OWNER, ref=rep.pk)
        accuracy = forecast_accuracy(today=date(2026, 11, 5))
        mine = forecast_accuracy(scope=Scope.OWNER, scope_ref=rep.pk, today=date(2026, 11, 5))
    rows = {r.snapshot.period: r for r in accuracy.rows}
    assert list(rows) == ["2026-10", "2026-09", "2026-08"]
    sept, octo = rows["2026-09"], rows["2026-10"]
    assert sept.actual == Decimal("1000.00") and octo.actual == Decimal("1200.00")
    assert sept.ape_p50 == pytest.approx(0.1) and octo.ape_p50 == pytest.approx(0.25)
    assert sept.ape_stage == pytest.approx(0.2)  # 100 + 700 against 1000
    assert octo.ape_ml == pytest.approx(0.0)
    assert rows["2026-08"].ape_p50 is None and not sept.within_band
    (summary,) = accuracy.summaries
    assert (summary.kind, summary.currency, summary.periods) == ("month", "USD", 2)
    assert summary.mape_p50 == pytest.approx(0.175)
    assert summary.mape_stage == pytest.approx((0.2 + 2 / 12) / 2)
    assert [r.ape_p50 for r in mine.rows] == [0.0]


def test_accuracy_is_per_workspace(alpha, beta):
    with schema_context(alpha.schema):
        _snapshot("2026-09", p50=900)
    with schema_context(beta.schema):
        assert forecast_accuracy(today=date(2026, 11, 5)).rows == []
