"""Signing in through the real login page, in chromium, over the ASGI server."""

from __future__ import annotations

import pytest

from ..conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def test_rep_signs_in_through_the_login_page(alpha, page, live_server_url, screenshot):
    alpha.make_user(email="browser.rep@alpha.test")
    page.goto(f"{live_server_url(alpha)}/")
    assert "/accounts/login/" in page.url  # anonymous: sent to sign in
    screenshot(page, "login")

    page.fill("#id_username", "browser.rep@alpha.test")
    page.fill("#id_password", "wrong password")
    page.click("button[type=submit]")
    assert page.locator("[role=alert]").is_visible()

    page.fill("#id_username", "browser.rep@alpha.test")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server_url(alpha)}/")
    assert "browser.rep@alpha.test" in page.locator("header").inner_text()  # signed in as
    screenshot(page, "home")
