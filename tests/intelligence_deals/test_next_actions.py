"""Next best action: pure ranking rules, and the services that feed them from the ORM."""

from datetime import timedelta

from django.utils import timezone

from crm.contacts.models import Contact, DoNotContact
from crm.contacts.services import consent_record
from crm.leads.models import Lead
from intelligence.deals.next_actions import (
    Reach,
    SalesContext,
    rank_deal_actions,
    rank_lead_actions,
)
from intelligence.deals.services import deal_next_actions, lead_next_actions

from .conftest import log_activity, make_deal

NOW = timezone.now()
ALL = Reach(phone=True, sms=True, call=True, email=True)


def ctx(**kw) -> SalesContext:
    base = dict(now=NOW, closed=False, created_at=NOW - timedelta(days=10),
                last_activity_at=NOW - timedelta(days=1), last_inbound_at=None,
                last_outbound_at=NOW - timedelta(days=1), reach=ALL)  # fmt: skip
    return SalesContext(**{**base, **kw})


def codes(actions) -> list[str]:
    return [a.code for a in actions]


def test_hot_lead_that_just_replied_gets_call_now_first():
    actions = rank_lead_actions(ctx(score=85, temperature="hot",
                                    last_inbound_at=NOW - timedelta(minutes=12),
                                    last_activity_at=NOW - timedelta(minutes=12)))  # fmt: skip
    assert codes(actions)[:2] == ["call_now", "text"]
    assert (
        actions[0].reason
        == "Hot lead (score 85) replied 12 minutes ago: call while they are engaged."
    )
    assert len(actions) <= 5 and len(set(codes(actions))) == len(actions)


def test_an_answered_or_old_reply_is_not_urgent():
    answered = ctx(score=85, temperature="hot", last_inbound_at=NOW - timedelta(minutes=30),
                   last_outbound_at=NOW - timedelta(minutes=10))  # fmt: skip
    assert "replied" not in rank_lead_actions(answered)[0].reason


def test_never_suggest_a_channel_without_consent():
    no_sms = Reach(phone=True, sms=False, call=True, email=True)
    actions = rank_lead_actions(ctx(score=85, temperature="hot", reach=no_sms,
                                    last_inbound_at=NOW - timedelta(minutes=5)))  # fmt: skip
    assert "text" not in codes(actions) and codes(actions)[0] == "call_now"
    email_only = Reach(phone=False, sms=False, call=False, email=True)
    actions = rank_lead_actions(ctx(score=85, temperature="hot", reach=email_only,
                                    last_inbound_at=NOW - timedelta(minutes=5)))  # fmt: skip
    assert not {"text", "call_now"} & set(codes(actions)) and codes(actions)[0] == "email"
    nothing = Reach(phone=False, sms=False, call=False, email=False)
    assert set(codes(rank_lead_actions(ctx(score=85, temperature="hot", reach=nothing)))) <= {
        "escalate", "close_lost"}  # fmt: skip


def test_long_silence_reengages_and_very_cold_closes_as_lost():
    silent = ctx(score=35, temperature="cold", last_activity_at=NOW - timedelta(days=45))
    assert codes(rank_lead_actions(silent))[0] == "re_engage"
    assert "No activity in 45 days" in rank_lead_actions(silent)[0].reason
    dead = ctx(score=8, temperature="cold", last_activity_at=NOW - timedelta(days=90))
    assert codes(rank_lead_actions(dead))[0] == "close_lost"
    assert "close_lost" not in codes(rank_lead_actions(silent))


def test_new_uncontacted_lead_and_closed_lead():
    fresh = ctx(created_at=NOW - timedelta(minutes=3), last_outbound_at=None,
                last_activity_at=None)  # fmt: skip
    assert codes(rank_lead_actions(fresh))[0] == "call_now"
    assert rank_lead_actions(ctx(closed=True, score=90, temperature="hot")) == []


def test_warm_lead_gets_email_and_case_study():
    assert codes(rank_lead_actions(ctx(score=55, temperature="warm")))[:2] == [
        "email", "send_case_study"]  # fmt: skip


STALE = {"code": "no_activity", "label": "No activity in 30 days"}


def test_stale_high_value_deal_is_escalated():
    actions = rank_deal_actions(ctx(win_probability=0.4, flags=[STALE], amount=90000,
                                    median_won_amount=10000,
                                    last_activity_at=NOW - timedelta(days=30)))  # fmt: skip
    assert codes(actions)[:2] == ["escalate", "re_engage"]
    assert "9.0x the median won" in actions[0].reason
    small = rank_deal_actions(ctx(win_probability=0.4, flags=[STALE], amount=9000,
                                  median_won_amount=10000))  # fmt: skip
    assert codes(small)[0] == "re_engage" and "escalate" not in codes(small)


def test_hopeless_silent_deal_is_closed_as_lost():
    actions = rank_deal_actions(ctx(win_probability=0.05, flags=[STALE],
                                    last_activity_at=NOW - timedelta(days=40)))  # fmt: skip
    assert codes(actions)[0] == "close_lost" and "5 %" in actions[0].reason
    alive = rank_deal_actions(ctx(win_probability=0.05, last_activity_at=NOW))
    assert "close_lost" not in codes(alive)


def test_deal_flags_drive_actions_and_strong_deals_close():
    single = {"code": "single_stakeholder", "label": "Only one contact on the deal"}
    actions = rank_deal_actions(ctx(win_probability=0.5, flags=[single]))
    assert codes(actions)[0] == "book_meeting" and actions[0].reason.startswith("Only one contact")
    strong = rank_deal_actions(ctx(win_probability=0.8))
    assert codes(strong)[:2] == ["book_meeting", "call_now"]
    undecided = rank_deal_actions(ctx(win_probability=0.3))
    assert codes(undecided)[0] == "send_case_study"
    assert rank_deal_actions(ctx(closed=True, win_probability=0.9)) == []


def test_lead_service_reads_score_timeline_and_consent(in_alpha):
    contact = Contact.objects.create(first_name="Ann", phone="+15550001111", email="a@x.test")
    lead = Lead.objects.create(contact=contact, score=88, temperature="hot")
    log_activity(None, days_ago=0.01, kind="sms", direction="inbound", contact=contact)
    actions = lead_next_actions(lead_id=lead.pk)
    # phone present, but neither SMS nor call consent recorded: no text, no call
    assert not {"text", "call_now"} & set(codes(actions))
    consent_record(
        contact=contact,
        channel="sms",
        granted=True,
        source="test",
        wording="Yes to calls and texts",
    )
    consent_record(
        contact=contact,
        channel="call",
        granted=True,
        source="test",
        wording="Yes to calls and texts",
    )
    actions = lead_next_actions(lead_id=lead.pk)
    assert codes(actions)[:2] == ["call_now", "text"]
    assert "Hot lead (score 88) replied" in actions[0].reason
    DoNotContact.objects.create(kind="phone", value="+15550001111")
    assert not {"text", "call_now"} & set(codes(lead_next_actions(lead_id=lead.pk)))


def test_deal_service_uses_flags_and_amount(in_alpha):
    for i in range(5):
        make_deal(name=f"won {i}", stage_name="Won", amount=1000, closed_days_ago=5)
    deal = make_deal(name="big", amount=50000, age_days=60, email="b@x.test")
    actions = deal_next_actions(deal_id=deal.pk)
    assert codes(actions)[0] == "escalate"
    assert "re_engage" in codes(actions)
