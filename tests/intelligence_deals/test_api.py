"""GET /api/v1/deals/{id}/health, /deals/{id}/next-actions, /leads/{id}/next-actions."""

import pytest
from django_tenants.utils import schema_context

from crm.contacts.models import Contact
from crm.leads.models import Lead
from intelligence.deals.models import DealScore
from tests.api.conftest import ApiClient, make_key  # noqa: F401 - fixture

from .conftest import make_deal


@pytest.fixture
def deal(in_alpha):
    return make_deal(name="<b>Acme</b>", contacts=1, age_days=40, email="buyer@x.test")


def _client(ws, make_key, scopes=None) -> ApiClient:  # noqa: F811
    return ApiClient(host=ws.host, secret=make_key(ws, scopes))


def test_health_shows_score_flags_and_model(alpha, deal, make_key):  # noqa: F811
    response = _client(alpha, make_key, ["deals:read"]).get(f"/api/v1/deals/{deal.pk}/health")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["deal"] == deal.pk and body["model_label"] == "rules"
    assert 0 <= body["win_probability"] <= 1 and body["win_percent"] == round(
        body["win_probability"] * 100
    )
    codes = {flag["code"] for flag in body["flags"]}
    assert {"no_activity", "single_stakeholder"} <= codes
    assert all(flag["recommendation"] for flag in body["flags"])
    assert body["health"] == 100 - sum(flag["penalty"] for flag in body["flags"])
    assert all(set(f) == {"label", "weight"} for f in body["factors"])
    assert body["scored_at"] and body["model_version"] is None
    # read again: the stored score, not a new one
    _client(alpha, make_key).get(f"/api/v1/deals/{deal.pk}/health")
    with schema_context(alpha.schema):
        assert DealScore.objects.filter(deal=deal).count() == 1


def test_next_actions_for_deal_and_lead(alpha, deal, make_key):  # noqa: F811
    client = _client(alpha, make_key, ["deals:read", "leads:read"])
    actions = client.get(f"/api/v1/deals/{deal.pk}/next-actions").json()["actions"]
    assert actions and {"code", "label", "reason", "priority"} == set(actions[0])
    assert [a["priority"] for a in actions] == sorted((a["priority"] for a in actions),
                                                      reverse=True)  # fmt: skip
    with schema_context(alpha.schema):
        lead = Lead.objects.create(contact=Contact.objects.create(email="l@x.test"), score=50,
                                   temperature="warm")  # fmt: skip
    actions = client.get(f"/api/v1/leads/{lead.pk}/next-actions").json()["actions"]
    assert actions[0]["code"] == "email" and "nobody has contacted yet" in actions[0]["reason"]
    assert any("Warm lead (score 50)" in a["reason"] for a in actions)


def test_scopes_are_enforced(alpha, deal, make_key):  # noqa: F811
    leads_only = _client(alpha, make_key, ["leads:read"])
    response = leads_only.get(f"/api/v1/deals/{deal.pk}/health")
    assert response.status_code == 403
    assert response["Content-Type"].startswith("application/problem+json")
    assert "deals:read" in response.json()["detail"]
    assert leads_only.get(f"/api/v1/deals/{deal.pk}/next-actions").status_code == 403
    deals_only = _client(alpha, make_key, ["deals:read"])
    assert deals_only.get("/api/v1/leads/1/next-actions").status_code == 403
    anonymous = ApiClient(host=alpha.host, secret=None)
    assert anonymous.get(f"/api/v1/deals/{deal.pk}/health").status_code in (401, 403)


def test_unknown_ids_are_problem_404s(alpha, in_alpha, make_key):  # noqa: F811
    client = _client(alpha, make_key)
    for path in ("/api/v1/deals/987654/health", "/api/v1/deals/987654/next-actions",
                 "/api/v1/leads/987654/next-actions"):  # fmt: skip
        response = client.get(path)
        assert response.status_code == 404, path
        assert response["Content-Type"].startswith("application/problem+json")
    assert client.post("/api/v1/deals/1/health", {}).status_code in (404, 405)


def test_other_workspaces_ids_are_404(alpha, beta, deal, make_key):  # noqa: F811
    beta_client = _client(beta, make_key)
    assert beta_client.get(f"/api/v1/deals/{deal.pk}/health").status_code == 404
    with schema_context(beta.schema):
        assert not DealScore.objects.exists()
        beta_deal = make_deal(name="beta only")
    # beta's own deal of the same kind works there, and alpha cannot see it
    assert beta_client.get(f"/api/v1/deals/{beta_deal.pk}/health").status_code == 200
    if beta_deal.pk != deal.pk:
        assert _client(alpha, make_key).get(
            f"/api/v1/deals/{beta_deal.pk}/health").status_code == 404  # fmt: skip
