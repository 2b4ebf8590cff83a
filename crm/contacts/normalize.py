"""Normalising what people type: emails, phone numbers (E.164) and time zones."""

from __future__ import annotations

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from phonenumbers import timezone as phone_timezones

from .us_states import US_STATE_TIMEZONES


def normalize_email(value: str) -> str:
    email = (value or "").strip().lower()
    if not email:
        return ""
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationError(f'"{value}" is not a valid email address.') from exc
    return email


def normalize_phone(value: str, *, region: str = "US") -> str:
    """Any reasonable format to E.164 ("+15125550100"); "" stays ""."""
    text = (value or "").strip()
    if not text:
        return ""
    try:
        number = phonenumbers.parse(text, None if text.startswith("+") else region)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(f'"{value}" is not a phone number.') from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(f'"{value}" is not a valid phone number for {region}.')
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_search_variants(value: str, *, region: str = "US") -> str | None:
    """E.164 form of a search string that looks like a phone, else None."""
    try:
        return normalize_phone(value, region=region)
    except ValidationError:
        return None


def timezone_from_phone(e164: str) -> str | None:
    if not e164:
        return None
    try:
        zones = phone_timezones.time_zones_for_geographical_number(phonenumbers.parse(e164))
    except phonenumbers.NumberParseException:
        return None
    # An ambiguous area (several zones) is no better than a guess: leave it to the caller.
    if len(zones) == 1 and zones[0] != phone_timezones.UNKNOWN_TIMEZONE:
        return zones[0]
    return None


def timezone_from_address(*, country: str, region: str) -> str | None:
    country = (country or "").upper()
    if country == "US":
        return US_STATE_TIMEZONES.get((region or "").strip().upper())
    if not country:
        return None
    code = phonenumbers.country_code_for_region(country)
    zones = phone_timezones.TIMEZONE_DATA.get(str(code)) if code else None
    return zones[0] if zones and len(zones) == 1 else None
