"""The rep UI panels: deal page (win probability, health, flags, factors, model, actions) and
the lead page's next best actions. Values a user typed are escaped."""

import pytest
from django_tenants.utils import schema_context

from crm.contacts.models import Contact
from crm.deals.models import Stage
from crm.leads.models import Lead
from crm.team.models import Role

from .conftest import make_deal

XSS = "<script>alert(1)</script>"


@pytest.fixture
def manager_client(alpha):
    user = alpha.make_user(email="mgr-deals@alpha.test", role=Role.MANAGER)
    return alpha.logged_in_client(user)


def test_deal_page_shows_the_intelligence_panel_escaped(alpha, in_alpha, manager_client):
    Stage.objects.filter(pipeline__is_default=True, name="Qualified").update(name=XSS)
    deal = make_deal(name="Panel deal", stage_name=XSS, contacts=1, age_days=40, email="p@x.test")
    with schema_context("public"):
        response = manager_client.get(f"/pipeline/deals/{deal.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Win probability and health" in html
    assert 'class="model-label">rules<' in html
    assert 'data-flag="no_activity"' in html and 'data-flag="single_stakeholder"' in html
    assert "Do: Call or email the buyer" in html
    assert "Next best actions" in html and 'data-action="re_engage"' in html
    assert XSS not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_lead_page_shows_next_actions(alpha, in_alpha, manager_client):
    contact = Contact.objects.create(first_name="Lee", email="lee@x.test")
    lead = Lead.objects.create(contact=contact, score=55, temperature="warm",
                               interest=XSS)  # fmt: skip
    with schema_context("public"):
        response = manager_client.get(f"/leads/{lead.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="card lead-next-actions"' in html and 'data-action="email"' in html
    assert XSS not in html


def test_panel_failure_does_not_break_the_deal_page(alpha, in_alpha, manager_client,
                                                    monkeypatch):  # fmt: skip
    from intelligence.deals import services

    def broken(**_):
        raise RuntimeError("scores down")

    monkeypatch.setattr(services, "deal_score_current", broken)
    deal = make_deal(name="Broken panel")
    with schema_context("public"):
        response = manager_client.get(f"/pipeline/deals/{deal.pk}/")
    assert response.status_code == 200
    assert "Scores are not available right now." in response.content.decode()
