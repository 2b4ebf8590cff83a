"""Per-row validation for the bulk path.

Same rules as crm.contacts.services.contact_prepare and crm.leads.services.lead_prepare
(normalize_email / normalize_phone to E.164, custom field coercion, field lengths, "a contact
needs a name, an email, a phone or a PSID", time zone from address → phone → workspace), but
with the custom field definitions loaded once per job instead of once per row and with phone
parsing memoised: those two made the per-row services ~10x too slow for the 5,000 rows/s
target. tests/imports/test_validation.py checks the two paths agree.
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.core.exceptions import ValidationError

from crm.contacts.models import Contact
from crm.contacts.normalize import (
    normalize_email,
    normalize_phone,
    timezone_from_address,
    timezone_from_phone,
)
from crm.customfields.models import CustomFieldDefinition, Entity
from crm.customfields.selectors import custom_field_map

# The one private helper borrowed: the exact coercion rules of custom_values_clean.
from crm.customfields.services import _coerce
from crm.leads.models import Lead, LeadStatus

from .models import Target

_CONTACT_MAX = {f.name: f.max_length for f in Contact._meta.fields if f.max_length}
_LEAD_MAX = {f.name: f.max_length for f in Lead._meta.fields if f.max_length}


class RowInvalid(Exception):
    def __init__(self, errors: dict[str, str]):
        super().__init__(errors)
        self.errors = errors


@lru_cache(maxsize=65536)
def _phone(text: str, region: str) -> tuple[str, str]:
    """(e164, "") or ("", error message)."""
    try:
        return normalize_phone(text, region=region), ""
    except ValidationError as exc:
        return "", exc.messages[0]


@lru_cache(maxsize=65536)
def _phone_timezone(e164: str) -> str | None:
    return timezone_from_phone(e164)


@lru_cache(maxsize=4096)
def _address_timezone(country: str, region: str) -> str | None:
    return timezone_from_address(country=country, region=region)


def custom_clean(
    definitions: dict[str, CustomFieldDefinition],
    values: dict[str, Any],
    *,
    prefix: str,
    required: bool,
) -> tuple[dict[str, Any], dict[str, str]]:
    """custom_values_clean with preloaded definitions: (clean values, errors)."""
    clean: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key, value in values.items():
        definition = definitions[key]  # mapping_validate already refused unknown keys
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        try:
            clean[key] = _coerce(definition, value)
        except ValueError as exc:
            errors[f"{prefix}custom.{key}"] = f"{definition.label}: {exc}."
    if required:
        for key, definition in definitions.items():
            if definition.required and key not in clean and f"{prefix}custom.{key}" not in errors:
                errors[f"{prefix}custom.{key}"] = f"{definition.label} is required."
    return clean, errors


@dataclass
class PreparedRow:
    row_number: int
    contact: dict[str, Any]
    lead: dict[str, Any] = field(default_factory=dict)


@dataclass
class RowPreparer:
    """Turns the cells of one row into clean contact (and lead) values, or RowInvalid."""

    headers: list[str]
    mapping: dict[str, str]
    target: str
    options: dict
    region: str
    workspace_timezone: str
    contact_defs: dict[str, CustomFieldDefinition] = field(default_factory=dict)
    lead_defs: dict[str, CustomFieldDefinition] = field(default_factory=dict)

    @classmethod
    def for_job(cls, job, *, region: str, workspace_timezone: str) -> RowPreparer:
        return cls(
            headers=job.headers,
            mapping=job.mapping,
            target=job.target,
            options=job.options or {},
            region=region,
            workspace_timezone=workspace_timezone,
            contact_defs=custom_field_map(entity=Entity.CONTACT),
            lead_defs=custom_field_map(entity=Entity.LEAD) if job.target == Target.LEADS else {},
        )

    def __post_init__(self) -> None:
        self._columns = [
            (index, self.mapping.get(header, "")) for index, header in enumerate(self.headers)
        ]
        self._columns = [(i, t) for i, t in self._columns if t]
        outcome = self.options.get("outcome_values") or {}
        self._outcomes = {str(k).strip().lower(): v for k, v in outcome.items()}

    def prepare(self, row_number: int, cells: list[str]) -> PreparedRow:
        if len(cells) != len(self.headers):
            raise RowInvalid(
                {"row": f"The row has {len(cells)} values; the header has {len(self.headers)}."}
            )
        contact: dict[str, Any] = {}
        contact_custom: dict[str, Any] = {}
        lead: dict[str, Any] = {}
        lead_custom: dict[str, Any] = {}
        for index, target in self._columns:
            value = cells[index].strip()
            entity, _, name = target.partition(".")
            if name.startswith("custom."):
                (contact_custom if entity == "contact" else lead_custom)[name[7:]] = value
            elif entity == "contact":
                contact[name] = value
            else:
                lead[name] = value
        errors: dict[str, str] = {}
        contact = self._contact(row_number, contact, contact_custom, errors)
        if self.target == Target.LEADS:
            lead = self._lead(lead, lead_custom, errors)
        if errors:
            raise RowInvalid(errors)
        return PreparedRow(row_number=row_number, contact=contact, lead=lead)

    # --- contacts ------------------------------------------------------------------------

    def _contact(
        self, row_number: int, raw: dict[str, str], custom: dict[str, Any], errors: dict
    ) -> dict[str, Any]:
        full_name = raw.pop("full_name", None)
        if full_name:
            first, _, last = full_name.partition(" ")
            raw.setdefault("first_name", first)
            raw.setdefault("last_name", last.strip())
        synthetic = self.options.get("synthetic_identity")
        if synthetic:  # data with no person in it (bank-marketing): a stable made-up name
            n = row_number - 1
            raw.setdefault("first_name", synthetic.get("first_name", "Imported"))
            raw.setdefault("last_name", synthetic.get("last_name", "#{n}").format(n=n))
            raw.setdefault("source", synthetic.get("source", ""))
        values: dict[str, Any] = {}
        if "email" in raw:
            try:
                values["email"] = normalize_email(raw["email"])
            except ValidationError as exc:
                errors["email"] = exc.messages[0]
        if "phone" in raw:
            values["phone"], message = _phone(raw["phone"], self.region)
            if message:
                errors["phone"] = message
        if "tags" in raw:
            parts = raw["tags"].replace(";", ",").split(",")
            values["tags"] = sorted({p.strip().lower() for p in parts if p.strip()})
        for name in ("first_name", "last_name", "messenger_psid", "source", "street", "city",
                     "region", "postal_code", "timezone"):  # fmt: skip
            if name in raw:
                values[name] = raw[name]
        if "country" in raw:
            values["country"] = raw["country"].upper()
        for name, value in values.items():
            limit = _CONTACT_MAX.get(name)
            if limit and isinstance(value, str) and len(value) > limit:
                errors[name] = f"Ensure this value has at most {limit} characters ({len(value)})."
        clean, custom_errors = custom_clean(self.contact_defs, custom, prefix="", required=True)
        errors.update(custom_errors)
        values["custom"] = clean
        if not any(values.get(n) for n in ("first_name", "last_name", "email", "phone",
                                            "messenger_psid")):  # fmt: skip
            errors.setdefault("__all__", "A contact needs a name, an email, a phone or a PSID.")
        if not errors:
            values["timezone"], values["timezone_source"] = self.derive_timezone(values)
        return values

    def derive_timezone(self, values: dict[str, Any]) -> tuple[str, str]:
        if values.get("timezone"):
            return values["timezone"], Contact.TimezoneSource.MANUAL
        derived = _address_timezone(values.get("country", ""), values.get("region", ""))
        if derived:
            return derived, Contact.TimezoneSource.ADDRESS
        derived = _phone_timezone(values.get("phone", ""))
        if derived:
            return derived, Contact.TimezoneSource.PHONE
        return self.workspace_timezone, Contact.TimezoneSource.WORKSPACE

    # --- leads ---------------------------------------------------------------------------

    def _lead(self, raw: dict[str, str], custom: dict[str, Any], errors: dict) -> dict[str, Any]:
        values: dict[str, Any] = dict(self.options.get("lead_defaults") or {})
        for name in ("source", "campaign", "interest"):
            if raw.get(name):
                values[name] = raw[name]
        for name, value in values.items():
            limit = _LEAD_MAX.get(name)
            if limit and isinstance(value, str) and len(value) > limit:
                errors[f"lead.{name}"] = f"Ensure this value has at most {limit} characters."
        if raw.get("estimated_value"):
            try:
                amount = decimal.Decimal(raw["estimated_value"].replace(",", ""))
                if not amount.is_finite() or abs(amount) >= 10**12:
                    raise decimal.InvalidOperation
                values["estimated_value"] = amount.quantize(decimal.Decimal("0.01"))
            except decimal.InvalidOperation:
                errors["lead.estimated_value"] = f'"{raw["estimated_value"]}" is not an amount.'
        status = LeadStatus.NEW
        if raw.get("outcome"):
            text = raw["outcome"].strip().lower()
            status = self._outcomes.get(text, text)
            if status not in LeadStatus.values:
                known = ", ".join(sorted(self._outcomes) or LeadStatus.values)
                errors["lead.outcome"] = f'"{raw["outcome"]}" is not an outcome ({known}).'
        values["status"] = status
        if status in (LeadStatus.LOST, LeadStatus.DISQUALIFIED):
            reason = raw.get("lost_reason") or self.options.get("lost_reason") or "Imported"
            values["lost_reason"] = reason[: _LEAD_MAX["lost_reason"]]
        clean, custom_errors = custom_clean(self.lead_defs, custom, prefix="lead.", required=True)
        errors.update(custom_errors)
        values["custom"] = clean
        return values
