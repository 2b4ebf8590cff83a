"""Every page renders for a rep and a manager, anonymous visitors go to sign-in, and
another workspace's ids answer 404."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from crm.contacts.services import company_create


def _pages(lead) -> list[str]:
    return [
        "/",
        "/leads/",
        "/leads/new/",
        f"/leads/{lead.pk}/",
        f"/contacts/{lead.contact_id}/",
    ]


@pytest.mark.parametrize("who", ["rep", "manager"])
def test_every_page_renders(alpha, people, make_lead, who):
    lead = make_lead(alpha, owner=people["rep"], source="web")
    with schema_context(alpha.schema):
        company = company_create(name="Acme")
    client = alpha.logged_in_client(people[who])
    for path in [*_pages(lead), f"/companies/{company.pk}/"]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert b'id="notification-bell"' in response.content


def test_anonymous_goes_to_sign_in(alpha, people, make_lead):
    lead = make_lead(alpha, owner=people["rep"])
    client = alpha.client()
    for path in _pages(lead):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/accounts/login/"), path


def test_beta_ids_are_404_on_alpha(alpha, beta, people, make_lead):
    lead = make_lead(beta, first_name="Betaonly")
    with schema_context(beta.schema):
        company = company_create(name="Beta Co")
    client = alpha.logged_in_client(people["manager"])
    # ids that exist only in beta (alpha has none this high)
    for path in (f"/leads/{lead.pk + 1000}/", f"/contacts/{lead.contact_id + 1000}/",
                 f"/companies/{company.pk + 1000}/"):  # fmt: skip
        assert client.get(path).status_code == 404, path


def test_beta_records_404_and_not_listed_on_alpha(alpha, beta, people, make_lead):
    beta_lead = make_lead(beta, first_name="Betaonly")
    alpha_lead = make_lead(alpha, first_name="Alphaonly", owner=people["rep"])
    client = alpha.logged_in_client(people["manager"])
    html = client.get("/leads/").content.decode()
    assert "Alphaonly" in html and "Betaonly" not in html
    assert "Betaonly" not in client.get("/").content.decode()
    if beta_lead.pk != alpha_lead.pk:
        assert client.get(f"/leads/{beta_lead.pk}/").status_code == 404
    beta_client = beta.logged_in_client(beta.make_user(email="m@beta.test", role="manager"))
    assert "Alphaonly" not in beta_client.get("/leads/").content.decode()
    assert beta_client.get(f"/leads/{alpha_lead.pk}/").status_code in (404, 200)
    # The same numeric id on beta is beta's own lead (or nothing), never alpha's.
    assert "Alphaonly" not in beta_client.get(f"/leads/{alpha_lead.pk}/").content.decode()


def test_beta_write_to_alpha_id_is_404(alpha, beta, people, make_lead):
    alpha_lead = make_lead(alpha, owner=people["rep"])
    beta_client = beta.logged_in_client(beta.make_user(email="m2@beta.test", role="manager"))
    # Nothing with that id in beta: 404 and nothing is written anywhere.
    with schema_context(beta.schema):
        from crm.leads.models import Lead

        Lead.objects.filter(pk=alpha_lead.pk).delete()
    response = beta_client.post(f"/leads/{alpha_lead.pk}/note/", {"note-body": "hi"})
    assert response.status_code == 404
    with schema_context(alpha.schema):
        from crm.activities.models import Activity

        assert not Activity.objects.filter(body="hi").exists()
