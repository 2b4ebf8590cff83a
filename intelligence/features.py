"""Lead features from the ORM, a fixed number of queries per batch of leads.

Every feature is a plain value in a dict per lead: numbers (float or None) and categories
(str or None). `FeatureSpec` names the columns and how a rep reads them, so the scorecard,
the model and the explanations all speak about the same things.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models.expressions import RawSQL
from django.utils import timezone

from crm.activities.models import Activity
from crm.customfields.models import Entity
from crm.leads.models import Lead, LeadStatus
from intelligence.featurekit import custom_field_columns, feature_category, feature_number

BATCH_SIZE = 2000
# Known only after the outcome (the bank-marketing call length is measured during the call
# that decides it), so a model would learn from the answer itself: never an input.
EXCLUDED_CUSTOM_KEYS = frozenset({"duration", "bank_duration"})
MESSAGE_KINDS = frozenset({Activity.Kind.SMS, Activity.Kind.MESSENGER, Activity.Kind.CHAT})
CLOSED = frozenset({LeadStatus.CONVERTED, LeadStatus.LOST, LeadStatus.DISQUALIFIED})

NUMERIC_LABELS: dict[str, str] = {
    "estimated_value": "Estimated value",
    "company_employees": "Company size (employees)",
    "inbound_messages": "Messages received from the lead",
    "outbound_messages": "Messages sent to the lead",
    "calls": "Calls",
    "emails": "Emails",
    "inbound_7d": "Replies in the last 7 days",
    "activities_7d": "Activities in the last 7 days",
    "activities_30d": "Activities in the last 30 days",
    "days_since_created": "Days since the lead came in",
    "days_since_last_activity": "Days since the last activity",
    "first_response_seconds": "First response time (seconds)",
}
CATEGORY_LABELS: dict[str, str] = {
    "source": "Source",
    "campaign": "Campaign",
    "interest": "Interested in",
    "lifecycle_stage": "Lifecycle stage",
    "company_industry": "Industry",
}


@dataclass(frozen=True)
class FeatureSpec:
    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def columns(self) -> tuple[str, ...]:
        return self.numeric + self.categorical


def lead_feature_spec() -> FeatureSpec:
    """The workspace's columns: the fixed ones plus its lead custom fields by type (numbers as
    numbers; choice and yes/no as categories; text and dates are not used)."""
    numeric, categorical, labels = custom_field_columns(
        entity=Entity.LEAD, exclude=EXCLUDED_CUSTOM_KEYS
    )
    return FeatureSpec(
        numeric=(*NUMERIC_LABELS, *numeric),
        categorical=(*CATEGORY_LABELS, *categorical),
        labels={**NUMERIC_LABELS, **CATEGORY_LABELS, **labels},
    )


def _as_of(status: str, status_changed_at: datetime | None, now: datetime) -> datetime:
    # A closed lead is described as it was when it closed: activity after the outcome and
    # the time since would otherwise leak the answer into training.
    if status in CLOSED and status_changed_at is not None:
        return status_changed_at
    return now


ENGAGEMENT_KEYS = ("inbound_messages", "outbound_messages", "calls", "emails", "inbound_7d",
                   "activities_7d", "activities_30d")  # fmt: skip
LEAD_COLUMNS = (
    "id", "source", "campaign", "interest", "estimated_value", "status", "status_changed_at",
    "first_response_seconds", "custom", "created_at", "contact__lifecycle_stage",
    "contact__company__industry", "contact__company__employee_count",
)  # fmt: skip


def _batch(ids: Sequence[int], spec: FeatureSpec, now: datetime) -> dict[int, dict]:
    # Plain tuples, not model instances: this runs for every lead of a bulk rescoring.
    # One array parameter instead of 2,000 placeholders (psycopg adapts those one by one).
    wanted = RawSQL("SELECT unnest(%s::bigint[])", [list(ids)])
    leads = list(Lead.objects.filter(pk__in=wanted).values_list(*LEAD_COLUMNS))
    as_of = {lead[0]: _as_of(lead[5], lead[6], now) for lead in leads}
    engagement: dict[int, dict[str, float]] = {}
    last_at: dict[int, datetime] = {}
    found = RawSQL("SELECT unnest(%s::bigint[])", [list(as_of)])
    rows = Activity.objects.filter(lead_id__in=found).values_list(
        "lead_id", "kind", "direction", "occurred_at"
    )
    week, month = timedelta(days=7), timedelta(days=30)
    for lead_id, kind, direction, occurred_at in rows.iterator(chunk_size=5000):
        cutoff = as_of[lead_id]
        if occurred_at > cutoff:
            continue
        counts = engagement.get(lead_id)
        if counts is None:
            counts = engagement[lead_id] = dict.fromkeys(ENGAGEMENT_KEYS, 0.0)
        age = cutoff - occurred_at
        inbound = direction == Activity.Direction.INBOUND
        if kind in MESSAGE_KINDS:
            counts["inbound_messages" if inbound else "outbound_messages"] += 1
        elif kind == Activity.Kind.CALL:
            counts["calls"] += 1
        elif kind == Activity.Kind.EMAIL:
            counts["emails"] += 1
        if age <= week:
            counts["activities_7d"] += 1
            counts["inbound_7d"] += inbound
        if age <= month:
            counts["activities_30d"] += 1
        if lead_id not in last_at or occurred_at > last_at[lead_id]:
            last_at[lead_id] = occurred_at

    custom_numeric = [(name, name[3:]) for name in spec.numeric if name.startswith("cf_")]
    custom_categorical = [(name, name[3:]) for name in spec.categorical if name.startswith("cf_")]
    none = dict.fromkeys(ENGAGEMENT_KEYS, 0.0)
    out: dict[int, dict] = {}
    for (pk, source, campaign, interest, value, _status, _changed, first_response, custom,
         created_at, lifecycle, industry, employees) in leads:  # fmt: skip
        cutoff = as_of[pk]
        last = last_at.get(pk)
        row: dict[str, object] = {
            "estimated_value": feature_number(value),
            "company_employees": feature_number(employees),
            **engagement.get(pk, none),
            "days_since_created": max(0.0, (cutoff - created_at).total_seconds() / 86400),
            "days_since_last_activity": (
                (cutoff - last).total_seconds() / 86400 if last is not None else None
            ),
            "first_response_seconds": feature_number(first_response),
            "source": feature_category(source),
            "campaign": feature_category(campaign),
            "interest": feature_category(interest),
            "lifecycle_stage": feature_category(lifecycle),
            "company_industry": feature_category(industry),
        }
        custom = custom or {}
        for name, key in custom_numeric:
            row[name] = feature_number(custom.get(key))
        for name, key in custom_categorical:
            row[name] = feature_category(custom.get(key))
        out[pk] = row
    return out


def lead_features(
    *, lead_ids: Iterable[int], spec: FeatureSpec | None = None, now: datetime | None = None
) -> tuple[FeatureSpec, dict[int, dict]]:
    """Features of the given leads, keyed by lead id (ids that do not exist are left out).
    Queries: 1 for the spec (unless given) + 2 per BATCH_SIZE leads."""
    spec = spec or lead_feature_spec()
    now = now or timezone.now()
    ids = list(lead_ids)
    features: dict[int, dict] = {}
    for start in range(0, len(ids), BATCH_SIZE):
        features.update(_batch(ids[start : start + BATCH_SIZE], spec, now))
    return spec, features
