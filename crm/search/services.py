"""Keeping the search index current. Called by event handlers (handlers.py) inside the
transaction of the change, and by `manage.py search_rebuild`. All work is in the current
workspace's schema; batched, so a rebuild of 50,000 records is a few hundred queries."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.db.models import Q

from crm.contacts.models import Company, Contact
from crm.deals.models import Deal
from crm.leads.models import Lead

from .models import EntityType, SearchEntry
from .text import phone_keys, trigrams_of, words

BATCH = 1000
UPDATE_FIELDS = ["title", "subtitle", "url", "contact_id", "company_id", "text", "keys",
                 "trigrams", "updated_at"]  # fmt: skip


def _entry(
    entity_type: str,
    entity_id: int,
    *,
    title: str,
    subtitle: Iterable[str],
    url: str,
    parts: Iterable[str],
    keys: Iterable[str],
    contact_id: int | None = None,
    company_id: int | None = None,
) -> SearchEntry:
    tokens = words(" ".join(p for p in parts if p))
    return SearchEntry(
        entity_type=entity_type,
        entity_id=entity_id,
        title=(title or f"#{entity_id}")[:255],
        subtitle=" · ".join(s for s in subtitle if s)[:500],
        url=url,
        contact_id=contact_id,
        company_id=company_id,
        text=" ".join(tokens),
        keys=sorted({k for k in keys if k}),
        trigrams=trigrams_of(tokens),
    )


def _contact_parts(contact: Contact | None) -> tuple[list[str], list[str]]:
    """(words, exact keys) a contact contributes to its own row and to its leads' and deals'."""
    if contact is None:
        return [], []
    keys = [contact.email, *phone_keys(contact.phone)]
    company = contact.company.name if contact.company_id else ""
    return [contact.full_name, contact.email, *phone_keys(contact.phone), company], keys


def _contact_entry(contact: Contact) -> SearchEntry:
    parts, keys = _contact_parts(contact)
    return _entry(
        EntityType.CONTACT, contact.pk,
        title=str(contact),
        subtitle=[contact.company.name if contact.company_id else "", contact.email, contact.phone],
        url=f"/contacts/{contact.pk}/",
        parts=parts, keys=keys, contact_id=contact.pk, company_id=contact.company_id,
    )  # fmt: skip


def _company_entry(company: Company) -> SearchEntry:
    return _entry(
        EntityType.COMPANY, company.pk,
        title=company.name,
        subtitle=[company.domain, company.industry, company.city],
        url=f"/companies/{company.pk}/",
        parts=[company.name, company.domain], keys=[company.domain.lower()],
        company_id=company.pk,
    )  # fmt: skip


def _lead_entry(lead: Lead) -> SearchEntry:
    contact = lead.contact
    parts, keys = _contact_parts(contact)
    return _entry(
        EntityType.LEAD, lead.pk,
        title=str(contact),
        subtitle=[lead.get_status_display(), contact.company.name if contact.company_id else "",
                  contact.phone, contact.email, lead.interest],
        url=f"/leads/{lead.pk}/",
        parts=[*parts, lead.interest], keys=keys,
        contact_id=contact.pk, company_id=contact.company_id,
    )  # fmt: skip


def _deal_entry(deal: Deal) -> SearchEntry:
    contact = deal.primary_contact
    return _entry(
        EntityType.DEAL, deal.pk,
        title=deal.name,
        subtitle=[deal.stage.name, deal.company.name if deal.company_id else "",
                  str(contact) if contact else ""],
        url=f"/pipeline/deals/{deal.pk}/",
        parts=[deal.name, deal.company.name if deal.company_id else "",
               contact.full_name if contact else ""],
        keys=[], contact_id=deal.primary_contact_id, company_id=deal.company_id,
    )  # fmt: skip


_SOURCES = {
    EntityType.CONTACT: (lambda: Contact.objects.select_related("company"), _contact_entry),
    EntityType.COMPANY: (lambda: Company.objects.all(), _company_entry),
    EntityType.LEAD: (lambda: Lead.objects.select_related("contact__company"), _lead_entry),
    EntityType.DEAL: (
        lambda: Deal.objects.select_related("company", "primary_contact", "stage"),
        _deal_entry,
    ),
}


def _upsert(entries: list[SearchEntry]) -> None:
    if entries:
        SearchEntry.objects.bulk_create(
            entries,
            update_conflicts=True,
            unique_fields=["entity_type", "entity_id"],
            update_fields=UPDATE_FIELDS,
        )


def search_reindex(*, entity_type: str, entity_ids: Iterable[int]) -> None:
    """Redo these records' rows; the rows of ids that no longer exist go."""
    ids = sorted(set(entity_ids))
    queryset, build = _SOURCES[EntityType(entity_type)]
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        records = list(queryset().filter(pk__in=chunk))
        _upsert([build(r) for r in records])
        gone = set(chunk) - {r.pk for r in records}
        if gone:
            SearchEntry.objects.filter(entity_type=entity_type, entity_id__in=gone).delete()


