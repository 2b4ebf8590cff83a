"""Reads: which records are customers, their current scores, the customers most at risk."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from crm.activities.models import Activity
from crm.contacts.models import Company, Contact, LifecycleStage
from crm.deals.models import Deal, DealContact

from .features import COMPANY, CONTACT, Key
from .models import CustomerScore

MODELS = {COMPANY: Company, CONTACT: Contact}


class NotACustomer(LookupError):
    """The record does not exist in this workspace, or is not a current customer."""


def customer_get(*, kind: str, pk: int) -> Company | Contact:
    """The company or contact if it is a current customer; NotACustomer says why not."""
    model = MODELS[kind]
    record = model.objects.filter(pk=pk).first()
    name = kind.capitalize()
    if record is None:
        raise NotACustomer(f"{name} {pk} does not exist.")
    if record.lifecycle_stage == LifecycleStage.PROSPECT:
        raise NotACustomer(f"{name} {pk} is a prospect, not a customer.")
    if record.lifecycle_stage == LifecycleStage.CHURNED:
        raise NotACustomer(f"{name} {pk} has churned; it is no longer a customer.")
    return record


def customer_keys_current(*, keys: Iterable[Key] | None = None) -> list[Key]:
    """Current customers among `keys` (all of the workspace's when None), companies first."""
    out: list[Key] = []
    wanted = None if keys is None else list(keys)
    for kind, model in MODELS.items():
        qs = model.objects.filter(lifecycle_stage=LifecycleStage.CUSTOMER)
        if wanted is not None:
            qs = qs.filter(pk__in=[pk for k, pk in wanted if k == kind])
        out.extend((kind, pk) for pk in qs.order_by("pk").values_list("pk", flat=True))
    return out


def customer_keys_ever() -> list[Key]:
    """Customers now or in the past (the training population)."""
    stages = (LifecycleStage.CUSTOMER, LifecycleStage.CHURNED)
    return [
        (kind, pk)
        for kind, model in MODELS.items()
        for pk in model.objects.filter(lifecycle_stage__in=stages)
        .order_by("pk")
        .values_list("pk", flat=True)
    ]


def customer_keys_for_deal(*, deal_id: int) -> list[Key]:
    deal = Deal.objects.filter(pk=deal_id).values("company_id", "primary_contact_id").first()
    if deal is None:
        return []
    keys: list[Key] = [(COMPANY, deal["company_id"])] if deal["company_id"] else []
    contacts = set(DealContact.objects.filter(deal_id=deal_id).values_list("contact_id", flat=True))
    if deal["primary_contact_id"]:
        contacts.add(deal["primary_contact_id"])
    keys.extend((CONTACT, pk) for pk in sorted(contacts))
    return keys


def customer_keys_for_activity(*, activity_id: int) -> list[Key]:
    row = (
        Activity.objects.filter(pk=activity_id)
        .values("company_id", "contact_id", "contact__company_id", "deal_id")
        .first()
    )
    if row is None:
        return []
    keys: list[Key] = [
        (COMPANY, pk) for pk in {row["company_id"], row["contact__company_id"]} if pk
    ]
    if row["contact_id"]:
        keys.append((CONTACT, row["contact_id"]))
    if row["deal_id"]:
        keys.extend(customer_keys_for_deal(deal_id=row["deal_id"]))
    return list(dict.fromkeys(keys))


def _key_filter(key: Key) -> Q:
    kind, pk = key
    return Q(company_id=pk) if kind == COMPANY else Q(contact_id=pk)


def customer_score_latest(*, key: Key) -> CustomerScore | None:
    return (
        CustomerScore.objects.filter(_key_filter(key))
        .select_related("model_version", "clv_model_version")
        .defer("model_version__artifact", "clv_model_version__artifact")
        .order_by("-scored_at", "-id")
        .first()
    )


def customer_score_latest_filter() -> Q:
    """Matches each customer's latest score (DISTINCT ON per company and per contact)."""
    companies = (
        CustomerScore.objects.filter(company__isnull=False)
        .order_by("company_id", "-scored_at", "-id")
        .distinct("company_id")
        .values("id")
    )
    contacts = (
        CustomerScore.objects.filter(contact__isnull=False)
        .order_by("contact_id", "-scored_at", "-id")
        .distinct("contact_id")
        .values("id")
    )
    return Q(pk__in=companies) | Q(pk__in=contacts)


def customer_scores_at_risk() -> QuerySet[CustomerScore]:
    """Current customers' latest scores, riskiest first (the admin's "most at risk" list)."""
    customer = LifecycleStage.CUSTOMER
    return (
        CustomerScore.objects.filter(customer_score_latest_filter())
        .filter(Q(company__lifecycle_stage=customer) | Q(contact__lifecycle_stage=customer))
        .select_related("company", "contact")
        .order_by("-churn_score", "-clv_3y", "-id")
    )
