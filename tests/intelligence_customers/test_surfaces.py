"""The API (addressing, 404s, scopes, isolation), event-driven rescoring, the rep UI panel
(escaping) and the admin's "customers most at risk"."""

from datetime import timedelta

from django.utils import timezone
from django_tenants.utils import schema_context

from crm.activities.services import activity_log
from crm.contacts.models import Contact
from crm.contacts.services import company_update
from crm.deals.services import deal_create, deal_move_stage
from crm.team.models import Role
from intelligence.customers.models import CustomerScore

from .conftest import add_activities, make_company, stages

DAY = timedelta(days=1)
ALL_READ = ["companies:read", "contacts:read"]


def test_api_returns_churn_and_clv_for_a_company(alpha, key_client):
    with schema_context(alpha.schema):
        company = make_company(became=timezone.now() - 200 * DAY)
        add_activities(company, [timezone.now() - 70 * DAY])
    response = key_client(alpha, ALL_READ).get(f"/api/v1/customers/{company.pk}/churn")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["type"] == "company" and body["id"] == company.pk
    assert body["horizon_days"] == 90 and 0 <= body["churn_score"] <= 100
    assert body["model_label"] == "rules" and body["model_version"] is None
    assert {"label": "No activity for 70 days", "weight": 0.27} in body["factors"]
    components = body["clv_components"]
    assert {"monthly_revenue_rate", "survival_weighted_months", "churn_probability_90d"} <= set(
        components
    )
    assert body["clv_label"] == "formula" and body["clv_3y"] == "0.00"  # no revenue anywhere


def test_api_contact_by_type_and_scope_per_type(alpha, key_client):
    with schema_context(alpha.schema):
        contact = Contact.objects.create(first_name="Kim", lifecycle_stage="customer",
                                         became_customer_at=timezone.now() - 40 * DAY)  # fmt: skip
    contacts_only = key_client(alpha, ["contacts:read"])
    response = contacts_only.get(f"/api/v1/customers/{contact.pk}/churn?type=contact")
    assert response.status_code == 200 and response.json()["type"] == "contact"
    refused = contacts_only.get(f"/api/v1/customers/{contact.pk}/churn")
    assert refused.status_code == 403 and "companies:read" in refused.json()["detail"]
    bad = key_client(alpha, ALL_READ).get(f"/api/v1/customers/{contact.pk}/churn?type=lead")
    assert bad.status_code == 400 and "type" in bad.json()["errors"]


def test_api_404_for_non_customers_and_other_workspaces(alpha, beta, key_client):
    with schema_context(alpha.schema):
        prospect = make_company(stage="prospect")
        gone = make_company(stage="churned", became=timezone.now() - 99 * DAY,
                            churned=timezone.now())  # fmt: skip
    with schema_context(beta.schema):
        theirs = make_company(id=10**9, became=timezone.now() - 99 * DAY)
    client = key_client(alpha, ALL_READ)
    response = client.get(f"/api/v1/customers/{prospect.pk}/churn")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == f"Company {prospect.pk} is a prospect, not a customer."
    churned = client.get(f"/api/v1/customers/{gone.pk}/churn").json()
    assert churned["status"] == 404 and "has churned" in churned["detail"]
    other = client.get(f"/api/v1/customers/{theirs.pk}/churn")
    assert other.status_code == 404
    assert other.json()["detail"] == f"Company {theirs.pk} does not exist."
    assert key_client(beta, ALL_READ).get(f"/api/v1/customers/{theirs.pk}/churn").status_code == 200
    with schema_context(alpha.schema):
        assert not CustomerScore.objects.exists()


