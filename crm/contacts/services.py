"""Writes for companies, contacts, consent and the do-not-contact list."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from crm.audit.models import AuditEvent
from crm.audit.services import audit_changes, audit_event, audited_delete, snapshot
from crm.customfields.models import Entity
from crm.customfields.services import custom_values_clean
from crm.errors import model_full_clean
from crm.events import publish
from crm.tenancy.selectors import workspace_current

from .models import Channel, Company, ConsentRecord, Contact, DoNotContact
from .normalize import (
    email_check_length,
    normalize_email,
    normalize_phone,
    normalize_phone_and_timezone,
    timezone_from_address,
    timezone_from_phone,
)

CONTACT_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "messenger_psid",
    "company",
    "street",
    "city",
    "region",
    "postal_code",
    "country",
    "timezone",
    "owner",
    "source",
    "tags",
    "custom",
    "lifecycle_stage",
)
COMPANY_FIELDS = (
    "name",
    "domain",
    "industry",
    "employee_count",
    "annual_revenue",
    "street",
    "city",
    "region",
    "postal_code",
    "country",
    "latitude",
    "longitude",
    "owner",
    "lifecycle_stage",
)


def _apply(instance, changes: dict[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(changes) - set(allowed))
    if unknown:
        raise ValidationError({name: "This field cannot be set." for name in unknown})
    for name, value in changes.items():
        setattr(instance, name, value)


def _set_lifecycle_dates(instance, before_stage: str | None) -> None:
    if instance.lifecycle_stage == before_stage:
        return
    now = timezone.now()
    if instance.lifecycle_stage == "customer":
        instance.became_customer_at = instance.became_customer_at or now
    elif instance.lifecycle_stage == "churned":
        instance.churned_at = now


# --- companies ---------------------------------------------------------------------------


@transaction.atomic
def company_create(*, name: str, actor=None, origin: str = "ui", **fields: Any) -> Company:
    company = Company(name=name.strip())
    _apply(company, fields, COMPANY_FIELDS)
    company.domain = (company.domain or "").strip().lower().removeprefix("www.")
    company.country = (company.country or "").upper()
    _set_lifecycle_dates(company, None)
    model_full_clean(company)
    company.save()
    audit_event(
        entity_type="company",
        entity_id=company.pk,
        action=AuditEvent.Action.CREATE,
        actor=actor,
        source=origin,
    )
    publish("company.created", company_id=company.pk)
    return company


@transaction.atomic
def company_update(
    *, company: Company, changes: dict[str, Any], actor=None, origin: str = "ui"
) -> Company:
    before = snapshot(company, COMPANY_FIELDS)
    _apply(company, changes, COMPANY_FIELDS)
    if "domain" in changes:
        company.domain = (company.domain or "").strip().lower().removeprefix("www.")
    if "country" in changes:
        company.country = (company.country or "").strip().upper()
    _set_lifecycle_dates(company, before["lifecycle_stage"])
    model_full_clean(company)
    company.save()
    audit_changes(
        entity_type="company",
        entity_id=company.pk,
        before=before,
        after=snapshot(company, COMPANY_FIELDS),
        actor=actor,
        source=origin,
    )
    publish("company.updated", company_id=company.pk)
    return company


# --- contacts ----------------------------------------------------------------------------


def _normalize_contact(contact: Contact, *, region: str, touched: set[str]) -> dict[str, str]:
    """Normalise in place; return field errors rather than raising one at a time."""
    errors: dict[str, str] = {}
    if "email" in touched:
        try:
            contact.email = normalize_email(contact.email)
            # full_clean skips the email (validated here), so check its column length too.
            email_check_length(contact.email)
        except ValidationError as exc:
            errors["email"] = exc.messages[0]
    if "phone" in touched:
        try:
            contact.phone, zone = normalize_phone_and_timezone(contact.phone, region=region)
        except ValidationError as exc:
            errors["phone"] = exc.messages[0]
        else:  # _derive_timezone reuses it instead of parsing the number again
            contact._phone_zone = (contact.phone, zone)
    if "country" in touched:
        contact.country = (contact.country or "").strip().upper()
    if "tags" in touched:
        contact.tags = sorted(
            {str(t).strip().lower() for t in contact.tags or [] if str(t).strip()}
        )
    for name in ("first_name", "last_name", "messenger_psid", "source"):
        if name in touched:
            setattr(contact, name, (getattr(contact, name) or "").strip())
    return errors


def _derive_timezone(contact: Contact, *, workspace_timezone: str, touched: set[str]) -> None:
    """Address first, then the phone's area code, then the workspace; a hand-set zone stays."""
    if "timezone" in touched and contact.timezone:
        contact.timezone_source = Contact.TimezoneSource.MANUAL
        return
    if contact.timezone_source == Contact.TimezoneSource.MANUAL and contact.timezone:
        return
    derived = timezone_from_address(country=contact.country, region=contact.region)
    if derived:
        contact.timezone, contact.timezone_source = derived, Contact.TimezoneSource.ADDRESS
        return
    parsed = getattr(contact, "_phone_zone", None)
    if parsed is not None and parsed[0] == contact.phone:
        derived = parsed[1]
    else:
        derived = timezone_from_phone(contact.phone)
    if derived:
        contact.timezone, contact.timezone_source = derived, Contact.TimezoneSource.PHONE
        return
    contact.timezone, contact.timezone_source = workspace_timezone, Contact.TimezoneSource.WORKSPACE


