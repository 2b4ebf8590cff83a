from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crm.activities.models import Activity
from crm.customfields.services import custom_field_define
from intelligence.features import lead_feature_spec, lead_features

from .conftest import make_leads


def _activity(lead, kind, direction, days_ago):
    Activity.objects.create(lead=lead, kind=kind, direction=direction,
                            occurred_at=timezone.now() - timedelta(days=days_ago))  # fmt: skip


def test_engagement_counts_and_timing(in_alpha):
    lead = make_leads(1, source="referral")[0]
    _activity(lead, "sms", "inbound", 1)
    _activity(lead, "sms", "inbound", 3)
    _activity(lead, "sms", "outbound", 2)
    _activity(lead, "call", "outbound", 10)
    _activity(lead, "email", "outbound", 40)
    _, rows = lead_features(lead_ids=[lead.pk])
    row = rows[lead.pk]
    assert (row["inbound_messages"], row["outbound_messages"]) == (2, 1)
    assert (row["calls"], row["emails"]) == (1, 1)
    assert (row["inbound_7d"], row["activities_7d"], row["activities_30d"]) == (2, 3, 4)
    assert 0.9 < row["days_since_last_activity"] < 1.1
    assert row["source"] == "referral" and row["lifecycle_stage"] == "prospect"


def test_custom_fields_used_by_type(in_alpha):
    custom_field_define(entity="lead", key="budget", label="Budget", field_type="number")
    custom_field_define(entity="lead", key="plan", label="Plan", field_type="choice",
                        choices=["basic", "pro"])  # fmt: skip
    custom_field_define(entity="lead", key="vip", label="VIP", field_type="boolean")
    custom_field_define(entity="lead", key="notes", label="Notes", field_type="text")
    custom_field_define(entity="lead", key="duration", label="Call length", field_type="number")
    spec = lead_feature_spec()
    assert "cf_budget" in spec.numeric
    assert {"cf_plan", "cf_vip"} <= set(spec.categorical)
    assert "cf_notes" not in spec.columns and "cf_duration" not in spec.columns
    lead = make_leads(1, custom={"budget": "12.5", "plan": "pro", "vip": True, "notes": "x"})[0]
    _, rows = lead_features(lead_ids=[lead.pk], spec=spec)
    assert rows[lead.pk]["cf_budget"] == 12.5
    assert (rows[lead.pk]["cf_plan"], rows[lead.pk]["cf_vip"]) == ("pro", "yes")


def test_query_count_does_not_grow_with_leads(in_alpha):
    def count(n: int) -> int:
        leads = make_leads(n)
        for lead in leads:
            _activity(lead, "sms", "inbound", 1)
        with CaptureQueriesContext(connection) as ctx:
            lead_features(lead_ids=[lead.pk for lead in leads])
        return len(ctx.captured_queries)

    assert count(5) == count(50)
