"""Deal features from the ORM, a fixed number of queries per batch of deals.

A closed deal is described *as of its close*: its last open stage (not the won/lost stage it
ended in), activity and close-date moves up to `closed_at` only, ages measured to then, so the
outcome never leaks into training. An open deal is described as of now. Keys starting with "_"
are not model inputs: health flags and explanations read them.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from crm.activities.models import Activity
from crm.audit.models import AuditEvent
from crm.customfields.models import Entity
from crm.deals.models import Deal, DealContact, DealStageChange, Stage
from intelligence.featurekit import custom_field_columns, feature_category, feature_number

BATCH_SIZE = 2000
# Stage moves write a system row to the timeline: not engagement with the buyer.
NOT_ENGAGEMENT = (Activity.Kind.SYSTEM,)
MESSAGE_KINDS = frozenset({Activity.Kind.SMS, Activity.Kind.MESSENGER, Activity.Kind.CHAT})

NUMERIC_LABELS: dict[str, str] = {
    "amount_log": "Deal size",
    "stage_position": "How far along the pipeline",
    "stage_probability": "Stage probability",
    "age_days": "Deal age (days)",
    "days_in_stage": "Days in the current stage",
    "stakeholders": "Stakeholders on the deal",
    "activities_7d": "Activities in the last 7 days",
    "activities_30d": "Activities in the last 30 days",
    "inbound_30d": "Replies in the last 30 days",
    "meetings": "Meetings held",
    "days_since_last_activity": "Days since the last activity",
    "close_date_slips": "Times the close date was pushed back",
    "days_past_close_date": "Days past the expected close date",
    "company_employees": "Company size (employees)",
}
CATEGORY_LABELS: dict[str, str] = {"pipeline": "Pipeline", "company_industry": "Industry"}


@dataclass(frozen=True)
class DealFeatureSpec:
    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def columns(self) -> tuple[str, ...]:
        return self.numeric + self.categorical


def deal_feature_spec() -> DealFeatureSpec:
    """The fixed columns plus the workspace's deal custom fields by type (number → numeric;
    choice and yes/no → category; text and dates are not used)."""
    numeric, categorical, labels = custom_field_columns(entity=Entity.DEAL)
    return DealFeatureSpec(
        numeric=(*NUMERIC_LABELS, *numeric),
        categorical=(*CATEGORY_LABELS, *categorical),
        labels={**NUMERIC_LABELS, **CATEGORY_LABELS, **labels},
    )


def _date(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _days(delta: timedelta) -> float:
    return max(0.0, delta.total_seconds() / 86400)


def as_of(deal: Deal, stage: Stage, now: datetime) -> datetime:
    """When the deal is described: its close for a closed deal (no leakage), else now."""
    if stage.is_won or stage.is_lost:
        return deal.closed_at or deal.stage_changed_at or deal.updated_at or now
    return now


def _stage_walk(changes: list[tuple[int, datetime]], stages: dict[int, Stage], cutoff: datetime):
    """(last open stage entered up to cutoff, when, furthest open stage reached)."""
    current, entered, furthest = None, None, None
    for to_stage_id, changed_at in changes:
        stage = stages.get(to_stage_id)
        if changed_at > cutoff or stage is None or stage.is_won or stage.is_lost:
            continue
        current, entered = stage, changed_at
        if furthest is None or stage.position > furthest.position:
            furthest = stage
    return current, entered, furthest


def _open_positions(stages: dict[int, Stage]) -> dict[int, float]:
    """Each open stage's place in its pipeline as 0..1 (first open stage 0, last 1)."""
    by_pipeline: dict[int, list[Stage]] = defaultdict(list)
    for stage in stages.values():
        if not (stage.is_won or stage.is_lost):
            by_pipeline[stage.pipeline_id].append(stage)
    out: dict[int, float] = {}
    for ordered in by_pipeline.values():
        ordered.sort(key=lambda s: (s.position, s.pk))
        for i, stage in enumerate(ordered):
            out[stage.pk] = i / (len(ordered) - 1) if len(ordered) > 1 else 1.0
    return out


