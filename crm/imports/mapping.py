"""Column mapping: which CSV header feeds which field, suggested from the headers.

A mapping is `{header: target}`. Targets are `contact.<field>`, `contact.custom.<key>`,
`lead.<field>`, `lead.custom.<key>`, or "" (ignore the column). Headers left out of the
mapping, or mapped to "", are ignored and listed as warnings on the job.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

from crm.customfields.models import Entity
from crm.customfields.selectors import custom_field_list

from .models import Target

CONTACT_TARGETS: dict[str, str] = {
    "contact.first_name": "First name",
    "contact.last_name": "Last name",
    "contact.full_name": "Full name (split into first and last)",
    "contact.email": "Email",
    "contact.phone": "Phone",
    "contact.messenger_psid": "Messenger PSID",
    "contact.street": "Street",
    "contact.city": "City",
    "contact.region": "State / region",
    "contact.postal_code": "Postal code",
    "contact.country": "Country (ISO code)",
    "contact.timezone": "Time zone",
    "contact.source": "Contact source",
    "contact.tags": "Tags (comma or semicolon separated)",
}
LEAD_TARGETS: dict[str, str] = {
    "lead.source": "Lead source",
    "lead.campaign": "Campaign",
    "lead.interest": "Interest",
    "lead.estimated_value": "Estimated value",
    "lead.outcome": "Outcome (status; values translated by the preset)",
    "lead.lost_reason": "Lost reason",
}
IDENTITY_TARGETS = frozenset(
    {"contact.first_name", "contact.last_name", "contact.full_name", "contact.email",
     "contact.phone", "contact.messenger_psid"}
)  # fmt: skip

# Normalised header → target. Normalising drops case, spaces and punctuation.
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "contact.first_name": ("firstname", "first", "givenname", "fname", "forename"),
    "contact.last_name": ("lastname", "last", "surname", "familyname", "lname"),
    "contact.full_name": ("name", "fullname", "contactname", "contact"),
    "contact.email": ("email", "emailaddress", "mail", "e-mail", "emailaddr"),
    "contact.phone": ("phone", "phonenumber", "mobile", "mobilephone", "cell", "cellphone",
                      "tel", "telephone", "phoneno"),
    "contact.messenger_psid": ("psid", "messengerpsid", "messengerid"),
    "contact.street": ("street", "address", "streetaddress", "address1"),
    "contact.city": ("city", "town"),
    "contact.region": ("state", "region", "province", "county"),
    "contact.postal_code": ("zip", "zipcode", "postalcode", "postcode"),
    "contact.country": ("country", "countrycode"),
    "contact.timezone": ("timezone", "tz"),
    "contact.tags": ("tags", "labels"),
    "lead.campaign": ("campaign", "utmcampaign"),
    "lead.interest": ("interest", "product", "service"),
    "lead.estimated_value": ("value", "estimatedvalue", "dealvalue", "amount"),
    "lead.outcome": ("status", "outcome", "result"),
    "lead.lost_reason": ("lostreason",),
}  # fmt: skip


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def available_targets(*, target: str) -> dict[str, str]:
    """Every target a job of this kind may map to, with a label for forms."""
    targets = dict(CONTACT_TARGETS)
    for definition in custom_field_list(entity=Entity.CONTACT):
        targets[f"contact.custom.{definition.key}"] = f"Contact custom: {definition.label}"
    if target == Target.LEADS:
        targets.update(LEAD_TARGETS)
        for definition in custom_field_list(entity=Entity.LEAD):
            targets[f"lead.custom.{definition.key}"] = f"Lead custom: {definition.label}"
    else:
        targets["contact.source"] = "Source"
    return targets


def suggest_mapping(*, headers: list[str], target: str) -> dict[str, str]:
    """Best guess per header; "" where nothing fits. Custom fields match on key or label."""
    targets = available_targets(target=target)
    lookup: dict[str, str] = {}
    for name, synonyms in _SYNONYMS.items():
        if name in targets:
            lookup.update(dict.fromkeys(synonyms, name))
            lookup.setdefault(_norm(name.split(".")[-1]), name)
    if target == Target.LEADS:
        lookup["source"] = "lead.source"
    else:
        lookup["source"] = "contact.source"
    for name, label in targets.items():
        if ".custom." in name:  # the more specific entity wins (lead over contact)
            lookup[_norm(name.rsplit(".", 1)[1])] = name
            lookup[_norm(label.split(": ", 1)[1])] = name
    used: set[str] = set()
    suggestion = {}
    for header in headers:
        guess = lookup.get(_norm(header), "")
        if guess in used:
            guess = ""
        used.add(guess)
        suggestion[header] = guess
    return suggestion


def mapping_validate(
    *, mapping: dict[str, str], headers: list[str], target: str, options: dict
) -> list[str]:
    """Raise on a mapping that cannot work; return warnings (ignored columns)."""
    targets = available_targets(target=target)
    errors: list[str] = []
    unknown_headers = sorted(set(mapping) - set(headers))
    if unknown_headers:
        errors.append(f"The file has no column(s): {', '.join(unknown_headers)}.")
    used: dict[str, str] = {}
    for header, name in mapping.items():
        if not name:
            continue
        if name not in targets:
            errors.append(f'Column "{header}": unknown field "{name}".')
        elif name in used:
            errors.append(f'Columns "{used[name]}" and "{header}" both map to {name}.')
        used[name] = header
    if not (IDENTITY_TARGETS & set(used)) and not options.get("synthetic_identity"):
        errors.append(
            "The mapping misses a required field: map at least one of first name, last name, "
            "full name, email, phone or Messenger PSID."
        )
    entities = [Entity.CONTACT] + ([Entity.LEAD] if target == Target.LEADS else [])
    for entity in entities:
        for definition in custom_field_list(entity=entity).filter(required=True):
            if f"{entity}.custom.{definition.key}" not in used:
                errors.append(
                    f'The mapping misses a required field: "{definition.label}" ({entity}).'
                )
    if errors:
        raise ValidationError({"mapping": errors})
    ignored = [h for h in headers if not mapping.get(h)]
    return [f'Column "{h}" is not mapped and will be ignored.' for h in ignored]
