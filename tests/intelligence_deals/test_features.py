from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crm.activities.models import Activity
from crm.audit.models import AuditEvent
from crm.customfields.services import custom_field_define
from intelligence.deals.features import deal_feature_spec, deal_features

from .conftest import log_activity, make_closed_history, make_deal, stage


def test_closed_deal_is_described_as_of_its_close(in_alpha):
    deal = make_deal(stage_name="Won", age_days=40, closed_days_ago=10, contacts=3)
    # history: New (40 days ago) → Proposal (25 days ago) → Won (10 days ago)
    deal.stage_changes.all().delete()
    now = timezone.now()
    for before, after, days in (
        (None, "New", 40),
        ("New", "Proposal", 25),
        ("Proposal", "Won", 10),
    ):
        row = deal.stage_changes.create(
            from_stage=stage(before) if before else None, to_stage=stage(after)
        )
        type(row).objects.filter(pk=row.pk).update(changed_at=now - timedelta(days=days))
    log_activity(deal, days_ago=12)  # before the close
    for days in (1, 2, 3):  # after the close: the answer, not a feature
        log_activity(deal, days_ago=days)
    _, rows = deal_features(deal_ids=[deal.pk])
    row = rows[deal.pk]
    assert row["_closed"] == "won"
    assert row["_stage_name"] == "Proposal"  # the last open stage, not "Won"
    assert row["stage_probability"] == 50.0
    assert row["activities_7d"] == 1 and row["activities_30d"] == 1
    assert round(row["days_since_last_activity"]) == 2
    assert round(row["age_days"]) == 30
    assert round(row["days_in_stage"]) == 15
    assert row["stakeholders"] == 3


def test_open_deal_engagement_slips_and_custom_fields(in_alpha):
    custom_field_define(entity="deal", key="seats", label="Seats", field_type="number")
    custom_field_define(entity="deal", key="tier", label="Tier", field_type="choice",
                        choices=["gold", "silver"])  # fmt: skip
    custom_field_define(entity="deal", key="memo", label="Memo", field_type="text")
    deal = make_deal(custom={"seats": 40, "tier": "gold", "memo": "x"}, amount=9999)
    log_activity(deal, days_ago=2, direction="inbound", kind="email")
    log_activity(deal, days_ago=20)
    log_activity(deal, days_ago=45, kind="meeting")
    log_activity(deal, days_ago=1, kind="system")  # a stage move's timeline row: not contact
    contact = deal.primary_contact
    log_activity(deal, days_ago=3, contact=contact)  # with the deal's person, not linked
    for old, new in (("2026-01-01", "2026-02-01"), ("2026-02-01", "2026-01-15")):
        AuditEvent.objects.create(
            entity_type="deal", entity_id=deal.pk, action="update",
            field="expected_close_date", old_value=old, new_value=new,
        )  # fmt: skip
    spec, rows = deal_features(deal_ids=[deal.pk])
    row = rows[deal.pk]
    assert "cf_seats" in spec.numeric and "cf_tier" in spec.categorical
    assert "cf_memo" not in spec.columns
    assert row["cf_seats"] == 40.0 and row["cf_tier"] == "gold"
    assert row["activities_7d"] == 2 and row["activities_30d"] == 3 and row["inbound_30d"] == 1
    assert row["meetings"] == 1
    assert round(row["days_since_last_activity"]) == 2
    assert row["close_date_slips"] == 1  # only the move to a later date
    assert row["pipeline"] == "Sales" and row["_closed"] is None
    assert row["amount_log"] > 9


def test_query_count_does_not_grow_with_deals(in_alpha):
    few = [make_deal(name=f"F{i}").pk for i in range(3)]
    many = few + [make_deal(name=f"M{i}").pk for i in range(30)]
    spec = deal_feature_spec()
    with CaptureQueriesContext(connection) as small:
        deal_features(deal_ids=few, spec=spec)
    with CaptureQueriesContext(connection) as large:
        deal_features(deal_ids=many, spec=spec)
    real = lambda ctx: [q for q in ctx.captured_queries if not q["sql"].startswith("SET ")]  # noqa: E731
    assert len(real(small)) == len(real(large)) <= 7  # stages + 5 per batch (+ iterator)


def test_history_features_never_count_after_the_close(in_alpha):
    deals = make_closed_history(40)
    _, rows = deal_features(deal_ids=[d.pk for d in deals])
    won = [d for d in deals if rows[d.pk]["_closed"] == "won"]
    assert won
    for deal in deals:
        deal.refresh_from_db()
        window = Activity.objects.filter(
            deal=deal, occurred_at__lte=deal.closed_at,
            occurred_at__gte=deal.closed_at - timedelta(days=30),
        )  # fmt: skip
        assert rows[deal.pk]["activities_30d"] == window.count()
        assert rows[deal.pk]["_stage_name"] in ("Qualified", "Proposal", "Negotiation")
    # each won deal had 6 calls right after its close; none of them is counted
    assert all(Activity.objects.filter(deal=d, occurred_at__gt=d.closed_at).count() == 6
               for d in won)  # fmt: skip
