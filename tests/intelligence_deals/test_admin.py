"""The managers' read-only score history: per deal, filter by flag, never editable."""

from django_tenants.utils import schema_context

from crm.team.models import Role
from intelligence.deals.services import deal_score_compute

from .conftest import make_deal

URL = "/admin/intelligence_deals/dealscore/"


def test_history_filters_by_flag_and_is_read_only(alpha, in_alpha):
    flagged = make_deal(name="Lonely <deal>", contacts=1)
    healthy = make_deal(name="Busy deal", contacts=3)
    deal_score_compute(deal_ids=[flagged.pk, healthy.pk])
    (score,) = deal_score_compute(deal_ids=[flagged.pk])
    client = alpha.logged_in_client(alpha.make_user(email="adm-deals@alpha.test",
                                                    role=Role.MANAGER))  # fmt: skip
    with schema_context("public"):
        listing = client.get(URL, {"flag": "single_stakeholder"})
        assert listing.status_code == 200
        html = listing.content.decode()
        assert "Lonely &lt;deal&gt;" in html and "Busy deal" not in html
        assert "One stakeholder only" in html
        page = client.get(f"{URL}{score.pk}/change/")
        assert page.status_code == 200 and "Only one contact on the deal" in page.content.decode()
        assert client.get(f"{URL}add/").status_code == 403
        assert client.get(f"{URL}987654/change/").status_code == 404
