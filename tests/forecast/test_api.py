"""GET /api/v1/forecast and /api/v1/forecast/accuracy."""

from datetime import date

import pytest
from django_tenants.utils import schema_context

from tests.api.conftest import ApiClient

from .conftest import make_book

URL = "/api/v1/forecast"


def _total(body, currency="USD"):
    return next(f for f in body["total"]["figures"] if f["currency"] == currency)


def test_forecast_figures_and_breakdown(api, team, november):
    response = api.get(URL, {"period": "2026-11"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["period"], body["kind"], body["start"], body["end"]) == (
        "2026-11", "month", "2026-11-01", "2026-11-30")  # fmt: skip
    team_fig = _total(body)
    assert team_fig["closed_won"] == "700.00" and team_fig["weighted_stage"] == "3850.00"
    assert team_fig["open_count"] == 5 and body["draws"] == 10_000
    assert {o["label"] for o in body["owners"]} >= {team["rep1"].get_full_name(), "Unassigned"}
    assert float(team_fig["p10"]) <= float(team_fig["p50"]) <= float(team_fig["p90"])
    # the same query gives the same numbers (seeded per request)
    assert api.get(URL, {"period": "2026-11"}).json()["total"] == body["total"]


def test_quarter_seed_and_filters(api, team, november):
    book, _ = november
    query = {"period": "2026-q4", "seed": 7, "draws": 500,
             "owner": team["rep1"].pk, "pipeline": book.pipeline.pk}  # fmt: skip
    body = api.get(URL, query).json()
    assert body["period"] == "2026-Q4" and body["seed"] == 7 and body["draws"] == 500
    assert body["total"]["scope"] == "owner" and body["owners"] == [] and body["pipelines"] == []
    assert _total(body)["closed_won"] == "1600.00"  # October's 900 + November's 700


@pytest.mark.parametrize(
    ("params", "field"),
    [({"period": "2026-13"}, "period"), ({"period": "2026-Q5"}, "period"),
     ({"period": "next week"}, "period"), ({"owner": "abc"}, "owner"),
     ({"pipeline": 0}, "pipeline"), ({"draws": 10}, "draws"), ({"perod": "2026-11"}, "perod")],
)  # fmt: skip
def test_bad_input_is_a_clear_400(api, params, field):
    response = api.get(URL, params)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert field in body["errors"]
    if field == "period":
        assert "2026-Q4" in body["detail"]


def test_another_workspaces_owner_or_pipeline_is_refused(alpha, beta, api, make_key):
    with schema_context(beta.schema):
        beta_pipeline = make_book("Beta only").pipeline
    beta_rep = beta.make_user(email="fc.beta.rep@beta.test")
    with schema_context(alpha.schema):
        from crm.deals.models import Pipeline
        from crm.team.models import User

        pipeline_clash = Pipeline.objects.filter(pk=beta_pipeline.pk).exists()
        owner_clash = User.objects.filter(pk=beta_rep.pk).exists()
    # ids are per workspace: one that alpha also uses is alpha's own, never beta's
    if not pipeline_clash:
        response = api.get(URL, {"pipeline": beta_pipeline.pk})
        assert response.status_code == 400 and "pipeline" in response.json()["errors"]
    if not owner_clash:
        response = api.get(URL, {"owner": beta_rep.pk})
        assert response.status_code == 400 and "owner" in response.json()["errors"]
    assert api.get(URL, {"owner": 10**9}).status_code == 400
    assert api.get(URL, {"pipeline": 10**9}).status_code == 400


def test_isolation_beta_key_sees_beta_only(alpha, beta, november, beta_api):
    with schema_context(beta.schema):
        make_book().deal(amount=4321, stage="Mid", close=date(2026, 11, 9))
    body = beta_api.get(URL, {"period": "2026-11"}).json()
    assert _total(body)["open_amount"] == "4321.00" and _total(body)["closed_won"] == "0.00"


def test_scope_deals_read_is_needed(alpha, client_for):
    assert client_for(alpha, ["contacts:read"]).get(URL).status_code == 403
    assert client_for(alpha, ["deals:read"]).get(URL).status_code == 200
    assert ApiClient(host=alpha.host, secret=None).get(URL).status_code in (401, 403)


def test_a_signed_in_rep_sees_only_their_own(alpha, team, november):
    rep = alpha.logged_in_client(team["rep1"])
    body = rep.get(URL, {"period": "2026-11"}).json()
    assert body["total"]["scope"] == "owner" and body["total"]["id"] == team["rep1"].pk
    assert body["owners"] == [] and _total(body)["weighted_stage"] == "1200.00"
    other = rep.get(URL, {"period": "2026-11", "owner": team["rep2"].pk})
    assert other.status_code == 403


def test_a_signed_in_manager_sees_the_team(alpha, team, november):
    body = alpha.logged_in_client(team["manager"]).get(URL, {"period": "2026-11"}).json()
    assert body["total"]["scope"] == "team" and len(body["owners"]) == 3


def test_default_period_is_the_current_month(api):
    body = api.get(URL).json()
    assert body["kind"] == "month" and body["owners"] == []


def test_accuracy_endpoint(alpha, api, team):
    from intelligence.forecast.periods import period_parse
    from intelligence.forecast.services import forecast_snapshot_take

    with schema_context(alpha.schema):
        forecast_snapshot_take(period=period_parse("2020-01"), today=date(2020, 1, 1))
    body = api.get(f"{URL}/accuracy").json()
    assert body["scope"] == "team" and body["periods"][0]["period"] == "2020-01"
    assert body["periods"][0]["ape_p50"] is None  # nothing was won: the error is undefined
    assert api.get(f"{URL}/accuracy", {"owner": team["rep1"].pk}).json()["scope"] == "owner"
    assert api.get(f"{URL}/accuracy", {"owner": 10**9}).status_code == 400
    both = api.get(f"{URL}/accuracy", {"owner": team["rep1"].pk, "pipeline": 1})
    assert both.status_code == 400
