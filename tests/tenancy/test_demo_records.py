"""The demo workspace starts with records (through the app's services), once."""

from __future__ import annotations

from django_tenants.utils import schema_context

from crm.activities.models import Activity
from crm.deals.models import Deal
from crm.leads.models import Lead
from crm.team.models import Role
from crm.tenancy.demo_records import DEALS, PEOPLE, demo_records_seed


def _team(workspace):
    manager = workspace.make_user(email="m@demo.test", role=Role.MANAGER)
    rep = workspace.make_user(email="r@demo.test", role=Role.REP)
    return manager, rep


def test_seeds_leads_deals_and_timeline_once_and_only_in_its_workspace(alpha, beta):
    with schema_context(alpha.schema):
        manager, rep = _team(alpha)
        assert demo_records_seed(owners=[rep], manager=manager) is True
        assert Lead.objects.count() == len(PEOPLE)
        assert Deal.objects.count() == len(DEALS)
        assert Lead.objects.filter(owner=rep).count() == len(PEOPLE)
        assert Activity.objects.filter(direction="inbound", lead__isnull=False).exists()
        assert demo_records_seed(owners=[rep], manager=manager) is False  # idempotent
        assert Lead.objects.count() == len(PEOPLE)
    with schema_context(beta.schema):
        assert not Lead.objects.exists() and not Deal.objects.exists()


def test_no_reps_seeds_nothing(alpha):
    with schema_context(alpha.schema):
        manager, _ = _team(alpha)
        assert demo_records_seed(owners=[], manager=manager) is False
        assert not Lead.objects.exists()
