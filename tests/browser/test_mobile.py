"""At 375 px wide (a small phone) every main page fits the screen: nothing makes the page
scroll sideways (the pipeline board scrolls inside its own container, by design)."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from crm.contacts.services import contact_create
from crm.deals.services import deal_create
from crm.leads.services import lead_create

pytestmark = pytest.mark.django_db(transaction=True)
PHONE_WIDTH = 375


def test_main_pages_fit_a_phone_screen(alpha, browser, login, live_server_url, screenshot):
    rep = alpha.make_user(email="mobile.rep@alpha.test")
    with schema_context(alpha.schema):
        contact = contact_create(first_name="Mia", last_name="Mobile", phone="+15125550190")
        lead = lead_create(contact=contact, owner=rep, source="web", interest="Solar panels")
        deal_create(name="Mobile roof", amount="3200", owner=rep, primary_contact=contact)
    context = browser.new_context(viewport={"width": PHONE_WIDTH, "height": 780})
    page = context.new_page()
    try:
        login(page, alpha, rep.email)
        base = live_server_url(alpha)
        for name, path in [
            ("home", "/"), ("leads", "/leads/"), ("lead", f"/leads/{lead.pk}/"),
            ("contact", f"/contacts/{contact.pk}/"), ("pipeline", "/pipeline/"),
            ("tasks", "/tasks/"), ("notifications", "/notifications/"),
        ]:  # fmt: skip
            page.goto(base + path)
            overflow = page.evaluate("document.documentElement.scrollWidth")
            screenshot(page, f"mobile-{name}")
            assert overflow <= PHONE_WIDTH + 1, f"{path} is {overflow}px wide at {PHONE_WIDTH}px"
    finally:
        context.close()
