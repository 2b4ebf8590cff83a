"""Live notifications in chromium: a manager assigns a lead in one browser, the rep's open page
in another shows a toast and the bell's count goes up, without a reload."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from crm.contacts.services import contact_create
from crm.leads.services import lead_create
from crm.team.models import Role

from .conftest import TIMEOUT_MS

pytestmark = pytest.mark.django_db(transaction=True)


def test_rep_gets_a_toast_when_a_manager_assigns_them_a_lead(
    alpha, browser, page, login, live_server_url, screenshot
):
    rep = alpha.make_user(email="live.rep@alpha.test", role=Role.REP)
    boss = alpha.make_user(email="live.boss@alpha.test", role=Role.MANAGER)
    with schema_context(alpha.schema):
        contact = contact_create(first_name="Toast", last_name="<b>Worthy</b>", owner=boss)
        lead = lead_create(contact=contact, owner=boss)

    # The rep's browser: signed in, on Today, with the live socket open.
    login(page, alpha, rep.email)
    page.wait_for_function("document.documentElement.dataset.liveSocket === 'open'")
    bell = page.locator("#notification-bell .badge")
    assert bell.inner_text() == "0"

    # The manager's browser: a second context (its own cookies), the lead's edit form.
    manager_context = browser.new_context(viewport={"width": 1280, "height": 900})
    manager_context.set_default_timeout(TIMEOUT_MS)
    try:
        manager = manager_context.new_page()
        login(manager, alpha, boss.email)
        manager.goto(f"{live_server_url(alpha)}/leads/{lead.pk}/")
        manager.locator("details.action summary", has_text="Edit details").click()
        manager.select_option("#id_edit-owner", str(rep.pk))
        manager.locator("details.action[open] button[type=submit]").click()
        manager.locator("#lead-body").get_by_text(rep.get_full_name()).first.wait_for()
    finally:
        manager_context.close()

    toast = page.locator("#toasts .toast")
    toast.wait_for()
    assert page.locator("#toasts").get_attribute("role") == "status"
    assert page.locator("#toasts").get_attribute("aria-live") == "polite"
    assert "<b>Worthy</b>" in toast.inner_text()  # shown as text, not markup
    assert toast.locator("b").count() == 0
    assert bell.inner_text() == "1"
    assert page.locator("#notification-bell").get_attribute("aria-label") == (
        "Notifications, 1 unread"
    )
    screenshot(page, "notification-toast")

    # Stored, so the centre shows it after a reload; opening it marks it read.
    page.locator("#notification-bell").click()
    page.wait_for_url(f"{live_server_url(alpha)}/notifications/")
    item = page.locator(".notification.unread")
    assert "Worthy" in item.inner_text()
    screenshot(page, "notifications")
    page.get_by_role("button", name="Mark all read (1)").click()
    page.wait_for_load_state()
    assert page.locator("#notification-bell .badge").inner_text() == "0"
