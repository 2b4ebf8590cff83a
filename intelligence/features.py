"""Lead features from the database, a fixed number of queries per batch of leads.

Every feature is a plain value: numbers (float or None) and categories (str or None), by
column for many leads (`FeatureTable`, what scoring reads) or as a dict per lead.
`FeatureSpec` names the columns and how a rep reads them, so the scorecard, the model and
the explanations all speak about the same things.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from django.db import connection
from django.utils import timezone

from crm.activities.models import Activity
from crm.contacts.models import Company, Contact
from crm.customfields.models import Entity
from crm.leads.models import Lead, LeadStatus
from intelligence.featurekit import custom_field_columns, feature_number

BATCH_SIZE = 5000
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


ENGAGEMENT_KEYS = ("inbound_messages", "outbound_messages", "calls", "emails", "inbound_7d",
                   "activities_7d", "activities_30d")  # fmt: skip
# Columns of the feature query, in its SELECT order, after the lead id; custom fields follow.
FIXED_COLUMNS = (
    "source", "campaign", "interest", "lifecycle_stage", "company_industry", "estimated_value",
    "company_employees", "first_response_seconds", "days_since_created",
    "days_since_last_activity", *ENGAGEMENT_KEYS,
)  # fmt: skip


def _finite(sql: str) -> str:
    # float8 NaN/±Infinity (a numeric column can hold them) read as missing, like feature_number.
    return f"NULLIF(NULLIF(NULLIF(({sql})::float8, 'NaN'), 'Infinity'), '-Infinity')"


def _query(spec: FeatureSpec) -> tuple[str, list[str], list[str]]:
    """One statement per batch: the lead, its contact and company, and its activities counted
    by the database up to the lead's as-of time (a LATERAL aggregate on the (lead, occurred_at)
    index); custom fields extracted as text. Nothing per activity crosses the wire.

    A closed lead is described as it was when it closed (as_of = its status change): activity
    after the outcome and the time since would otherwise leak the answer into training."""
    numeric = [name[3:] for name in spec.numeric if name.startswith("cf_")]
    categorical = [name[3:] for name in spec.categorical if name.startswith("cf_")]
    custom = [
        *("l.custom ->> %s" for _ in numeric),
        *("CASE jsonb_typeof(l.custom -> %s) WHEN 'boolean' THEN CASE WHEN (l.custom -> %s)"
          "::boolean THEN 'yes' ELSE 'no' END ELSE NULLIF(l.custom ->> %s, '') END"
          for _ in categorical),
    ]  # fmt: skip
    message = ", ".join(f"'{kind}'" for kind in sorted(MESSAGE_KINDS))
    inbound = f"'{Activity.Direction.INBOUND}'"
    week, month = "interval '168 hours'", "interval '720 hours'"
    sql = f"""
        SELECT l.id, NULLIF(l.source, ''), NULLIF(l.campaign, ''), NULLIF(l.interest, ''),
               NULLIF(c.lifecycle_stage, ''), NULLIF(co.industry, ''),
               {_finite("l.estimated_value")}, co.employee_count::float8,
               l.first_response_seconds::float8,
               GREATEST(0, EXTRACT(EPOCH FROM (t.as_of - l.created_at)) / 86400)::float8,
               (EXTRACT(EPOCH FROM (t.as_of - e.last_at)) / 86400)::float8,
               e.inbound_messages, e.outbound_messages, e.calls, e.emails, e.inbound_7d,
               e.activities_7d, e.activities_30d
               {"".join(", " + expr for expr in custom)}
          FROM unnest(%s::bigint[]) WITH ORDINALITY AS w(id, n)
          JOIN {Lead._meta.db_table} l ON l.id = w.id
          JOIN {Contact._meta.db_table} c ON c.id = l.contact_id
          LEFT JOIN {Company._meta.db_table} co ON co.id = c.company_id
         CROSS JOIN LATERAL (
               SELECT CASE WHEN l.status = ANY(%s) AND l.status_changed_at IS NOT NULL
                           THEN l.status_changed_at ELSE %s::timestamptz END AS as_of
         ) t
         CROSS JOIN LATERAL (
               SELECT count(*) FILTER (WHERE a.kind IN ({message})
                                         AND a.direction = {inbound})::float8 AS inbound_messages,
                      count(*) FILTER (WHERE a.kind IN ({message})
                                         AND a.direction IS DISTINCT FROM {inbound})::float8
                                         AS outbound_messages,
                      count(*) FILTER (WHERE a.kind = '{Activity.Kind.CALL}')::float8 AS calls,
                      count(*) FILTER (WHERE a.kind = '{Activity.Kind.EMAIL}')::float8 AS emails,
                      count(*) FILTER (WHERE a.direction = {inbound}
                                         AND a.occurred_at >= t.as_of - {week})::float8
                                         AS inbound_7d,
                      count(*) FILTER (WHERE a.occurred_at >= t.as_of - {week})::float8
                                         AS activities_7d,
                      count(*) FILTER (WHERE a.occurred_at >= t.as_of - {month})::float8
                                         AS activities_30d,
                      max(a.occurred_at) AS last_at
                 FROM {Activity._meta.db_table} a
                WHERE a.lead_id = l.id AND a.occurred_at <= t.as_of
         ) e
         ORDER BY w.n
    """
    params = [*numeric, *(key for key in categorical for _ in range(3))]
    return sql, params, [f"cf_{key}" for key in numeric] + [f"cf_{key}" for key in categorical]


def _numbers(values: list) -> list[float | None]:
    """Custom number fields arrive as text: finite floats, anything else missing (as
    feature_number reads them). numpy parses the common all-numeric column in C."""
    try:
        parsed = np.array(["nan" if v is None else v for v in values], dtype=float)
    except (TypeError, ValueError):
        return [feature_number(v) for v in values]
    out = parsed.tolist()
    for i in np.flatnonzero(~np.isfinite(parsed)).tolist():
        out[i] = None
    return out


@dataclass
class FeatureTable:
    """Features of many leads by column (numbers: float or None, categories: str or None), in
    the order the leads were asked for (unknown ids left out). The model reads the columns
    straight into its matrix; `row(i)` is the per-lead dict the scorecard reads."""

    spec: FeatureSpec
    ids: list[int]
    columns: dict[str, list]

    def __len__(self) -> int:
        return len(self.ids)

    def row(self, i: int) -> dict:
        return {name: values[i] for name, values in self.columns.items()}

    def rows(self) -> dict[int, dict]:
        names = list(self.columns)
        return {pk: dict(zip(names, values, strict=True))
                for pk, *values in zip(self.ids, *self.columns.values(), strict=True)}  # fmt: skip

    def matrix(self, spec: FeatureSpec | None = None) -> np.ndarray:
        """The model's object matrix for `spec`'s columns (a column the table lacks is None)."""
        columns = (spec or self.spec).columns
        X = np.full((len(self.ids), len(columns)), None, dtype=object)
        for j, name in enumerate(columns):
            if name in self.columns:
                X[:, j] = self.columns[name]
        return X


def _batch(ids: list[int], spec: FeatureSpec, now: datetime) -> tuple[list[int], list[list]]:
    sql, custom_params, _ = _query(spec)
    params = [*custom_params, ids, list(CLOSED), now]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not rows:
        return [], []
    pks, *columns = (list(column) for column in zip(*rows, strict=True))
    return pks, columns


def lead_feature_table(
    *, lead_ids: Iterable[int], spec: FeatureSpec | None = None, now: datetime | None = None
) -> FeatureTable:
    """Features of the given leads by column. Queries: 1 for the spec (unless given) + 1 per
    BATCH_SIZE leads."""
    spec = spec or lead_feature_spec()
    now = now or timezone.now()
    ids = list(dict.fromkeys(int(pk) for pk in lead_ids))
    _, _, custom_names = _query(spec)
    names = [*FIXED_COLUMNS, *custom_names]
    found: list[int] = []
    columns: list[list] = [[] for _ in names]
    for start in range(0, len(ids), BATCH_SIZE):
        pks, batch = _batch(ids[start : start + BATCH_SIZE], spec, now)
        if not pks:
            continue
        found.extend(pks)
        for column, values in zip(columns, batch, strict=True):
            column.extend(values)
    table = dict(zip(names, columns, strict=True))
    for name in spec.numeric:
        if name.startswith("cf_"):
            table[name] = _numbers(table[name])
    return FeatureTable(spec=spec, ids=found, columns=table)


def lead_features(
    *, lead_ids: Iterable[int], spec: FeatureSpec | None = None, now: datetime | None = None
) -> tuple[FeatureSpec, dict[int, dict]]:
    """Features of the given leads as one dict per lead, keyed by lead id (ids that do not
    exist are left out). Queries: 1 for the spec (unless given) + 1 per BATCH_SIZE leads."""
    table = lead_feature_table(lead_ids=lead_ids, spec=spec, now=now)
    return table.spec, table.rows()
