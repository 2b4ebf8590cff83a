"""Normalising what people type: emails, phone numbers (E.164) and time zones."""

from __future__ import annotations

from functools import lru_cache

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, validate_email
from phonenumbers import phonenumberutil as pnu
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


def _is_valid_number(number: phonenumbers.PhoneNumber) -> bool:
    """phonenumbers.is_valid_number without its second type check (pinned phonenumbers==9.0.43).

    is_valid_number = is_valid_number_for_region(n, region_code_for_number(n)). For a
    country code shared by several regions (+1: US, CA, …), region_code_for_number returns
    the first region whose leading digits match or whose number patterns give a known type,
    and is_valid_number_for_region then recomputes that very type with the same metadata
    (a shared code never includes the non-geographic "001", and every region in the list has
    this country code). So when the region was found by its type, the number is valid and the
    answer is True without computing the type again; every other case defers to the library.
    tests/imports/test_parity.py checks it against is_valid_number number by number."""
    regions = pnu.COUNTRY_CODE_TO_REGION_CODE.get(number.country_code)
    if regions is None or len(regions) == 1:
        return phonenumbers.is_valid_number(number)
    national = pnu.national_significant_number(number)
    for region in regions:
        metadata = phonenumbers.PhoneMetadata.metadata_for_region(region.upper(), None)
        if metadata is None:
            continue
        if metadata.leading_digits is not None:
            if pnu.re_compile(metadata.leading_digits).match(national):
                return phonenumbers.is_valid_number_for_region(number, region)
        elif pnu._number_type_helper(national, metadata) != phonenumbers.PhoneNumberType.UNKNOWN:
            return True
    return False


EMAIL_MAX_LENGTH = 254  # Contact.email (EmailField's default); validate_email allows 320


def email_check_length(email: str) -> None:
    """ValidationError, worded as full_clean's, if `email` is too long for Contact.email."""
    MaxLengthValidator(EMAIL_MAX_LENGTH)(email)


@lru_cache(maxsize=65536)
def _phone_parse(text: str, region: str) -> tuple[str, str | None, str]:
    """(e164, zone or None, "") or ("", None, "unparsable" | "invalid") for a stripped text.

    A pure function of (text, region) over phonenumbers' static metadata, so it is memoised:
    an import repeats the same numbers, and the service path parses each phone only once."""
    try:
        number = phonenumbers.parse(text, None if text.startswith("+") else region)
    except phonenumbers.NumberParseException:
        return "", None, "unparsable"
    if not _is_valid_number(number):
        return "", None, "invalid"
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return e164, _zone_of_e164(e164), ""


def normalize_phone_and_timezone(value: str, *, region: str = "US") -> tuple[str, str | None]:
    """normalize_phone and timezone_from_phone of its result, from ONE parse of the number:
    (E.164, zone or None); ("", None) for an empty value; ValidationError if invalid."""
    text = (value or "").strip()
    if not text:
        return "", None
    e164, zone, error = _phone_parse(text, region)
    if error == "unparsable":
        raise ValidationError(f'"{value}" is not a phone number.')
    if error:
        raise ValidationError(f'"{value}" is not a valid phone number for {region}.')
    return e164, zone


def normalize_phone(value: str, *, region: str = "US") -> str:
    """Any reasonable format to E.164 ("+15125550100"); "" stays ""."""
    return normalize_phone_and_timezone(value, region=region)[0]


def phone_search_variants(value: str, *, region: str = "US") -> str | None:
    """E.164 form of a search string that looks like a phone, else None."""
    try:
        return normalize_phone(value, region=region)
    except ValidationError:
        return None


def _zone_of_e164(e164: str) -> str | None:
    """The zone of a number already formatted as E.164. time_zones_for_geographical_number
    formats its argument as E.164 and looks the longest prefix up; a valid number's E.164
    form re-parses to itself, so this is that lookup without parsing again."""
    zones: tuple[str, ...] = (phone_timezones.UNKNOWN_TIMEZONE,)
    for length in range(phone_timezones.TIMEZONE_LONGEST_PREFIX, 0, -1):
        prefix = e164[1 : 1 + length]
        if prefix in phone_timezones.TIMEZONE_DATA:
            zones = phone_timezones.TIMEZONE_DATA[prefix]
            break
    # An ambiguous area (several zones) is no better than a guess: leave it to the caller.
    if len(zones) == 1 and zones[0] != phone_timezones.UNKNOWN_TIMEZONE:
        return zones[0]
    return None


@lru_cache(maxsize=65536)
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
    return _address_zone(country or "", region or "")


@lru_cache(maxsize=4096)
def _address_zone(country: str, region: str) -> str | None:
    country = (country or "").upper()
    if country == "US":
        return US_STATE_TIMEZONES.get((region or "").strip().upper())
    if not country:
        return None
    code = phonenumbers.country_code_for_region(country)
    zones = phone_timezones.TIMEZONE_DATA.get(str(code)) if code else None
    return zones[0] if zones and len(zones) == 1 else None