def _batch(
    ids: Sequence[int], spec: DealFeatureSpec, now: datetime, stages: dict[int, Stage]
) -> dict[int, dict]:
    deals = {
        deal.pk: deal
        for deal in Deal.objects.filter(pk__in=ids).select_related("pipeline", "company").only(
            "id", "amount", "expected_close_date", "stage_id", "pipeline__name", "closed_at",
            "stage_changed_at", "created_at", "updated_at", "custom", "primary_contact_id",
            "company__industry", "company__employee_count",
        )
    }  # fmt: skip
    if not deals:
        return {}
    cutoff = {pk: as_of(d, stages[d.stage_id], now) for pk, d in deals.items()}

    history: dict[int, list[tuple[int, datetime]]] = defaultdict(list)
    for deal_id, to_stage_id, changed_at in (
        DealStageChange.objects.filter(deal_id__in=list(deals))
        .order_by("deal_id", "changed_at", "id")
        .values_list("deal_id", "to_stage_id", "changed_at")
    ):
        history[deal_id].append((to_stage_id, changed_at))

    contacts_of: dict[int, set[int]] = defaultdict(set)
    for deal_id, contact_id in DealContact.objects.filter(deal_id__in=list(deals)).values_list(
        "deal_id", "contact_id"
    ):
        contacts_of[deal_id].add(contact_id)
    for pk, deal in deals.items():
        if deal.primary_contact_id:
            contacts_of[pk].add(deal.primary_contact_id)
    deals_of_contact: dict[int, list[int]] = defaultdict(list)
    for deal_id, contact_ids in contacts_of.items():
        for contact_id in contact_ids:
            deals_of_contact[contact_id].append(deal_id)

    # Activity on the deal, or with one of its people since the deal was opened.
    counts = {pk: dict.fromkeys(("a7", "a30", "in30", "meet"), 0.0) for pk in deals}
    last_at: dict[int, datetime] = {}
    last_inbound: dict[int, datetime] = {}
    seen: set[tuple[int, int]] = set()
    activities = Activity.objects.filter(
        Q(deal_id__in=list(deals)) | Q(contact_id__in=list(deals_of_contact))
    ).exclude(kind__in=NOT_ENGAGEMENT)
    for activity_id, deal_id, contact_id, kind, direction, occurred_at in activities.values_list(
        "id", "deal_id", "contact_id", "kind", "direction", "occurred_at"
    ).iterator(chunk_size=5000):
        targets = [deal_id] if deal_id in deals else []
        targets += [d for d in deals_of_contact.get(contact_id, ()) if d != deal_id]
        for pk in targets:
            if (pk, activity_id) in seen:
                continue
            seen.add((pk, activity_id))
            if pk != deal_id and occurred_at < deals[pk].created_at:
                continue
            if occurred_at > cutoff[pk]:
                continue
            age = cutoff[pk] - occurred_at
            c = counts[pk]
            inbound = direction == Activity.Direction.INBOUND
            c["meet"] += kind == Activity.Kind.MEETING
            if age <= timedelta(days=7):
                c["a7"] += 1
            if age <= timedelta(days=30):
                c["a30"] += 1
                c["in30"] += inbound
            if pk not in last_at or occurred_at > last_at[pk]:
                last_at[pk] = occurred_at
            if inbound and (pk not in last_inbound or occurred_at > last_inbound[pk]):
                last_inbound[pk] = occurred_at

    # Close-date moves from the audit trail (there is no separate history of them).
    slips: dict[int, int] = defaultdict(int)
    for deal_id, old, new, occurred_at in AuditEvent.objects.filter(
        entity_type="deal", entity_id__in=list(deals), field="expected_close_date"
    ).values_list("entity_id", "old_value", "new_value", "occurred_at"):
        before, after = _date(old), _date(new)
        if deal_id in cutoff and occurred_at <= cutoff[deal_id] and before and after:
            slips[deal_id] += after > before

    positions = _open_positions(stages)
    out: dict[int, dict] = {}
    for pk, deal in deals.items():
        stage, moment = stages[deal.stage_id], cutoff[pk]
        closed = "won" if stage.is_won else "lost" if stage.is_lost else None
        current, entered, furthest = _stage_walk(history[pk], stages, moment)
        if current is None and closed is None:  # no history (e.g. imported): the stage itself
            current = furthest = stage
            entered = deal.stage_changed_at or deal.created_at
        company = deal.company if deal.company_id else None
        close_date = deal.expected_close_date
        amount = feature_number(deal.amount) or 0.0
        row: dict[str, object] = {
            "amount_log": math.log1p(amount),
            "stage_position": positions.get(furthest.pk) if furthest else None,
            "stage_probability": float(current.probability) if current else None,
            "age_days": _days(moment - deal.created_at),
            "days_in_stage": _days(moment - entered) if entered else None,
            "stakeholders": float(len(contacts_of.get(pk, ()))),
            "activities_7d": counts[pk]["a7"],
            "activities_30d": counts[pk]["a30"],
            "inbound_30d": counts[pk]["in30"],
            "meetings": counts[pk]["meet"],
            "days_since_last_activity": _days(moment - last_at[pk]) if pk in last_at else None,
            "close_date_slips": float(slips.get(pk, 0)),
            "days_past_close_date": (
                float(max(0, (moment.date() - close_date).days)) if close_date else None
            ),
            "company_employees": feature_number(company.employee_count if company else None),
            "pipeline": feature_category(deal.pipeline.name),
            "company_industry": feature_category(company.industry if company else None),
            # Not model inputs: what health flags, rules and explanations read.
            "_amount": amount,
            "_closed": closed,
            "_stage_id": current.pk if current else None,
            "_stage_name": current.name if current else stage.name,
            "_stage_probability_now": float(stage.probability),
            "_expected_close_date": close_date,
            "_last_activity_at": last_at.get(pk),
            "_last_inbound_at": last_inbound.get(pk),
            "_created_at": deal.created_at,
            "_as_of": moment,
        }
        custom = deal.custom or {}
        for name in spec.numeric:
            if name.startswith("cf_"):
                row[name] = feature_number(custom.get(name[3:]))
        for name in spec.categorical:
            if name.startswith("cf_"):
                row[name] = feature_category(custom.get(name[3:]))
        out[pk] = row
    return out


def deal_features(
    *, deal_ids: Iterable[int], spec: DealFeatureSpec | None = None, now: datetime | None = None
) -> tuple[DealFeatureSpec, dict[int, dict]]:
    """Features of the given deals keyed by id (unknown ids are left out). Queries: 1 for the
    spec (unless given) + 1 for the stages + 5 per BATCH_SIZE deals."""
    spec = spec or deal_feature_spec()
    now = now or timezone.now()
    ids = list(deal_ids)
    stages = {s.pk: s for s in Stage.objects.all()}
    features: dict[int, dict] = {}
    for start in range(0, len(ids), BATCH_SIZE):
        features.update(_batch(ids[start : start + BATCH_SIZE], spec, now, stages))
    return spec, features
