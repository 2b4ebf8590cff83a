"""The pipeline board: columns per stage with totals and weighted totals, filters, query count."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from crm.activities.services import activity_log
from crm.contacts.services import contact_create
from crm.deals.models import Deal, DealContact
from crm.deals.services import deal_create, deal_move_stage, deal_update, pipeline_create
from crm.team.models import Role

pytestmark = pytest.mark.django_db


def _column(html: str, stage_id: int) -> str:
    start = html.index(f'data-stage-id="{stage_id}"')
    end = html.find('<section class="column', start)
    return html[start : end if end != -1 else len(html)]


def test_anonymous_is_sent_to_sign_in(alpha):
    response = alpha.client().get("/pipeline/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_board_shows_columns_with_totals_and_weighted_totals(alpha, sales):
    rep = alpha.make_user(email="board.rep@alpha.test")
    sales.deal("Roof", stage="New", amount="1000", owner=rep)
    sales.deal("Gutters", stage="New", amount="500.50", owner=rep)
    sales.deal("Solar", stage="Proposal", amount="12000")

    response = alpha.logged_in_client(rep).get("/pipeline/")

    assert response.status_code == 200
    board = response.context["board"]
    by_name = {c.stage.name: c for c in board.columns}
    assert [c.stage.name for c in board.columns] == [
        "New", "Qualified", "Proposal", "Negotiation", "Won", "Lost"
    ]  # fmt: skip
    assert (by_name["New"].count, by_name["New"].total) == (2, Decimal("1500.50"))
    assert by_name["New"].weighted == Decimal("150.05")  # 10 %
    assert (by_name["Proposal"].total, by_name["Proposal"].weighted) == (
        Decimal("12000.00"),
        Decimal("6000.00"),  # 50 %
    )
    assert board.total == Decimal("13500.50")
    assert board.weighted == Decimal("6150.05")
    html = response.content.decode()
    new = _column(html, sales.stage("New").pk)
    assert 'data-total="1500.50"' in new and "1,500.50" in new
    assert 'data-weighted="150.05"' in new
    assert "Roof" in new and "Roof Inc" in new and "Solar" not in new
    assert 'data-total="12000.00"' in _column(html, sales.stage("Proposal").pk)


def test_filters_by_owner_and_close_date(alpha, sales):
    rep = alpha.make_user(email="filter.rep@alpha.test")
    mine = sales.deal("Mine", owner=rep, amount="100")
    sales.deal("Theirs", amount="900")
    late = sales.deal("Mine later", owner=rep, amount="50")
    with schema_context(alpha.schema):
        deal_update(deal=mine, changes={"expected_close_date": dt.date(2026, 3, 10)})
        deal_update(deal=late, changes={"expected_close_date": dt.date(2026, 6, 1)})
    client = alpha.logged_in_client(rep)

    by_owner = client.get("/pipeline/", {"owner": rep.pk}).context["board"]
    assert by_owner.total == Decimal("150.00")

    dated = client.get(
        "/pipeline/", {"owner": rep.pk, "close_from": "2026-03-01", "close_to": "2026-03-31"}
    ).context["board"]
    assert [d.name for c in dated.columns for d in c.deals] == ["Mine"]

    # Garbage in the query string is ignored, not an error page.
    assert client.get("/pipeline/", {"close_from": "soon", "owner": "x"}).status_code == 200


def test_pipeline_switcher_shows_the_chosen_pipeline(alpha, sales):
    manager = alpha.make_user(email="switch.mgr@alpha.test", role=Role.MANAGER)
    with schema_context(alpha.schema):
        renewals = pipeline_create(name="Renewals", stages=[("Due", 40, False, False)])
    client = alpha.logged_in_client(manager)
    assert client.get("/pipeline/").context["board"].pipeline == sales.pipeline
    board = client.get("/pipeline/", {"pipeline": renewals.pk}).context["board"]
    assert [c.stage.name for c in board.columns] == ["Due"]


def test_cards_offer_a_move_only_to_who_may_move_them(alpha, sales):
    rep = alpha.make_user(email="cards.rep@alpha.test")
    own = sales.deal("Own deal", owner=rep)
    other = sales.deal("Other deal")
    html = alpha.logged_in_client(rep).get("/pipeline/").content.decode()
    assert f'action="/pipeline/deals/{own.pk}/move/"' in html
    assert f'action="/pipeline/deals/{other.pk}/move/"' not in html  # reps see, not move


def test_board_query_count_is_constant(alpha, sales):
    manager = alpha.make_user(email="count.mgr@alpha.test", role=Role.MANAGER)
    client = alpha.logged_in_client(manager)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/pipeline/").status_code == 200
        return len(captured)

    for i in range(3):
        sales.deal(f"Few {i}", stage="New", owner=manager)
    few = queries()
    for i in range(27):
        sales.deal(f"Many {i}", stage=["New", "Qualified", "Won"][i % 3], owner=manager)
    assert queries() == few


def test_deal_page_shows_profile_contacts_history_and_timeline(alpha, sales):
    rep = alpha.make_user(email="page.rep@alpha.test")
    deal = sales.deal("Kitchen remodel", owner=rep, amount="8000")
    with schema_context(alpha.schema):
        buyer = contact_create(first_name="Ada", last_name="Byron", email="ada@x.test")
        DealContact.objects.create(deal=deal, contact=buyer, role=DealContact.Role.CHAMPION)
        deal_move_stage(deal=deal, stage=sales.stage("Qualified"), actor=rep)
        activity_log(kind="note", deal=deal, body="Site visit booked", actor=rep)

    response = alpha.logged_in_client(rep).get(f"/pipeline/deals/{deal.pk}/")

    assert response.status_code == 200
    html = response.content.decode()
    for text in ("Kitchen remodel", "8,000.00", "Ada Byron", "Champion", "New &rarr;", "Qualified",
                 "Site visit booked"):  # fmt: skip
        assert text in html, text


def test_another_workspaces_deal_is_404(alpha, beta):
    with schema_context(beta.schema):
        beta_deal = deal_create(name="Beta secret")
    with schema_context(alpha.schema):
        assert not Deal.objects.filter(pk=beta_deal.pk).exists()  # the id means nothing here
    client = alpha.logged_in_client(alpha.make_user(email="iso.mgr@alpha.test", role=Role.MANAGER))

    assert client.get(f"/pipeline/deals/{beta_deal.pk}/").status_code == 404
    assert client.post(f"/pipeline/deals/{beta_deal.pk}/move/", {"stage": 1}).status_code == 404
    assert "Beta secret" not in client.get("/pipeline/").content.decode()
    with schema_context(beta.schema):
        assert Deal.objects.get(pk=beta_deal.pk).stage.name == "New"
