"""Deal and activity events rescore the deals they touch, after commit, in their workspace."""

from django_tenants.utils import schema_context

from crm.activities.services import activity_log
from crm.deals.services import deal_create, deal_move_stage, deal_update
from intelligence.deals.models import DealScore
from intelligence.deals.tasks import deal_workspace_nightly_sweep

from .conftest import make_deal, stage


def test_deal_events_rescore_after_commit(in_alpha, eager_celery,
                                          django_capture_on_commit_callbacks):  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        deal = deal_create(name="Evented", stage=stage("Qualified"))
    assert DealScore.objects.filter(deal=deal).count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        deal_move_stage(deal=deal, stage=stage("Proposal"))  # two events: one rescoring
    scores = DealScore.objects.filter(deal=deal).order_by("-scored_at", "-id")
    assert scores.count() == 2
    assert scores[0].factors[0]["label"].startswith("In stage Proposal")
    with django_capture_on_commit_callbacks(execute=True):
        deal_update(deal=deal, changes={"amount": 500})
        activity_log(kind="call", direction="outbound", deal=deal)
    assert DealScore.objects.filter(deal=deal).count() == 3  # one transaction, one rescoring


def test_contact_activity_rescores_that_contacts_open_deals(
    in_alpha, eager_celery, django_capture_on_commit_callbacks
):
    deal = make_deal(name="Via contact", email="c@x.test")
    with django_capture_on_commit_callbacks(execute=True):
        activity_log(kind="email", direction="inbound", contact=deal.primary_contact)
    assert DealScore.objects.filter(deal=deal).count() == 1


def test_rolled_back_write_rescores_nothing(in_alpha, eager_celery,
                                            django_capture_on_commit_callbacks):  # fmt: skip
    from django.db import transaction

    deal = make_deal(name="Rolled back")
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                deal_update(deal=deal, changes={"amount": 1})
                raise RuntimeError
        except RuntimeError:
            pass
    assert not DealScore.objects.filter(deal=deal).exists()


def test_nightly_sweep_scores_stale_open_deals_in_the_messages_workspace(alpha, beta):
    from crm.tenancy.celery import SCHEMA_HEADER

    with schema_context(alpha.schema):
        open_deal = make_deal(name="open")
        make_deal(name="won", stage_name="Won", closed_days_ago=2)
    deal_workspace_nightly_sweep.apply(headers={SCHEMA_HEADER: alpha.schema})
    with schema_context(alpha.schema):
        assert list(DealScore.objects.values_list("deal_id", flat=True)) == [open_deal.pk]
    with schema_context(beta.schema):
        assert not DealScore.objects.exists()
    # fresh scores are not redone
    deal_workspace_nightly_sweep.apply(headers={SCHEMA_HEADER: alpha.schema})
    with schema_context(alpha.schema):
        assert DealScore.objects.count() == 1