def test_events_rescore_customers_after_commit(in_alpha, eager_celery,
                                               django_capture_on_commit_callbacks):  # fmt: skip
    company = make_company(stage="prospect")
    count = lambda: CustomerScore.objects.filter(company=company).count()  # noqa: E731
    with django_capture_on_commit_callbacks(execute=True):
        activity_log(kind="call", company=company)
    assert count() == 0  # a prospect's activity queues nothing
    with django_capture_on_commit_callbacks(execute=True):
        company_update(company=company, changes={"lifecycle_stage": "customer"})
    assert count() == 1  # becoming a customer scores it
    with django_capture_on_commit_callbacks(execute=True):
        activity_log(kind="note", body="Renewal call went well", company=company)
    assert count() == 2
    _, won, _ = stages()
    with django_capture_on_commit_callbacks(execute=True):
        deal = deal_create(name="Renewal", company=company, amount=1200)
    with django_capture_on_commit_callbacks(execute=True):
        deal_move_stage(deal=deal, stage=won)
    latest = CustomerScore.objects.filter(company=company).order_by("-scored_at", "-id").first()
    assert count() >= 4 and latest.clv_components["revenue_to_date"] == 1200.0


def test_rep_panel_renders_escaped_and_only_for_customers(alpha):
    rep = alpha.make_user(email="rep-churn@alpha.test", role=Role.REP)
    with schema_context(alpha.schema):
        company = make_company(name="<b>Acme</b>", became=timezone.now() - 30 * DAY)
        CustomerScore.objects.create(
            company=company, churn_probability=0.61, churn_score=61, band="high",
            factors=[{"label": "<script>alert(1)</script>", "weight": 0.3}],
            model_label="rules", clv_3y=1234.5, clv_label="formula", scored_at=timezone.now(),
            clv_components={"monthly_revenue_rate": 50.0, "survival_weighted_months": 24.69,
                            "horizon_months": 36, "own_monthly_rate": None,
                            "workspace_monthly_rate": 50.0},
        )  # fmt: skip
        prospect = make_company(stage="prospect")
    client = alpha.logged_in_client(rep)
    page = client.get(f"/companies/{company.pk}/").content.decode()
    assert "Churn risk and lifetime value" in page and '<strong class="risk risk-high">61' in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    assert "+0.30" in page and "24.7 expected months" in page
    other = client.get(f"/companies/{prospect.pk}/").content.decode()
    assert "Churn risk and lifetime value" not in other


def test_contact_page_panel_scores_on_first_view(alpha):
    rep = alpha.make_user(email="rep-churn2@alpha.test", role=Role.REP)
    with schema_context(alpha.schema):
        contact = Contact.objects.create(first_name="Lee", lifecycle_stage="customer",
                                         became_customer_at=timezone.now() - 400 * DAY)  # fmt: skip
    page = alpha.logged_in_client(rep).get(f"/contacts/{contact.pk}/").content.decode()
    assert "Churn risk and lifetime value" in page and "rules" in page
    with schema_context(alpha.schema):
        assert CustomerScore.objects.filter(contact=contact).count() == 1


def test_admin_lists_customers_most_at_risk(alpha, beta):
    manager = alpha.make_user(email="mgr-churn@alpha.test", role=Role.MANAGER)
    with schema_context(alpha.schema):
        risky = make_company(name="Risky Co", became=timezone.now() - 300 * DAY)
        add_activities(risky, [timezone.now() - 120 * DAY])
        calm = make_company(name="Calm Co", became=timezone.now() - 30 * DAY)
        add_activities(calm, [timezone.now() - DAY], direction="inbound")
        from intelligence.customers.services import customer_rescore_all

        customer_rescore_all()
        customer_rescore_all()  # history: only the latest row per customer is listed
    with schema_context(beta.schema):
        make_company(name="Beta Secret", became=timezone.now() - 300 * DAY)
    client = alpha.logged_in_client(manager)
    page = client.get("/admin/intelligence_customers/customeratrisk/").content.decode()
    assert page.index("Risky Co") < page.index("Calm Co")
    assert page.count("Risky Co") == 1 and "Beta Secret" not in page
    low = client.get("/admin/intelligence_customers/customeratrisk/?band__exact=low").content
    assert b"Calm Co" in low and b"Risky Co" not in low