def search_index_record(*, entity_type: str, entity_id: int) -> None:
    search_reindex(entity_type=entity_type, entity_ids=[entity_id])


def search_remove_record(*, entity_type: str, entity_id: int) -> None:
    SearchEntry.objects.filter(entity_type=entity_type, entity_id=entity_id).delete()


def search_reindex_related(*, contact_ids: Iterable[int] = (), company_ids: Iterable[int] = ()):
    """Redo the rows whose text includes these contacts or companies (a lead shows its
    contact's name and phone; a contact its company's name)."""
    contact_ids, company_ids = list(contact_ids), list(company_ids)
    rows = SearchEntry.objects.filter(
        Q(contact_id__in=contact_ids) | Q(company_id__in=company_ids)
    ).values_list("entity_type", "entity_id")
    by_type: dict[str, set[int]] = {}
    for entity_type, entity_id in rows:
        by_type.setdefault(entity_type, set()).add(entity_id)
    # Records that now point at them but were indexed before the link (a contact moved
    # to a company, records moved by a merge) are found from the live tables too.
    by_type.setdefault(EntityType.CONTACT, set()).update(
        Contact.objects.filter(Q(pk__in=contact_ids) | Q(company_id__in=company_ids)).values_list(
            "pk", flat=True
        )
    )
    by_type.setdefault(EntityType.LEAD, set()).update(
        Lead.objects.filter(
            Q(contact_id__in=contact_ids) | Q(contact__company_id__in=company_ids)
        ).values_list("pk", flat=True)
    )
    by_type.setdefault(EntityType.DEAL, set()).update(
        Deal.objects.filter(
            Q(primary_contact_id__in=contact_ids) | Q(company_id__in=company_ids)
        ).values_list("pk", flat=True)
    )
    for entity_type, ids in by_type.items():
        search_reindex(entity_type=entity_type, entity_ids=ids)


@transaction.atomic
def search_rebuild() -> int:
    """Index every record of the current workspace, dropping rows of records that are gone.
    Returns the number of rows written."""
    written = 0
    for entity_type, (queryset, build) in _SOURCES.items():
        qs = queryset()
        SearchEntry.objects.filter(entity_type=entity_type).exclude(
            entity_id__in=qs.values("pk")
        ).delete()
        batch: list[SearchEntry] = []
        for record in qs.order_by("pk").iterator(chunk_size=BATCH):
            batch.append(build(record))
            if len(batch) >= BATCH:
                _upsert(batch)
                written += len(batch)
                batch = []
        _upsert(batch)
        written += len(batch)
    return written


@transaction.atomic
def search_reindex_changed_since(*, since: datetime) -> None:
    """Index what changed since a time (an import's start): those records and the rows that
    show them (a lead shows its contact's phone, a contact its company's name)."""
    contact_ids = Contact.objects.filter(updated_at__gte=since).values_list("pk", flat=True)
    company_ids = Company.objects.filter(updated_at__gte=since).values_list("pk", flat=True)
    search_reindex(entity_type=EntityType.COMPANY, entity_ids=company_ids)
    search_reindex_related(contact_ids=contact_ids, company_ids=company_ids)
    for entity_type, model in ((EntityType.LEAD, Lead), (EntityType.DEAL, Deal)):
        ids = model.objects.filter(updated_at__gte=since).values_list("pk", flat=True)
        search_reindex(entity_type=entity_type, entity_ids=ids)
