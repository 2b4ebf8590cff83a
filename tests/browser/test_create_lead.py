"""A rep creates a lead in chromium, then finds it from the header search by its phone typed
in another format."""

from __future__ import annotations

import re

import pytest
from django_tenants.utils import schema_context

from crm.leads.models import Lead

pytestmark = pytest.mark.django_db(transaction=True)


def test_rep_creates_a_lead_and_finds_it_by_another_phone_format(
    alpha, page, login, live_server_url, screenshot
):
    rep = alpha.make_user(email="creator.rep@alpha.test")
    login(page, alpha, rep.email)
    page.goto(f"{live_server_url(alpha)}/leads/new/")
    page.fill("#id_first_name", "Grace")
    page.fill("#id_last_name", "Hopper")
    page.fill("#id_email", "grace@navy.test")
    page.fill("#id_phone", "(512) 555-0177")
    page.fill("#id_source", "referral")
    page.fill("#id_interest", "Metal roof")
    screenshot(page, "lead-new")
    page.get_by_role("button", name="Create lead").click()
    page.wait_for_url(re.compile(r".*/leads/\d+/$"))
    assert "Grace Hopper" in page.content()
    with schema_context(alpha.schema):
        lead = Lead.objects.select_related("contact").get(contact__email="grace@navy.test")
        assert lead.contact.phone == "+15125550177" and lead.owner_id == rep.pk
    page.fill("#topsearch-q", "512.555.0177")
    hit = page.locator(f'#search-results a[href="/leads/{lead.pk}/"]')
    hit.wait_for()
    assert "Grace Hopper" in hit.inner_text()