def contact_prepare(
    contact: Contact,
    changes: dict[str, Any],
    *,
    region: str,
    workspace_timezone: str,
    partial: bool,
) -> Contact:
    """Apply, normalise and validate changes without saving. Shared by create, update and
    the bulk import, which saves many at once."""
    changes = dict(changes)
    custom = changes.pop("custom", None)
    _apply(contact, changes, CONTACT_FIELDS)
    touched = set(changes)
    errors = _normalize_contact(contact, region=region, touched=touched)
    try:
        contact.custom = custom_values_clean(
            entity=Entity.CONTACT, values=custom, existing=contact.custom, partial=partial
        )
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
    if not (
        contact.first_name
        or contact.last_name
        or contact.email
        or contact.phone
        or contact.messenger_psid
    ):
        errors.setdefault("__all__", "A contact needs a name, an email, a phone or a PSID.")
    if errors:
        raise ValidationError(errors)
    _derive_timezone(contact, workspace_timezone=workspace_timezone, touched=touched)
    model_full_clean(contact, exclude=("email",))  # email already validated, lowercase
    return contact


@transaction.atomic
def contact_create(*, actor=None, origin: str = "ui", **fields: Any) -> Contact:
    workspace = workspace_current()
    contact = Contact()
    contact_prepare(
        contact,
        fields,
        region=workspace.default_phone_region,
        workspace_timezone=workspace.timezone,
        partial=False,
    )
    _set_lifecycle_dates(contact, None)
    contact.save()
    audit_event(
        entity_type="contact",
        entity_id=contact.pk,
        action=AuditEvent.Action.CREATE,
        actor=actor,
        source=origin,
    )
    publish("contact.created", contact_id=contact.pk)
    return contact


@transaction.atomic
def contact_update(
    *,
    contact: Contact,
    changes: dict[str, Any],
    actor=None,
    origin: str = "ui",
    partial: bool = True,
) -> Contact:
    """Change a contact's fields. `partial=False` is a full replace (PUT): `custom` replaces
    the stored values and required custom fields must be given."""
    workspace = workspace_current()
    before = snapshot(contact, CONTACT_FIELDS)
    if not partial:
        contact.custom = {}
    contact_prepare(
        contact,
        changes,
        region=workspace.default_phone_region,
        workspace_timezone=workspace.timezone,
        partial=partial,
    )
    _set_lifecycle_dates(contact, before["lifecycle_stage"])
    contact.save()
    audit_changes(
        entity_type="contact",
        entity_id=contact.pk,
        before=before,
        after=snapshot(contact, CONTACT_FIELDS),
        actor=actor,
        source=origin,
    )
    publish("contact.updated", contact_id=contact.pk)
    return contact


# --- consent and do-not-contact ----------------------------------------------------------


