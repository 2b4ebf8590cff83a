"""The header search in chromium: a phone typed in another format finds the lead."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from crm.contacts.services import contact_create
from crm.leads.services import lead_create

pytestmark = pytest.mark.django_db(transaction=True)


def test_header_search_finds_a_lead_by_phone(alpha, page, login, live_server_url, screenshot):
    rep = alpha.make_user(email="search.rep@alpha.test")
    with schema_context(alpha.schema):
        contact = contact_create(first_name="Phoebe", last_name="Dialer", phone="+15125550100")
        lead = lead_create(contact=contact, owner=rep)  # indexed in the same transaction
    login(page, alpha, rep.email)
    page.fill("#topsearch-q", "512.555.0100")
    hit = page.locator(f'#search-results a[href="/leads/{lead.pk}/"]')
    hit.wait_for()
    assert "Phoebe Dialer" in hit.inner_text()
    screenshot(page, "search-as-you-type")
    hit.click()
    page.wait_for_url(f"**/leads/{lead.pk}/")
    assert "Phoebe" in page.content()
