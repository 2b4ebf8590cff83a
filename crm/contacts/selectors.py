from __future__ import annotations

from django.db.models import Q, QuerySet

from .models import Channel, Company, ConsentRecord, Contact, DoNotContact


def contact_list() -> QuerySet[Contact]:
    return Contact.objects.select_related("company", "owner")


def company_list() -> QuerySet[Company]:
    return Company.objects.select_related("owner")


def consent_status(*, contact: Contact) -> dict[str, ConsentRecord | None]:
    """The current record per channel (None: never asked)."""
    current: dict[str, ConsentRecord | None] = dict.fromkeys(Channel.values)
    for record in ConsentRecord.objects.filter(contact=contact).order_by("-occurred_at", "-id"):
        if current[record.channel] is None:
            current[record.channel] = record
    return current


def dnc_contains(*, phone: str = "", email: str = "") -> bool:
    query = Q()
    if phone:
        query |= Q(kind=DoNotContact.Kind.PHONE, value=phone)
    if email:
        query |= Q(kind=DoNotContact.Kind.EMAIL, value=email.lower())
    return bool(query) and DoNotContact.objects.filter(query).exists()


def identity_find_duplicates(
    *, email: str = "", phone: str = "", messenger_psid: str = "", exclude_id: int | None = None
) -> QuerySet[Contact]:
    """Contacts sharing a normalised email, E.164 phone or Messenger PSID (inputs must
    already be normalised), oldest first: the natural survivor of a merge."""
    query = Q()
    if email:
        query |= Q(email=email)
    if phone:
        query |= Q(phone=phone)
    if messenger_psid:
        query |= Q(messenger_psid=messenger_psid)
    if not query:
        return Contact.objects.none()
    return Contact.objects.filter(query).exclude(pk=exclude_id).order_by("created_at", "id")