@transaction.atomic
def consent_record(
    *,
    contact: Contact,
    channel: str,
    granted: bool,
    source: str,
    method: str = "",
    wording: str = "",
    ip_address: str | None = None,
    evidence: dict | None = None,
    occurred_at=None,
    actor=None,
) -> ConsentRecord:
    """Store proof of a grant or a withdrawal; the newest record per channel is the status."""
    if channel not in Channel.values:
        raise ValidationError({"channel": f'Unknown channel "{channel}".'})
    if not source:
        raise ValidationError({"source": "Say where the consent came from."})
    if granted and not wording.strip():
        raise ValidationError({"wording": "Keep the exact wording the person agreed to."})
    record = ConsentRecord(
        contact=contact,
        channel=channel,
        source=source,
        method=method,
        wording=wording,
        status=ConsentRecord.Status.GRANTED if granted else ConsentRecord.Status.REVOKED,
        ip_address=ip_address or None,
        evidence=evidence or {},
        recorded_by=actor,
        occurred_at=occurred_at or timezone.now(),
    )
    model_full_clean(record)
    record.save()
    publish("contact.consent_changed", contact_id=contact.pk, channel=channel, status=record.status)
    return record


def contact_opt_out(
    *,
    contact: Contact,
    channel: str,
    method: str,
    source: str = "contact",
    actor=None,
    evidence: dict | None = None,
) -> ConsentRecord:
    """The person asked us to stop (a STOP reply, an unsubscribe link, a call)."""
    return consent_record(
        contact=contact,
        channel=channel,
        granted=False,
        source=source,
        method=method,
        evidence=evidence,
        actor=actor,
    )


@transaction.atomic
def dnc_add(*, value: str, reason: str = "", actor=None) -> DoNotContact:
    text = (value or "").strip()
    region = workspace_current().default_phone_region
    if "@" in text:
        kind, normalized = DoNotContact.Kind.EMAIL, normalize_email(text)
    else:
        kind, normalized = DoNotContact.Kind.PHONE, normalize_phone(text, region=region)
    if not normalized:
        raise ValidationError({"value": "Enter a phone number or an email address."})
    entry, _ = DoNotContact.objects.get_or_create(
        kind=kind, value=normalized, defaults={"reason": reason, "added_by": actor}
    )
    return entry


def dnc_remove(*, entry: DoNotContact) -> None:
    entry.delete()


@transaction.atomic
def contact_delete(*, contact: Contact, actor=None, origin: str = "ui") -> None:
    """Delete a contact (its leads go with it); the audit row keeps who, when and what."""
    contact_id = audited_delete(instance=contact, entity_type="contact", actor=actor, source=origin)
    publish("contact.deleted", contact_id=contact_id)


@transaction.atomic
def company_delete(*, company: Company, actor=None, origin: str = "ui") -> None:
    company_id = audited_delete(instance=company, entity_type="company", actor=actor, source=origin)
    publish("company.deleted", company_id=company_id)


@transaction.atomic
def contact_upsert(
    *, fields: dict[str, Any], actor=None, origin: str = "ui"
) -> tuple[Contact, bool]:
    """Find the contact by identity (normalised email, E.164 phone or Messenger PSID; the
    oldest match wins) and update it with `fields`, or create one. Returns (contact, created)."""
    from .selectors import identity_find_duplicates

    region = workspace_current().default_phone_region
    errors: dict[str, str] = {}
    email = phone = ""
    try:
        email = normalize_email(fields.get("email") or "")
    except ValidationError as exc:
        errors["email"] = exc.messages[0]
    try:
        phone = normalize_phone(fields.get("phone") or "", region=region)
    except ValidationError as exc:
        errors["phone"] = exc.messages[0]
    if errors:
        raise ValidationError(errors)
    psid = (fields.get("messenger_psid") or "").strip()
    match = identity_find_duplicates(email=email, phone=phone, messenger_psid=psid).first()
    if match is None:
        return contact_create(actor=actor, origin=origin, **fields), True
    return contact_update(contact=match, changes=fields, actor=actor, origin=origin), False
