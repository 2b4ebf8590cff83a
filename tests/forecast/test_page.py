"""The rep UI's /forecast/ page."""

from datetime import date

from django_tenants.utils import schema_context

from .conftest import make_book


def _this_month() -> date:
    from intelligence.forecast.selectors import workspace_today_and_zone

    return workspace_today_and_zone()[0]


def test_page_renders_with_no_deals_at_all(alpha, team):
    response = alpha.logged_in_client(team["manager"]).get("/forecast/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "fc-chart" not in html and "no open deal expected to close" in html
    assert "Past accuracy" in html and 'href="/forecast/"' in html
    assert 'aria-current="page">Forecast' in html


def test_reps_see_only_their_own_numbers_and_managers_the_team(alpha, team):
    with schema_context(alpha.schema):
        today = _this_month()
        book = make_book()
        book.deal(amount=1234567, stage="Mid", close=today, owner=team["rep1"])
        book.deal(amount=7654321, stage="Mid", close=today, owner=team["rep2"])
    rep_html = alpha.logged_in_client(team["rep1"]).get("/forecast/").content.decode()
    assert "1,234,567" in rep_html and "7,654,321" not in rep_html
    assert "By owner" not in rep_html and "My forecast" in rep_html and "fc-chart" in rep_html
    # a rep cannot peek at a colleague through the query string
    peek = alpha.logged_in_client(team["rep1"]).get(f"/forecast/?owner={team['rep2'].pk}")
    assert "7,654,321" not in peek.content.decode()
    boss_html = alpha.logged_in_client(team["manager"]).get("/forecast/").content.decode()
    assert "By owner" in boss_html and "8,888,888" in boss_html  # the team's open pipeline
    assert "1,234,567" in boss_html and "7,654,321" in boss_html


def test_period_and_pipeline_pickers_and_bad_input(alpha, team):
    client = alpha.logged_in_client(team["manager"])
    ok = client.get("/forecast/?period=next-quarter")
    assert ok.status_code == 200 and "Next quarter" in ok.content.decode()
    past = client.get("/forecast/?period=2025-Q3").content.decode()
    assert "Q3 2025" in past
    bad = client.get("/forecast/?period=2026-13&pipeline=999999&owner=999999")
    html = bad.content.decode()
    assert bad.status_code == 200 and "is not a period" not in html  # month 13 says so itself
    assert "has no month 13" in html and "That pipeline does not exist" in html
    assert "That team member does not exist" in html


def test_isolation_alpha_page_never_shows_beta_deals(alpha, beta, team):
    with schema_context(beta.schema):
        make_book().deal(amount=5550555, stage="Mid", close=_this_month())
    html = alpha.logged_in_client(team["manager"]).get("/forecast/").content.decode()
    assert "5,550,555" not in html


def test_signed_out_visitors_are_sent_to_sign_in(alpha):
    response = alpha.client().get("/forecast/")
    assert response.status_code == 302 and "login" in response["Location"]
