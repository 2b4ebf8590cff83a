"""Each health flag, triggered and not, with its recommendation; health 0-100."""

from datetime import timedelta

from django.utils import timezone

from crm.audit.models import AuditEvent
from crm.deals.models import DealStageChange
from intelligence.deals.health import health_score
from intelligence.deals.services import deal_score_compute, intelligence_settings

from .conftest import log_activity, make_deal, stage


def _flags(deal) -> dict[str, dict]:
    (score,) = deal_score_compute(deal_ids=[deal.pk])
    return {flag["code"]: flag for flag in score.flags}


def test_healthy_deal_has_no_flags_and_full_health(in_alpha):
    deal = make_deal(contacts=2, age_days=5)
    log_activity(deal, days_ago=1)
    (score,) = deal_score_compute(deal_ids=[deal.pk])
    assert score.flags == [] and score.health == 100


def test_no_activity_flag_follows_the_workspace_setting(in_alpha):
    quiet = make_deal(name="quiet", age_days=40)
    log_activity(quiet, days_ago=20)
    busy = make_deal(name="busy", age_days=40)
    log_activity(busy, days_ago=3)
    never = make_deal(name="never", age_days=30)
    flag = _flags(quiet)["no_activity"]
    assert flag["label"] == "No activity in 20 days"
    assert "Call or email" in flag["recommendation"] and flag["penalty"] > 0
    assert "no_activity" not in _flags(busy)
    assert _flags(never)["no_activity"]["label"].startswith("No activity since the deal was opened")
    settings = intelligence_settings()
    settings.deal_inactive_days = 30
    settings.save()
    assert "no_activity" not in _flags(quiet)


def test_single_stakeholder_flag(in_alpha):
    one = make_deal(name="one", contacts=1)
    none = make_deal(name="none", contacts=0)
    two = make_deal(name="two", contacts=2)
    assert _flags(one)["single_stakeholder"]["label"] == "Only one contact on the deal"
    assert _flags(none)["single_stakeholder"]["label"] == "No contact on the deal"
    assert "decision maker" in _flags(one)["single_stakeholder"]["recommendation"]
    assert "single_stakeholder" not in _flags(two)


def _finished_stays(n: int, days: float) -> None:
    """n deals that went Qualified → Proposal after `days` in Qualified."""
    for i in range(n):
        deal = make_deal(name=f"past {i}", stage_name="Proposal", age_days=60, in_stage_days=10)
        changes = DealStageChange.objects.filter(deal=deal)
        changes.delete()
        now = timezone.now()
        for before, after, ago in ((None, "Qualified", 10 + days), ("Qualified", "Proposal", 10)):
            row = DealStageChange.objects.create(
                deal=deal, from_stage=stage(before) if before else None, to_stage=stage(after)
            )
            DealStageChange.objects.filter(pk=row.pk).update(changed_at=now - timedelta(days=ago))


def test_stuck_in_stage_against_the_workspace_median(in_alpha):
    _finished_stays(5, days=8)
    stuck = make_deal(name="stuck", stage_name="Qualified", age_days=30, in_stage_days=20)
    moving = make_deal(name="moving", stage_name="Qualified", age_days=30, in_stage_days=5)
    flag = _flags(stuck)["stuck_in_stage"]
    assert flag["label"] == "20 days in Qualified (deals usually move on after 8)"
    assert "exit criteria" in flag["recommendation"]
    assert "stuck_in_stage" not in _flags(moving)


def test_stuck_needs_enough_history(in_alpha):
    _finished_stays(4, days=8)  # below MIN_STAGE_STAYS: no norm, no flag
    stuck = make_deal(name="stuck", stage_name="Qualified", age_days=30, in_stage_days=20)
    assert "stuck_in_stage" not in _flags(stuck)


def test_close_date_slipped_past_or_pushed_back(in_alpha):
    past = make_deal(name="past", close_in_days=-12)
    assert _flags(past)["close_date_slipped"]["label"] == "Expected close date passed 12 days ago"
    pushed = make_deal(name="pushed", close_in_days=20)
    AuditEvent.objects.create(entity_type="deal", entity_id=pushed.pk, action="update",
                              field="expected_close_date", old_value="2026-01-01",
                              new_value="2026-03-01")  # fmt: skip
    assert _flags(pushed)["close_date_slipped"]["label"] == "Close date pushed back once"
    pulled = make_deal(name="pulled", close_in_days=20)
    AuditEvent.objects.create(entity_type="deal", entity_id=pulled.pk, action="update",
                              field="expected_close_date", old_value="2026-03-01",
                              new_value="2026-01-01")  # fmt: skip
    assert "close_date_slipped" not in _flags(pulled)
    assert "close_date_slipped" not in _flags(make_deal(name="none", close_in_days=None))


def test_amount_outlier_against_median_won_amount(in_alpha):
    for i in range(5):
        make_deal(name=f"won {i}", stage_name="Won", amount=1000, closed_days_ago=5)
    huge = make_deal(name="huge", amount=5000)
    normal = make_deal(name="normal", amount=2500)
    flag = _flags(huge)["amount_outlier"]
    assert flag["label"] == "Amount is 5.0x the median won deal (1,000)"
    assert "amount_outlier" not in _flags(normal)
    settings = intelligence_settings()
    settings.deal_amount_outlier_ratio = 6
    settings.save()
    assert "amount_outlier" not in _flags(huge)


def test_amount_outlier_needs_won_history(in_alpha):
    make_deal(name="won", stage_name="Won", amount=10, closed_days_ago=5)
    assert "amount_outlier" not in _flags(make_deal(name="huge", amount=100000))


def test_health_falls_with_each_flag(in_alpha):
    deal = make_deal(contacts=1, age_days=60, close_in_days=-3)
    (score,) = deal_score_compute(deal_ids=[deal.pk])
    codes = {f["code"] for f in score.flags}
    assert codes == {"no_activity", "single_stakeholder", "close_date_slipped"}
    assert score.health == 100 - 30 - 15 - 20
    assert health_score([]) == 100


def test_closed_deals_have_no_flags(in_alpha):
    won = make_deal(name="won", stage_name="Won", contacts=1, closed_days_ago=40, age_days=90)
    lost = make_deal(name="lost", stage_name="Lost", contacts=1, closed_days_ago=40, age_days=90)
    scores = {s.deal_id: s for s in deal_score_compute(deal_ids=[won.pk, lost.pk])}
    assert scores[won.pk].flags == [] and scores[won.pk].win_probability == 1.0
    assert scores[lost.pk].win_probability == 0.0 and scores[lost.pk].health == 0
