"""The pipeline board in chromium: drag and drop, the keyboard alternative, lost reasons."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django_tenants.utils import schema_context

from crm.deals.models import Deal, DealStageChange, Pipeline
from crm.deals.services import deal_create

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def board(alpha, page, login, live_server_url):
    """A rep with two deals in New on alpha's default pipeline, signed in, on the board."""
    rep = alpha.make_user(email="kanban.rep@alpha.test")
    with schema_context(alpha.schema):
        pipeline = Pipeline.objects.get(is_default=True)
        stages = {s.name: s for s in pipeline.stages.all()}
        deals = {
            name: deal_create(name=name, stage=stages["New"], amount=Decimal(amount), owner=rep)
            for name, amount in (("Roof repair", "2000"), ("Gutters", "500"))
        }
    login(page, alpha, rep.email)
    page.goto(f"{live_server_url(alpha)}/pipeline/")
    return rep, stages, deals


def _column(page, stage):
    return page.locator(f'.column[data-stage-id="{stage.pk}"]')


def _total(page, stage) -> Decimal:
    return Decimal(_column(page, stage).locator(".total").get_attribute("data-total"))


def _card(page, deal):
    return page.locator(f'.deal-card[data-deal-id="{deal.pk}"]')


def _changes(schema: str, deal: Deal) -> list[tuple[str, str]]:
    with schema_context(schema):
        rows = DealStageChange.objects.filter(deal=deal, from_stage__isnull=False)
        return [(c.from_stage.name, c.to_stage.name) for c in rows.order_by("id")]


def test_drag_a_deal_to_another_stage_updates_the_totals(alpha, page, board, screenshot):
    _, stages, deals = board
    assert _total(page, stages["New"]) == Decimal("2500.00")
    screenshot(page, "pipeline")

    _card(page, deals["Roof repair"]).drag_to(_column(page, stages["Proposal"]))

    proposal = _column(page, stages["Proposal"])
    proposal.locator(f'.deal-card[data-deal-id="{deals["Roof repair"].pk}"]').wait_for()
    assert _total(page, stages["New"]) == Decimal("500.00")
    assert _total(page, stages["Proposal"]) == Decimal("2000.00")
    assert proposal.locator(".weighted").get_attribute("data-weighted") == "1000.00"
    assert _changes(alpha.schema, deals["Roof repair"]) == [("New", "Proposal")]
    screenshot(page, "pipeline-after-drag")


def test_keyboard_move_and_lost_reason(alpha, page, board, live_server_url, screenshot):
    _, stages, deals = board
    gutters = deals["Gutters"]
    select = _card(page, gutters).locator("select")
    select.focus()
    select.press("ArrowDown")  # New -> Qualified, without a mouse
    page.keyboard.press("Tab")  # to the card's Move button
    page.keyboard.press("Enter")

    _column(page, stages["Qualified"]).locator(f'[data-deal-id="{gutters.pk}"]').wait_for()
    assert _total(page, stages["Qualified"]) == Decimal("500.00")
    # Focus stays on the moved card, so the next move is one keystroke away.
    assert page.evaluate("document.activeElement.id") == f"move-{gutters.pk}"

    # Lost asks for a reason; dismissing it with nothing typed shows the server's refusal.
    page.once("dialog", lambda dialog: dialog.accept(""))
    _card(page, gutters).locator("select").select_option(str(stages["Lost"].pk))
    _card(page, gutters).get_by_role("button", name="Move").click()
    error = _card(page, gutters).locator(".card-error")
    error.wait_for()
    assert error.inner_text() == "Say why the deal was lost."
    assert _column(page, stages["Qualified"]).locator(f'[data-deal-id="{gutters.pk}"]').count()

    page.once("dialog", lambda dialog: dialog.accept("Chose a cheaper quote"))
    _card(page, gutters).get_by_role("button", name="Move").click()
    _column(page, stages["Lost"]).locator(f'[data-deal-id="{gutters.pk}"]').wait_for()
    assert _changes(alpha.schema, gutters) == [("New", "Qualified"), ("Qualified", "Lost")]
    with schema_context(alpha.schema):
        assert Deal.objects.get(pk=gutters.pk).lost_reason == "Chose a cheaper quote"

    page.goto(f"{live_server_url(alpha)}/pipeline/deals/{gutters.pk}/")
    assert page.get_by_text("Chose a cheaper quote").is_visible()
    screenshot(page, "deal-detail")
