"""The intelligence features of the rep UI in chromium: a draft streamed over the websocket and
approved, lead scores in the list and the panel (rescored over HTMX), the forecast chart, Ask the
CRM chips from the header search, and the one-click correction of a reply's intent."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from django_tenants.utils import schema_context

from crm.activities.services import activity_log
from crm.contacts.services import contact_create
from crm.deals.models import Pipeline
from crm.deals.services import deal_create
from crm.leads.models import Lead
from crm.leads.services import lead_create
from crm.team.models import Role
from intelligence.ai.models import AIUsage, Outcome
from intelligence.language.models import ReplyIntent
from intelligence.language.services import reply_intent_store
from intelligence.models import LeadScore
from intelligence.services import lead_score_compute

pytestmark = pytest.mark.django_db(transaction=True)

# Set on the window before an HTMX action: still there afterwards = no full page load.
MARK = "window.__noReload = 'kept'"
KEPT = "window.__noReload === 'kept'"


def _lead(ws, owner, *, first: str, last: str, phone: str = "") -> Lead:
    with schema_context(ws.schema):
        contact = contact_create(first_name=first, last_name=last, phone=phone, owner=owner)
        return lead_create(contact=contact, owner=owner, source="referral")


def test_draft_streams_into_the_textarea_and_approve_records_the_outcome(
    alpha, page, login, live_server_url, screenshot
):
    rep = alpha.make_user(email="draft.rep@alpha.test")
    lead = _lead(alpha, rep, first="Dora", last="Drafter", phone="+15125550141")
    login(page, alpha, rep.email)
    page.goto(f"{live_server_url(alpha)}/leads/{lead.pk}/")

    panel = page.locator("[data-draft-panel]")
    panel.locator("select[name=purpose]").select_option("book_meeting")
    panel.locator("select[name=tone]").select_option("formal")
    panel.locator("select[name=channel]").select_option("sms")
    panel.get_by_role("button", name="Write draft").click()

    # Approve is enabled only once the "done" frame arrived with the usage id.
    approve = panel.get_by_role("button", name="Approve")
    page.wait_for_function("document.querySelector('[data-draft-approve]').disabled === false")
    text = panel.locator("[data-draft-text]").input_value()
    assert text.strip() and "Dora" in text
    assert panel.locator("[data-draft-engine]").inner_text() == "Written by: Built-in engine"
    assert re.fullmatch(
        r"(GSM-7|UCS-2) · \d+ chars · [1-9]\d* segments? · \d+ left",
        panel.locator("[data-draft-segments]").inner_text(),
    )
    with schema_context(alpha.schema):
        usage = AIUsage.objects.get(record_type="lead", record_id=lead.pk, user=rep)
        assert usage.outcome == Outcome.PENDING and usage.engine == "Built-in engine"
    screenshot(page, "draft-streamed")

    approve.click()
    status = panel.locator("[data-draft-status]")
    status.filter(has_text="Approved (accepted)").wait_for()
    assert approve.is_disabled()
    with schema_context(alpha.schema):
        usage.refresh_from_db()
        assert usage.outcome == Outcome.ACCEPTED
    screenshot(page, "draft-approved")


def test_draft_panel_shows_the_refusal_for_an_edited_empty_draft(
    alpha, page, login, live_server_url
):
    """Bad input: approving a draft the rep emptied is refused with a reason; nothing recorded."""
    rep = alpha.make_user(email="draft.empty@alpha.test")
    lead = _lead(alpha, rep, first="Emma", last="Empty", phone="+15125550142")
    login(page, alpha, rep.email)
    page.goto(f"{live_server_url(alpha)}/leads/{lead.pk}/")
    panel = page.locator("[data-draft-panel]")
    panel.get_by_role("button", name="Write draft").click()
    page.wait_for_function("document.querySelector('[data-draft-approve]').disabled === false")
    panel.locator("[data-draft-text]").fill("   ")
    panel.get_by_role("button", name="Approve").click()
    panel.locator("[data-draft-status].error", has_text="The draft is empty.").wait_for()
    with schema_context(alpha.schema):
        usage = AIUsage.objects.get(record_type="lead", record_id=lead.pk, user=rep)
        assert usage.outcome == Outcome.PENDING


def test_lead_scores_in_the_list_and_the_panel_rescore_without_reload(
    alpha, page, login, live_server_url, screenshot
):
    rep = alpha.make_user(email="score.rep@alpha.test")
    leads = [
        _lead(alpha, rep, first="Sam", last="Scored", phone="+15125550151"),
        _lead(alpha, rep, first="Sue", last="Scored", phone="+15125550152"),
    ]
    with schema_context(alpha.schema):
        scores = {s.lead_id: s for s in lead_score_compute(lead_ids=[x.pk for x in leads])}
    login(page, alpha, rep.email)

    page.goto(f"{live_server_url(alpha)}/leads/?owner=me")
    for lead in leads:
        row = page.locator("#lead-table tr", has=page.locator(f'a[href="/leads/{lead.pk}/"]'))
        cell = row.locator("td.score")
        shown = cell.locator(".score-value").inner_text()
        assert re.search(rf"\b{scores[lead.pk].score}\b", shown)
        assert cell.locator(".tag").inner_text() == scores[lead.pk].temperature.capitalize()
    screenshot(page, "leads-with-scores")

    lead = leads[0]
    page.goto(f"{live_server_url(alpha)}/leads/{lead.pk}/")
    panel = page.locator("#lead-score-panel")
    assert panel.locator(".score-number").inner_text() == str(scores[lead.pk].score)
    assert panel.locator(".model-label").inner_text() == "rules"
    assert panel.locator(".factor-label").count() >= 1
    with schema_context(alpha.schema):
        before = LeadScore.objects.filter(lead_id=lead.pk).count()

    page.evaluate(MARK)
    page.evaluate("document.getElementById('lead-score-panel').dataset.stale = '1'")
    panel.get_by_role("button", name="Rescore now").click()
    page.locator("#lead-score-panel:not([data-stale])").wait_for()
    assert page.evaluate(KEPT)  # swapped in place by HTMX, not a full page load
    assert page.locator("#lead-score-panel .model-label").inner_text() == "rules"
    with schema_context(alpha.schema):
        assert LeadScore.objects.filter(lead_id=lead.pk).count() == before + 1
    # two or more stored scores: the panel now offers the history
    page.locator("#lead-score-panel details summary", has_text="Score history").click()
    assert page.locator("#lead-score-panel details tbody tr").count() >= 2
    screenshot(page, "lead-score-panel")


def test_forecast_chart_for_a_manager_and_own_numbers_for_a_rep(
    alpha, beta, page, login, live_server_url, screenshot
):
    from intelligence.forecast.selectors import workspace_today_and_zone

    boss = alpha.make_user(email="fc.boss@alpha.test", role=Role.MANAGER)
    rep1 = alpha.make_user(email="fc.one@alpha.test")
    rep2 = alpha.make_user(email="fc.two@alpha.test")
    with schema_context(alpha.schema):
        today: date = workspace_today_and_zone()[0]
        stages = {s.name: s for s in Pipeline.objects.get(is_default=True).stages.all()}
        for owner, amount in ((rep1, "1234567"), (rep1, "222222"), (rep2, "7654321")):
            deal_create(
                name=f"Forecast {amount}", stage=stages["Qualified"], amount=Decimal(amount),
                owner=owner, expected_close_date=today,
            )  # fmt: skip

    with schema_context(beta.schema):  # another workspace's deal never counts here
        beta_stage = Pipeline.objects.get(is_default=True).stages.get(name="Qualified")
        deal_create(
            name="Beta deal", stage=beta_stage, amount=Decimal("5550555"),
            expected_close_date=today,
        )  # fmt: skip

    login(page, alpha, boss.email)
    page.goto(f"{live_server_url(alpha)}/forecast/")
    chart = page.locator("svg.fc-chart")
    assert chart.count() == 1 and chart.get_attribute("role") == "img"
    desc = chart.locator("desc").text_content()
    found = re.search(r"P10 ([\d,]+), P50 ([\d,]+), P90 ([\d,]+) USD", desc)
    p10, p50, p90 = (int(v.replace(",", "")) for v in found.groups())
    assert 0 <= p10 <= p50 <= p90 <= 9_111_110  # nothing won yet: at most every open deal
    assert chart.locator("rect.bar").count() >= 1 and chart.locator("rect.band").count() == 1
    assert chart.locator("line.m-p50").count() == 1
    assert page.get_by_role("heading", name="By owner").is_visible()
    team = page.locator("section[aria-labelledby=fc-total-h]").inner_text()
    assert "9,111,110" in team  # the three open deals: 1,234,567 + 222,222 + 7,654,321
    assert "5,550,555" not in page.locator("body").inner_text()
    screenshot(page, "forecast-manager")

    page.context.clear_cookies()
    login(page, alpha, rep1.email)
    page.goto(f"{live_server_url(alpha)}/forecast/?owner={rep2.pk}")  # peeking is ignored
    assert page.locator("#fc-total-h").inner_text().startswith("My forecast")
    body = page.locator("body").inner_text()
    assert "1,456,789" in body  # rep1's two open deals
    assert "7,654,321" not in body and "9,111,110" not in body
    assert page.locator("#fc-owner").count() == 0
    assert page.locator("svg.fc-chart").count() == 1
    screenshot(page, "forecast-rep")


def test_ask_the_crm_from_the_header_search_shows_removable_chips(
    alpha, page, login, live_server_url, screenshot
):
    rep = alpha.make_user(email="ask.rep@alpha.test")
    hot = _lead(alpha, rep, first="Hattie", last="Hotlead")
    cold = _lead(alpha, rep, first="Colin", last="Coldlead")
    with schema_context(alpha.schema):
        Lead.objects.filter(pk=hot.pk).update(score=91, temperature="hot", score_label="rules")
        Lead.objects.filter(pk=cold.pk).update(score=8, temperature="cold", score_label="rules")
    login(page, alpha, rep.email)

    page.fill("#topsearch-q", "hot leads")
    ask = page.locator("#search-results a", has_text="Ask the CRM")
    ask.wait_for()
    ask.click()
    page.wait_for_url(re.compile(r".*/leads/\?.*temperature=hot.*"))
    chips = page.locator("form.ask-chips")
    assert chips.locator("#ask-q").input_value() == "hot leads"
    chip = chips.locator(".chip", has_text="Temperature: hot")
    assert chip.count() == 1
    table = page.locator("#lead-table")
    assert table.get_by_text("Hattie Hotlead").count() == 1
    assert table.get_by_text("Colin Coldlead").count() == 0
    screenshot(page, "ask-the-crm-chips")

    chip.get_by_role("link", name="Remove Temperature: hot").click()
    page.wait_for_url(lambda url: "temperature=hot" not in url and "ask=" in url)
    assert page.locator("form.ask-chips .chip", has_text="Temperature: hot").count() == 0
    assert page.locator("#lead-table").get_by_text("Colin Coldlead").count() == 1


def test_reply_intent_one_click_correction_is_kept(alpha, page, login, live_server_url, screenshot):
    rep = alpha.make_user(email="intent.rep@alpha.test")
    lead = _lead(alpha, rep, first="Ivy", last="Intent", phone="+15125550161")
    body = "Yes I am interested, can you come out on Friday?"
    with schema_context(alpha.schema):
        reply = activity_log(
            kind="sms", direction="inbound", body=body, lead=lead, contact=lead.contact
        )
        reading = reply_intent_store(activity=reply, text=body)
    assert reading is not None and reading.engine != "rep"
    target = "question" if reading.intent != "question" else "interested"
    label = {"question": "Question", "interested": "Interested"}[target]

    login(page, alpha, rep.email)
    page.goto(f"{live_server_url(alpha)}/leads/{lead.pk}/")
    box = page.locator(f"#intent-{reply.pk}")
    assert reading.get_intent_display() in box.locator(".tag").inner_text()
    page.evaluate(MARK)
    box.locator("summary", has_text="Correct the intent").click()
    box.get_by_role("button", name=f"Set the intent to {label}").click()
    page.locator(f"#intent-{reply.pk}", has_text="set by").wait_for()
    assert page.evaluate(KEPT)
    assert label in page.locator(f"#intent-{reply.pk} .tag").inner_text()
    with schema_context(alpha.schema):
        stored = ReplyIntent.objects.get(activity=reply)
        assert stored.intent == target and stored.engine == "rep"
        assert stored.corrected_by_id == rep.pk
    screenshot(page, "reply-intent-corrected")

    page.reload()  # kept across a reload
    assert label in page.locator(f"#intent-{reply.pk} .tag").inner_text()
    assert "set by" in page.locator(f"#intent-{reply.pk}").inner_text()
