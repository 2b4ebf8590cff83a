"""The forecast service against numbers computed by hand (see conftest.november)."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from intelligence.forecast.periods import period_parse
from intelligence.forecast.selectors import forecast_compute

from .conftest import TODAY, make_book, won_at

NOV = period_parse("2026-11")


@pytest.fixture
def ml(monkeypatch, november):
    """Fixed win probabilities (the real map is H3's; here the forecast's use of it is tested)."""
    _, deals = november
    chosen = {"a": 0.1, "b": 0.6, "c": 0.9, "zero": 0.5, "unassigned": 0.4}
    probabilities = {deals[k].pk: p for k, p in chosen.items()}
    calls = []

    def fake(*, deal_ids):
        calls.append(sorted(deal_ids))
        return {pk: probabilities[pk] for pk in deal_ids if pk in probabilities}

    monkeypatch.setattr("intelligence.forecast.selectors.deal_win_probability_map", fake)
    return calls


def _fig(scope):
    assert len(scope.figures) == 1
    return scope.figures[0]


def test_team_figures_match_the_hand_computed_sums(alpha, november, ml):
    _, deals = november
    with schema_context(alpha.schema):
        forecast = forecast_compute(period=NOV, today=TODAY)
    team = _fig(forecast.total)
    assert forecast.total.scope == "team" and forecast.currencies == ["USD"]
    assert team.closed_won == Decimal("700.00") and team.closed_won_count == 1
    assert team.open_count == 5 and team.open_amount == Decimal("6500.00")
    assert team.weighted_stage == Decimal("3850.00")  # 200 + 1000 + 2400 + 0 + 250
    assert team.weighted_ml == Decimal("4200.00")  # 100 + 1200 + 2700 + 0 + 200
    assert team.stage_forecast == Decimal("4550.00")
    assert team.closed_won <= team.p10 <= team.p50 <= team.p90 <= team.closed_won + team.open_amount
    assert abs(team.mean - Decimal("4900")) < 60  # 700 + 4200, up to sampling noise
    q = forecast.quality
    assert (q.open_without_close_date, q.open_overdue, q.open_without_amount, q.ml_fallback) == (
        1,
        1,
        1,
        0,
    )
    # the win-probability contract was asked once, for the open deals of the period only
    expected = sorted(deals[k].pk for k in ("a", "b", "c", "zero", "unassigned"))
    assert ml == [expected]


def test_owner_and_pipeline_breakdowns(alpha, team, november, ml):
    book, _ = november
    with schema_context(alpha.schema):
        forecast = forecast_compute(period=NOV, today=TODAY)
    owners = {s.label: _fig(s) for s in forecast.owners}
    r1, r2 = team["rep1"].get_full_name(), team["rep2"].get_full_name()
    assert set(owners) == {r1, r2, "Unassigned"}
    assert (owners[r1].closed_won, owners[r1].weighted_stage, owners[r1].weighted_ml) == (
        Decimal("700.00"), Decimal("1200.00"), Decimal("1300.00"))  # fmt: skip
    assert (owners[r2].open_count, owners[r2].weighted_stage) == (2, Decimal("2400.00"))
    assert owners["Unassigned"].weighted_ml == Decimal("200.00")
    assert sum(f.weighted_stage for f in owners.values()) == _fig(forecast.total).weighted_stage
    assert [s.ref for s in forecast.pipelines] == [book.pipeline.pk]


def test_filters_by_owner_and_pipeline(alpha, team, november, ml):
    book, _ = november
    with schema_context(alpha.schema):
        other = make_book("Other")
        other.deal(amount=10_000, stage="High", close=date(2026, 11, 10), owner=team["rep1"])
        mine = forecast_compute(period=NOV, owner_id=team["rep1"].pk, today=TODAY)
        in_book = forecast_compute(period=NOV, pipeline_id=book.pipeline.pk, today=TODAY)
    assert mine.total.scope == "owner" and mine.total.label == team["rep1"].get_full_name()
    assert mine.owners == [] and len(mine.pipelines) == 2
    assert _fig(mine.total).weighted_stage == Decimal("9200.00")  # 1200 + 8000
    assert _fig(in_book.total).weighted_stage == Decimal("3850.00")
    assert in_book.pipelines == []


def test_certain_and_impossible_deals(alpha, november, monkeypatch):
    _, deals = november
    monkeypatch.setattr(
        "intelligence.forecast.selectors.deal_win_probability_map",
        lambda *, deal_ids: {pk: 1.0 if pk == deals["b"].pk else 0.0 for pk in deal_ids},
    )
    with schema_context(alpha.schema):
        fig = _fig(forecast_compute(period=NOV, today=TODAY).total)
    assert fig.p10 == fig.p50 == fig.p90 == fig.mean == Decimal("2700.00")  # 700 won + b


def test_missing_model_probability_falls_back_to_the_stage(alpha, november, monkeypatch):
    monkeypatch.setattr(
        "intelligence.forecast.selectors.deal_win_probability_map", lambda *, deal_ids: {}
    )
    with schema_context(alpha.schema):
        forecast = forecast_compute(period=NOV, today=TODAY)
    assert forecast.quality.ml_fallback == 5
    assert _fig(forecast.total).weighted_ml == _fig(forecast.total).weighted_stage


def test_same_request_same_numbers_and_seed_changes_draws(alpha, november):
    with schema_context(alpha.schema):  # the real win-probability map
        one = forecast_compute(period=NOV, today=TODAY)
        two = forecast_compute(period=NOV, today=TODAY)
        other = forecast_compute(period=NOV, today=TODAY, seed=one.seed + 1, draws=500)
    assert one.seed == two.seed and _fig(one.total) == _fig(two.total)
    assert other.draws == 500 and other.seed != one.seed
    fig = _fig(one.total)
    assert Decimal("0") <= fig.weighted_ml <= fig.open_amount


def test_currencies_are_never_added_together(alpha, team, november, ml):
    book, _ = november
    with schema_context(alpha.schema):
        book.deal(amount=100_000, stage="Mid", close=date(2026, 11, 9), currency="EUR")
        book.deal(amount=300, stage="Won", currency="EUR", closed_at=won_at(date(2026, 11, 2)))
        forecast = forecast_compute(period=NOV, today=TODAY)
    assert forecast.currencies == ["EUR", "USD"]  # the larger first
    eur, usd = forecast.total.figures
    assert (eur.currency, eur.closed_won, eur.weighted_stage) == (
        "EUR",
        Decimal("300.00"),
        Decimal("50000.00"),
    )
    assert (usd.currency, usd.weighted_stage) == ("USD", Decimal("3850.00"))
    assert any("never added" in note for note in forecast.notes)


def test_an_ended_period_counts_only_what_was_won(alpha, november, ml):
    with schema_context(alpha.schema):
        forecast = forecast_compute(period=NOV, today=date(2026, 12, 2))
    fig = _fig(forecast.total)
    assert forecast.is_past and fig.open_count == 0
    assert fig.p10 == fig.p90 == fig.closed_won == Decimal("700.00")
    assert forecast.quality.open_overdue == 7  # the five of November, September's, 1 Dec


def test_quarter_includes_every_month(alpha, november, ml):
    with schema_context(alpha.schema):
        fig = _fig(forecast_compute(period=period_parse("2026-Q4"), today=TODAY).total)
    assert fig.closed_won == Decimal("1600.00")  # October's 900 + November's 700
    assert fig.open_count == 6 and fig.weighted_stage == Decimal("7850.00")  # + December's


def test_no_deals_at_all(alpha):
    with schema_context(alpha.schema):
        forecast = forecast_compute(period=NOV, today=TODAY)
    fig = _fig(forecast.total)
    assert forecast.currencies == ["USD"] and forecast.owners == [] and forecast.pipelines == []
    assert fig.p50 == fig.weighted_ml == fig.closed_won == Decimal("0.00")


def test_query_count_does_not_grow_with_deals(alpha, team, november):
    book, _ = november
    with schema_context(alpha.schema):
        with CaptureQueriesContext(connection) as small:
            forecast_compute(period=NOV, today=TODAY)
        for i in range(30):
            book.deal(amount=100 + i, stage="Mid", close=date(2026, 11, 12), owner=team["manager"])
        with CaptureQueriesContext(connection) as large:
            forecast_compute(period=NOV, today=TODAY)

    def statements(queries: CaptureQueriesContext) -> int:
        # The first call after the switch into alpha also sets the search path, once.
        return sum(not q["sql"].startswith("SET search_path") for q in queries.captured_queries)

    assert statements(large) == statements(small)


def test_isolation_beta_sees_none_of_alphas_deals(alpha, beta, november):
    with schema_context(beta.schema):
        forecast = forecast_compute(period=NOV, today=TODAY)
    fig = _fig(forecast.total)
    assert fig.open_count == 0 and fig.closed_won == Decimal("0.00") and forecast.owners == []
