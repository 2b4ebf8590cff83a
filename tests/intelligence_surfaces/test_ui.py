"""The rep UI: score column (number + temperature, accessible), sort by score, filter by
temperature, Today's hot leads, the lead page's score panel (model label, factors with
weights, history, escaped labels), the Rescore button and who may press it; flat queries."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from crm.leads.models import Lead
from intelligence.models import LeadScore

from .conftest import make_hot, make_lead

SCRIPT = "<script>alert(1)</script>"


def _score(lead, score: int, temperature: str, factors=None, label: str = "rules") -> None:
    LeadScore.objects.create(
        lead=lead,
        score=score,
        probability=score / 100,
        temperature=temperature,
        model_label=label,
        factors=factors or [],
    )
    Lead.objects.filter(pk=lead.pk).update(
        score=score, temperature=temperature, score_label=label, score_changed_at=timezone.now()
    )


def _rows(html: str, names: list[str]) -> list[str]:
    return sorted(names, key=html.find)


def test_list_shows_sorts_and_filters_by_score(alpha, people):
    hot = make_lead(alpha, owner=people["rep"], first_name="Hotty")
    warm = make_lead(alpha, owner=people["rep"], first_name="Warmy")
    unscored = make_lead(alpha, owner=people["rep"], first_name="Nobody")
    with schema_context(alpha.schema):
        _score(hot, 88, "hot")
        _score(warm, 55, "warm")
    client = alpha.logged_in_client(people["rep"])
    html = client.get("/leads/").content.decode()
    assert '<span class="sr-only">Score </span>88' in html and ">Hot</span>" in html
    assert ">Warm</span>" in html and 'aria-label="Not scored yet"' in html
    for sort in ("-score", "score"):  # unscored leads last both ways
        html = client.get("/leads/", {"sort": sort}).content.decode()
        order = _rows(html, ["Hotty", "Warmy", "Nobody"])
        assert order == (
            ["Hotty", "Warmy", "Nobody"] if sort == "-score" else ["Warmy", "Hotty", "Nobody"]
        )
    html = client.get("/leads/", {"temperature": "hot"}).content.decode()
    assert "Hotty" in html and "Warmy" not in html and "Nobody" not in html
    html = client.get("/leads/", {"temperature": "unscored"}).content.decode()
    assert "Nobody" in html and "Hotty" not in html
    # a hand-edited value is ignored, not an error
    assert client.get("/leads/", {"temperature": "lava"}).status_code == 200
    assert unscored.pk


def test_today_lists_my_hot_leads_by_score(alpha, people):
    a = make_lead(alpha, owner=people["rep"], first_name="Alpha")
    b = make_lead(alpha, owner=people["rep"], first_name="Bravo")
    theirs = make_lead(alpha, owner=people["other"], first_name="Theirs")
    with schema_context(alpha.schema):
        _score(a, 75, "hot")
        _score(b, 93, "hot")
        _score(theirs, 99, "hot")
    html = alpha.logged_in_client(people["rep"]).get("/").content.decode()
    section = html[html.index('id="t-hot"') : html.index('id="t-leads"')]
    assert _rows(section, ["Alpha", "Bravo"]) == ["Bravo", "Alpha"]
    assert "Theirs" not in section


def test_lead_page_panel_explains_the_score(alpha, people):
    lead = make_lead(alpha, owner=people["rep"])
    with schema_context(alpha.schema):
        _score(lead, 40, "warm", label="rules")
        _score(
            lead,
            81,
            "hot",
            label="trained v3, AUC 0.81",
            factors=[
                {"label": "Replied twice in the last 7 days", "weight": 0.18},
                {"label": SCRIPT, "weight": 0.07},
                {"label": "No activity in 40 days", "weight": -0.15},
            ],
        )
    html = alpha.logged_in_client(people["rep"]).get(f"/leads/{lead.pk}/").content.decode()
    assert "trained v3, AUC 0.81" in html
    assert "Replied twice in the last 7 days" in html and "+0.18" in html
    assert "No activity in 40 days" in html and "\u22120.15" in html
    assert "Score history" in html and "rules" in html
    assert SCRIPT not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Rescore now" in html


def test_rescore_button_for_who_may_edit_the_lead(alpha, people):
    lead = make_lead(alpha, owner=people["rep"])
    with schema_context(alpha.schema):
        make_hot(lead)
    other = alpha.logged_in_client(people["other"])
    assert "Rescore" not in other.get(f"/leads/{lead.pk}/").content.decode()
    assert other.post(f"/insights/leads/{lead.pk}/rescore/").status_code == 403
    with schema_context(alpha.schema):
        assert not LeadScore.objects.exists()
    owner = alpha.logged_in_client(people["rep"])
    panel = owner.post(f"/insights/leads/{lead.pk}/rescore/", HTTP_HX_REQUEST="true")
    assert panel.status_code == 200
    html = panel.content.decode()
    assert 'id="lead-score-panel"' in html and "Replied 3 times" in html
    assert owner.post(f"/insights/leads/{lead.pk}/rescore/").status_code == 302  # no JS
    manager = alpha.logged_in_client(people["manager"])
    assert manager.post(f"/insights/leads/{lead.pk}/rescore/").status_code == 302
    assert owner.get(f"/insights/leads/{lead.pk}/rescore/").status_code == 405


def test_rescore_of_another_workspaces_lead_is_404(alpha, beta, people):
    lead = make_lead(alpha, owner=people["rep"])
    from crm.team.models import Role

    stranger = beta.make_user(email="boss2@beta.test", role=Role.MANAGER)
    response = beta.logged_in_client(stranger).post(f"/insights/leads/{lead.pk}/rescore/")
    assert response.status_code == 404


def _count(client, path: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    return len(ctx.captured_queries)


def test_scored_pages_keep_flat_query_counts(alpha, people):
    client = alpha.logged_in_client(people["manager"])
    leads = [make_lead(alpha, owner=people["rep"]) for _ in range(3)]
    with schema_context(alpha.schema):
        for lead in leads:
            _score(lead, 72, "hot")
    _count(client, f"/leads/{leads[0].pk}/")  # first visit: one-off work (caches, settings row)
    small = _count(client, "/leads/?sort=-score")
    detail = _count(client, f"/leads/{leads[0].pk}/")
    more = [make_lead(alpha, owner=people["rep"]) for _ in range(12)]
    with schema_context(alpha.schema):
        for lead in more:
            _score(lead, 50, "warm")
            _score(leads[0], 60, "warm")
    assert _count(client, "/leads/?sort=-score") == small
    assert _count(client, "/leads/?sort=score&temperature=warm") == small
    assert _count(client, f"/leads/{leads[0].pk}/") == detail
