"""Moving a deal from the board: the service records it; bad moves change nothing."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django_tenants.utils import schema_context

from crm.deals.models import Deal, DealStageChange
from crm.team.models import Role

pytestmark = pytest.mark.django_db

BOARD = {"HTTP_X_BOARD": "1"}  # what pipeline.js sends


def _state(schema: str, deal: Deal) -> tuple[str, int, str]:
    with schema_context(schema):
        fresh = Deal.objects.select_related("stage").get(pk=deal.pk)
        return (
            fresh.stage.name,
            DealStageChange.objects.filter(deal=deal).count(),
            fresh.lost_reason,
        )


def test_owner_moves_a_deal_and_gets_the_board_back_with_new_totals(alpha, sales):
    rep = alpha.make_user(email="mover@alpha.test")
    deal = sales.deal("Roof", stage="New", amount="2000", owner=rep)
    client = alpha.logged_in_client(rep)

    response = client.post(
        f"/pipeline/deals/{deal.pk}/move/", {"stage": sales.stage("Proposal").pk}, **BOARD
    )

    assert response.status_code == 200
    assert _state(alpha.schema, deal) == ("Proposal", 2, "")  # created + moved
    with schema_context(alpha.schema):
        change = DealStageChange.objects.filter(deal=deal).order_by("-id").first()
        assert (change.from_stage.name, change.to_stage.name, change.changed_by_id) == (
            "New", "Proposal", rep.pk
        )  # fmt: skip
    html = response.content.decode()
    assert 'data-weighted="1000.00"' in html  # 2,000 at 50 %
    assert "<html" not in html  # the board partial, not a page


def test_plain_form_post_redirects_back_to_the_board(alpha, sales):
    rep = alpha.make_user(email="noscript@alpha.test")
    deal = sales.deal("Porch", owner=rep)
    response = alpha.logged_in_client(rep).post(
        f"/pipeline/deals/{deal.pk}/move/",
        {"stage": sales.stage("Qualified").pk, "board_query": "owner=5"},
    )
    assert (response.status_code, response["Location"]) == (302, "/pipeline/?owner=5")
    assert _state(alpha.schema, deal)[0] == "Qualified"


def test_lost_needs_a_reason(alpha, sales):
    rep = alpha.make_user(email="loser@alpha.test")
    deal = sales.deal("Fence", owner=rep)
    client = alpha.logged_in_client(rep)
    url = f"/pipeline/deals/{deal.pk}/move/"

    response = client.post(url, {"stage": sales.stage("Lost").pk, "lost_reason": " "}, **BOARD)

    assert response.status_code == 400
    assert response.json() == {"error": "Say why the deal was lost."}
    assert _state(alpha.schema, deal) == ("New", 1, "")

    response = client.post(
        url, {"stage": sales.stage("Lost").pk, "lost_reason": "Went with a competitor"}, **BOARD
    )
    assert response.status_code == 200
    assert _state(alpha.schema, deal) == ("Lost", 2, "Went with a competitor")


def test_rep_cannot_move_someone_elses_deal(alpha, sales):
    owner = alpha.make_user(email="owner.rep@alpha.test")
    other = alpha.make_user(email="other.rep@alpha.test")
    deal = sales.deal("Windows", owner=owner)

    response = alpha.logged_in_client(other).post(
        f"/pipeline/deals/{deal.pk}/move/", {"stage": sales.stage("Won").pk}, **BOARD
    )

    assert response.status_code == 403
    assert "owner or a manager" in response.json()["error"]
    assert _state(alpha.schema, deal) == ("New", 1, "")


@pytest.mark.parametrize("role", [Role.MANAGER, Role.ADMIN])
def test_managers_and_admins_move_any_deal(alpha, sales, role):
    boss = alpha.make_user(email=f"{role}.boss@alpha.test", role=role)
    deal = sales.deal("Deck", owner=alpha.make_user(email=f"{role}.rep@alpha.test"))
    response = alpha.logged_in_client(boss).post(
        f"/pipeline/deals/{deal.pk}/move/", {"stage": sales.stage("Won").pk}, **BOARD
    )
    assert response.status_code == 200
    assert _state(alpha.schema, deal)[0] == "Won"


def test_bad_stage_is_400(alpha, sales):
    rep = alpha.make_user(email="badstage@alpha.test")
    deal = sales.deal("Shed", owner=rep)
    client = alpha.logged_in_client(rep)
    url = f"/pipeline/deals/{deal.pk}/move/"
    assert client.post(url, {"stage": "x"}, **BOARD).status_code == 400
    assert client.post(url, {"stage": 999999}, **BOARD).status_code == 400
    assert _state(alpha.schema, deal) == ("New", 1, "")


def test_move_needs_post_sign_in_and_csrf(alpha, sales):
    rep = alpha.make_user(email="csrf@alpha.test")
    deal = sales.deal("Garage", owner=rep)
    url = f"/pipeline/deals/{deal.pk}/move/"
    stage = {"stage": sales.stage("Qualified").pk}

    assert alpha.client().post(url, stage).status_code == 302  # to sign in
    assert alpha.logged_in_client(rep).get(url).status_code == 405

    strict = Client(enforce_csrf_checks=True, HTTP_HOST=alpha.host)
    with schema_context(alpha.schema):
        strict.force_login(rep)
    assert strict.post(url, stage, **BOARD).status_code == 403
    assert _state(alpha.schema, deal) == ("New", 1, "")

    # With the token from the cookie in the header (what pipeline.js does) it goes through.
    strict.get("/pipeline/")
    token = strict.cookies[settings.CSRF_COOKIE_NAME].value
    assert strict.post(url, stage, HTTP_X_CSRFTOKEN=token, **BOARD).status_code == 200
    assert _state(alpha.schema, deal)[0] == "Qualified"
