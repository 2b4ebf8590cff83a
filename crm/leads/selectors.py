from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Exists, F, OuterRef, Q, QuerySet

from crm.activities.models import Activity
from crm.contacts.normalize import phone_search_variants
from crm.customfields.models import CustomFieldDefinition, FieldType

from .models import Lead, LeadSavedView, LeadStatus
from .status import OPEN_STATUSES


def lead_list() -> QuerySet[Lead]:
    """Leads with their contact loaded in the same query (lists show who the lead is)."""
    return Lead.objects.select_related("contact")


# --- the rep UI's reads ---------------------------------------------------------------------
# Every function returns a queryset whose rows carry what the page shows (contact, owner)
# in the same query, so page cost does not grow with the number of rows shown.


LEAD_SORTS: dict[str, tuple[str, ...]] = {
    "created": ("created_at", "id"),
    "name": ("contact__last_name", "contact__first_name", "id"),
    "status": ("status", "id"),
    "source": ("source", "id"),
    "owner": ("owner__full_name", "owner__email", "id"),
    "value": ("estimated_value", "id"),
    "score": ("score", "id"),
}
# Unscored leads sort last both ways ("most promising first" must not start with unknowns).
NULLS_LAST_SORTS = frozenset({"score"})
TEMPERATURES = ("hot", "warm", "cold")
UNSCORED = "unscored"


@dataclass
class LeadFilters:
    """What the leads list can be narrowed by; built by the view from the query string."""

    q: str = ""
    statuses: list[str] = field(default_factory=list)
    owner: str = ""  # a user id, "me" or "none"
    source: str = ""
    created_from: date | None = None
    created_to: date | None = None
    custom: dict[str, Any] = field(default_factory=dict)  # key -> value or (min, max)
    sort: str = "-created"
    temperature: str = ""  # hot / warm / cold / unscored
    city: str = ""  # the contact's city, any case
    region: str = ""  # the contact's state / province, any case
    no_activity_since: date | None = None  # nothing but system rows on the lead since this day


def _search_q(text: str, *, region: str) -> Q:
    """Name / email / phone match. A phone typed in any format is compared as E.164."""
    query = Q()
    phone = phone_search_variants(text, region=region)
    if phone:
        query |= Q(contact__phone=phone)
    words = Q()
    for word in text.split():
        words &= (
            Q(contact__first_name__icontains=word)
            | Q(contact__last_name__icontains=word)
            | Q(contact__email__icontains=word)
        )
    return query | words


def _custom_q(definitions: dict[str, CustomFieldDefinition], values: dict[str, Any]) -> Q:
    query = Q()
    for key, value in values.items():
        definition = definitions.get(key)
        if definition is None:
            continue
        lookup = f"custom__{key}"
        if definition.field_type in (FieldType.NUMBER, FieldType.DATE):
            low, high = value
            if low not in (None, ""):
                query &= Q(**{f"{lookup}__gte": low})
            if high not in (None, ""):
                query &= Q(**{f"{lookup}__lte": high})
        elif definition.field_type == FieldType.TEXT:
            query &= Q(**{f"{lookup}__icontains": value})
        else:  # choice, boolean: exact JSON value
            query &= Q(**{lookup: value})
    return query


def lead_list_filtered(
    *,
    filters: LeadFilters,
    user,
    region: str = "US",
    custom_definitions: dict[str, CustomFieldDefinition] | None = None,
) -> QuerySet[Lead]:
    qs = Lead.objects.select_related("contact", "owner")
    if filters.q.strip():
        qs = qs.filter(_search_q(filters.q.strip(), region=region))
    if filters.statuses:
        qs = qs.filter(status__in=[s for s in filters.statuses if s in LeadStatus.values])
    if filters.owner == "me":
        qs = qs.filter(owner=user)
    elif filters.owner == "none":
        qs = qs.filter(owner__isnull=True)
    elif filters.owner.isdigit():
        qs = qs.filter(owner_id=int(filters.owner))
    if filters.source:
        qs = qs.filter(source__iexact=filters.source)
    if filters.created_from:
        qs = qs.filter(created_at__date__gte=filters.created_from)
    if filters.created_to:
        qs = qs.filter(created_at__date__lte=filters.created_to)
    if filters.custom and custom_definitions:
        qs = qs.filter(_custom_q(custom_definitions, filters.custom))
    if filters.city:
        qs = qs.filter(contact__city__iexact=filters.city)
    if filters.region:
        qs = qs.filter(contact__region__iexact=filters.region)
    if filters.no_activity_since:
        recent = Activity.objects.filter(
            lead=OuterRef("pk"), occurred_at__date__gte=filters.no_activity_since
        ).exclude(kind=Activity.Kind.SYSTEM)
        qs = qs.filter(~Exists(recent))
    if filters.temperature in TEMPERATURES:
        qs = qs.filter(temperature=filters.temperature)
    elif filters.temperature == UNSCORED:
        qs = qs.filter(score__isnull=True)
    key = filters.sort.lstrip("-")
    fields = LEAD_SORTS.get(key, LEAD_SORTS["created"])
    descending = filters.sort.startswith("-") or key not in LEAD_SORTS
    if key in NULLS_LAST_SORTS:
        return qs.order_by(
            *(F(f).desc(nulls_last=True) if descending else F(f).asc(nulls_last=True)
              for f in fields)
        )  # fmt: skip
    return qs.order_by(*(f"-{f}" if descending else f for f in fields))


def lead_source_list() -> list[str]:
    """Distinct sources, for the filter's suggestions."""
    rows = Lead.objects.exclude(source="").order_by("source").values_list("source", flat=True)
    return list(rows.distinct()[:200])


def lead_get_for_ui(*, lead_id: int) -> Lead | None:
    return (
        Lead.objects.select_related("contact", "contact__company", "owner", "converted_deal")
        .filter(pk=lead_id)
        .first()
    )


def lead_list_mine(*, user, limit: int = 20) -> QuerySet[Lead]:
    """My open leads, best score first (unscored ones last, newest first among equals)."""
    return (
        Lead.objects.select_related("contact")
        .filter(owner=user, status__in=OPEN_STATUSES)
        .order_by(F("score").desc(nulls_last=True), "-created_at", "-id")[:limit]
    )


def lead_list_hot(*, user, limit: int = 10) -> QuerySet[Lead]:
    """My open hot leads, highest score first (Today's "hot leads")."""
    return (
        Lead.objects.select_related("contact")
        .filter(owner=user, status__in=OPEN_STATUSES, temperature="hot")
        .order_by("-score", "-id")[:limit]
    )


def lead_list_awaiting_first_response(*, user=None, limit: int = 20) -> QuerySet[Lead]:
    """New leads nobody has answered yet, longest waiting first (mine and unassigned)."""
    qs = Lead.objects.select_related("contact", "owner").filter(
        status=LeadStatus.NEW, first_response_at__isnull=True
    )
    if user is not None:
        qs = qs.filter(Q(owner=user) | Q(owner__isnull=True))
    return qs.order_by("created_at", "id")[:limit]


def lead_list_for_contact(*, contact) -> QuerySet[Lead]:
    return Lead.objects.select_related("owner").filter(contact=contact)


def lead_list_for_company(*, company) -> QuerySet[Lead]:
    return Lead.objects.select_related("contact", "owner").filter(contact__company=company)


def lead_saved_view_list(*, user) -> QuerySet:
    return LeadSavedView.objects.filter(user=user)
