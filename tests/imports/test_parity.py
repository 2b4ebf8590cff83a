"""The import fast path (crm/imports/validation.py + engine COPY) and the service path
(contact_create / contact_prepare, lead_prepare) agree input by input: the same normalised
email and phone, time zone and its source, tags and custom values are stored, and the same rows
are rejected. The service stops at its first failing stage (normalisation, then full_clean), the
import reports every problem of a row at once, so for a rejected row the service's error keys
must be a subset of the import's, with the same message for each shared key.

The one deliberate difference is in the input, not the rules: a CSV cell of tags is split on
"," and ";" (the service takes a list), and thousands separators are dropped from a lead's
estimated value (as both paths do for custom numbers)."""

from __future__ import annotations

import random
from decimal import Decimal

import phonenumbers
import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from crm.contacts import normalize
from crm.contacts.models import Contact
from crm.contacts.services import contact_create, contact_update
from crm.customfields.services import custom_field_define
from crm.imports.models import ImportRowError
from crm.imports.services import import_job_create, import_job_run, import_job_start
from crm.imports.validation import RowInvalid, RowPreparer
from crm.leads.models import Lead
from crm.leads.services import lead_prepare
from crm.tenancy.selectors import workspace_current

from .conftest import csv_bytes

COLUMNS = [
    "first_name",
    "last_name",
    "email",
    "phone",
    "messenger_psid",
    "country",
    "region",
    "timezone",
    "tags",
    "custom.seats",
    "custom.since",
    "custom.vip",
    "custom.tier",
]
LONG = "x" * 130
LONG_EMAIL = "a" * 64 + "@" + ".".join(["b" * 60] * 4) + ".com"  # valid syntax, 310 chars

# (case, {column: cell}); the rest of the row is empty.
CASES: list[tuple[str, dict[str, str]]] = [
    ("us parens", {"first_name": "Ada", "phone": "(512) 555-0100"}),
    ("us dots", {"first_name": "Ada", "phone": "512.555.0101"}),
    ("us +1", {"first_name": "Ada", "phone": "+1 512 555 0102"}),
    ("us leading 1", {"first_name": "Ada", "phone": "1-512-555-0103"}),
    ("us bare digits", {"first_name": "Ada", "phone": "2125550104"}),
    ("us extension", {"first_name": "Ada", "phone": "+1 (212) 555-0105 ext. 7"}),
    ("uk +44", {"first_name": "Ada", "phone": "+44 20 7946 0018"}),
    ("uk 0044 (not an IDD from US)", {"first_name": "Ada", "phone": "0044 20 7946 0019"}),
    ("us 011 IDD to uk", {"first_name": "Ada", "phone": "011 44 20 7946 0020"}),
    ("spain +34", {"first_name": "Ada", "phone": "+34 912 345 678"}),
    ("australia", {"first_name": "Ada", "phone": "+61 2 9374 4000"}),
    ("ambiguous area SD", {"first_name": "Ada", "phone": "+1 605 555 0106"}),
    ("ambiguous area FL panhandle", {"first_name": "Ada", "phone": "+1 850 555 0107"}),
    ("toll free", {"first_name": "Ada", "phone": "+1 800 555 0108"}),
    ("canada", {"first_name": "Ada", "phone": "+1 416 555 0109"}),
    ("phone too short", {"first_name": "Ada", "phone": "12"}),
    ("phone words", {"first_name": "Ada", "phone": "call me maybe"}),
    ("phone 555 area", {"first_name": "Ada", "phone": "(555) 555-0110"}),
    (
        "address beats phone",
        {"first_name": "Ada", "phone": "+1 212 555 0111", "country": "us", "region": "CA"},
    ),
    (
        "unknown state falls to phone",
        {"first_name": "Ada", "phone": "+1 212 555 0112", "country": "US", "region": "ZZ"},
    ),
    ("country only", {"first_name": "Ada", "country": "es"}),
    ("country too long", {"first_name": "Ada", "country": "USA"}),
    (
        "manual zone",
        {"first_name": "Ada", "phone": "+1 212 555 0113", "timezone": "Europe/Madrid"},
    ),
    ("email upper + spaces", {"email": "  ADA@Example.COM "}),
    ("email localhost", {"email": "root@localhost"}),
    ("email no tld", {"email": "ada@example"}),
    ("email broken", {"first_name": "Ada", "email": "broken@"}),
    ("email only, invalid", {"email": "not-an-email"}),
    ("phone only, invalid", {"phone": "12"}),
    ("email too long for the column", {"email": LONG_EMAIL}),
    ("email non-ascii", {"email": "josé@example.com"}),
    ("psid only", {"messenger_psid": "psid-123"}),
    ("no identity", {"tags": "vip", "custom.seats": "3"}),
    ("nothing but a country", {"country": "US"}),
    ("name too long", {"first_name": LONG}),
    ("tags", {"first_name": "Ada", "tags": "VIP; vip , roof,,"}),
    ("tag too long", {"first_name": "Ada", "tags": "ok," + "t" * 70}),
    ("number with comma", {"first_name": "Ada", "custom.seats": "1,200"}),
    ("number decimal", {"first_name": "Ada", "custom.seats": "1.50"}),
    ("number words", {"first_name": "Ada", "custom.seats": "twelve"}),
    ("number nan", {"first_name": "Ada", "custom.seats": "NaN"}),
    ("date iso", {"first_name": "Ada", "custom.since": "2024-02-29"}),
    ("date impossible", {"first_name": "Ada", "custom.since": "2023-02-29"}),
    ("date european", {"first_name": "Ada", "custom.since": "29/02/2024"}),
    ("boolean si", {"first_name": "Ada", "custom.vip": "Sí"}),
    ("boolean no", {"first_name": "Ada", "custom.vip": "NO"}),
    ("boolean maybe", {"first_name": "Ada", "custom.vip": "maybe"}),
    ("choice any case", {"first_name": "Ada", "custom.tier": "gold"}),
    ("choice unknown", {"first_name": "Ada", "custom.tier": "platinum"}),
    (
        "many errors",
        {"first_name": LONG, "email": "broken@", "phone": "12", "custom.seats": "x"},
    ),
]
COMPARED = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "messenger_psid",
    "country",
    "region",
    "timezone",
    "timezone_source",
    "tags",
    "custom",
)


def _define_contact_fields() -> None:
    custom_field_define(entity="contact", label="Seats", field_type="number")
    custom_field_define(entity="contact", label="Since", field_type="date")
    custom_field_define(entity="contact", label="VIP", field_type="boolean")
    custom_field_define(
        entity="contact", label="Tier", field_type="choice", choices=["Gold", "Silver"]
    )


def _service_fields(cells: dict[str, str]) -> dict:
    """The row as the service takes it: the same strings; tags as the list the cell holds."""
    fields: dict = {"custom": {}}
    for column in COLUMNS:
        value = cells.get(column, "")
        if column.startswith("custom."):
            fields["custom"][column[7:]] = value
        elif column == "tags":
            fields["tags"] = value.replace(";", ",").split(",")
        else:
            fields[column] = value
    return fields


def _service(cells: dict[str, str]) -> tuple[str, dict]:
    try:
        with transaction.atomic():
            contact = contact_create(**_service_fields(cells))
    except ValidationError as exc:
        return "rejected", {k: v[0] for k, v in exc.message_dict.items()}
    contact.refresh_from_db()
    return "stored", {name: getattr(contact, name) for name in COMPARED}


def _assert_same(case: str, service: tuple[str, dict], imported: tuple[str, dict]) -> None:
    assert service[0] == imported[0], (case, service, imported)
    if service[0] == "stored":
        assert service[1] == imported[1], case
    else:
        missing = set(service[1]) - set(imported[1])
        assert not missing, (case, service[1], imported[1])
        for key, message in service[1].items():
            assert imported[1][key] == message, (case, key)


def test_import_and_service_agree_on_every_tricky_row(in_alpha):
    _define_contact_fields()
    rows = [["marker", *COLUMNS]]
    rows += [
        [f"case-{i}", *(cells.get(c, "") for c in COLUMNS)] for i, (_, cells) in enumerate(CASES)
    ]
    mapping = {"marker": "contact.source", **{c: f"contact.{c}" for c in COLUMNS}}
    job = import_job_create(
        file_name="parity.csv", content=csv_bytes(rows), mapping=mapping, duplicates="create"
    )
    import_job_start(job=job)
    job = import_job_run(job_id=job.pk)
    stored = {c.source: c for c in Contact.objects.all()}
    rejected = {e.row_number: e.errors for e in ImportRowError.objects.filter(job=job)}
    assert job.created_count + job.error_count == len(CASES)
    imported: list[tuple[str, dict]] = []
    for i, _ in enumerate(CASES):
        if f"case-{i}" in stored:
            contact = stored[f"case-{i}"]
            imported.append(("stored", {name: getattr(contact, name) for name in COMPARED}))
        else:
            imported.append(("rejected", rejected[i + 2]))
    Contact.objects.all().delete()  # so the service path starts from the same empty table
    for (case, cells), result in zip(CASES, imported, strict=True):
        _assert_same(case, _service(cells), result)
    # A few outcomes pinned, so that both paths cannot drift together unnoticed.
    by_case = dict(zip((c for c, _ in CASES), imported, strict=True))
    assert by_case["us parens"][1]["phone"] == "+15125550100"
    assert by_case["us parens"][1]["timezone"] == "America/Chicago"
    assert by_case["uk +44"][1]["phone"] == "+442079460018"
    assert by_case["us 011 IDD to uk"][1]["phone"] == "+442079460020"
    assert by_case["uk 0044 (not an IDD from US)"][0] == "rejected"
    assert by_case["ambiguous area SD"][1]["timezone_source"] == "workspace"
    assert by_case["address beats phone"][1]["timezone"] == "America/Los_Angeles"
    assert by_case["manual zone"][1]["timezone_source"] == "manual"
    assert by_case["email upper + spaces"][1]["email"] == "ada@example.com"
    assert by_case["tags"][1]["tags"] == ["roof", "vip"]
    assert by_case["number with comma"][1]["custom"] == {"seats": 1200}
    assert by_case["boolean si"][1]["custom"] == {"vip": True}
    assert set(by_case["email too long for the column"][1]) == {"email"}
    assert set(by_case["tag too long"][1]) == {"tags"}
    assert set(by_case["email only, invalid"][1]) == {"email"}  # no "__all__" on top
    assert by_case["no identity"][1] == {
        "__all__": "A contact needs a name, an email, a phone or a PSID."
    }


def test_required_custom_field_is_enforced_by_both(in_alpha):
    custom_field_define(entity="contact", label="Plan", field_type="text", required=True)
    workspace = workspace_current()
    preparer = RowPreparer(
        headers=["name", "plan"],
        mapping={"name": "contact.first_name", "plan": "contact.custom.plan"},
        target="contacts",
        options={},
        region=workspace.default_phone_region,
        workspace_timezone=workspace.timezone,
        contact_defs=_contact_defs(),
    )
    with pytest.raises(RowInvalid) as imported:
        preparer.prepare(2, ["Ada", "  "])
    with pytest.raises(ValidationError) as service:
        contact_create(first_name="Ada", custom={"plan": "  "})
    assert {k: v[0] for k, v in service.value.message_dict.items()} == imported.value.errors


def _contact_defs():
    from crm.customfields.selectors import custom_field_map

    return custom_field_map(entity="contact")


LEAD_CASES: list[tuple[str, dict[str, str]]] = [
    ("plain", {"source": "web", "campaign": "spring", "interest": "roof"}),
    ("value with comma", {"estimated_value": "1,200"}),
    ("value with cents", {"estimated_value": "1200.5"}),
    ("value exponent", {"estimated_value": "1e3"}),
    ("value three decimals", {"estimated_value": "12.345"}),
    ("value too big", {"estimated_value": "1e20"}),
    ("value words", {"estimated_value": "lots"}),
    ("value nan", {"estimated_value": "NaN"}),
    ("campaign too long", {"campaign": LONG}),
    ("custom number comma", {"custom.budget": "1,200.75"}),
    ("custom number words", {"custom.budget": "some"}),
    ("custom boolean si", {"custom.called": "sí"}),
]
LEAD_COLUMNS = [
    "source",
    "campaign",
    "interest",
    "estimated_value",
    "custom.budget",
    "custom.called",
]


def test_lead_rows_agree_with_lead_prepare(in_alpha):
    from crm.customfields.selectors import custom_field_map

    custom_field_define(entity="lead", label="Budget", field_type="number")
    custom_field_define(entity="lead", label="Called", field_type="boolean")
    workspace = workspace_current()
    headers = ["name", *LEAD_COLUMNS]
    preparer = RowPreparer(
        headers=headers,
        mapping={"name": "contact.first_name", **{c: f"lead.{c}" for c in LEAD_COLUMNS}},
        target="leads",
        options={},
        region=workspace.default_phone_region,
        workspace_timezone=workspace.timezone,
        contact_defs={},
        lead_defs=custom_field_map(entity="lead"),
    )
    contact = contact_create(first_name="Lead owner")
    for case, cells in LEAD_CASES:
        try:
            row = preparer.prepare(2, ["Ada", *(cells.get(c, "") for c in LEAD_COLUMNS)])
            imported = ("stored", row.lead)
        except RowInvalid as exc:
            imported = ("rejected", {k.removeprefix("lead."): v for k, v in exc.errors.items()})
        changes = {c: cells.get(c, "") for c in LEAD_COLUMNS if not c.startswith("custom.")}
        changes["estimated_value"] = changes["estimated_value"].replace(",", "") or None
        changes["custom"] = {c[7:]: cells.get(c, "") for c in LEAD_COLUMNS if "custom." in c}
        try:
            lead = lead_prepare(Lead(contact=contact), changes, partial=False)
            service = ("stored", lead)
        except ValidationError as exc:
            service = ("rejected", {k: v[0] for k, v in exc.message_dict.items()})
        assert service[0] == imported[0], (case, service, imported)
        if service[0] == "rejected":
            assert service[1].items() <= imported[1].items(), (case, service, imported)
            continue
        lead, values = service[1], imported[1]
        for name in ("source", "campaign", "interest"):
            assert getattr(lead, name) == values.get(name, ""), case
        expected = lead.estimated_value
        assert values.get("estimated_value") == (
            None if expected is None else Decimal(expected).quantize(Decimal("0.01"))
        ), case
        assert lead.custom == values["custom"], case


def test_update_mode_sets_a_zone_from_the_file_like_contact_update(in_alpha):
    """A zone in the file is set by hand, as contact_update does, even over a hand-set one
    and when nothing else in the row changed."""
    ada = contact_create(first_name="Ada", email="ada@x.io", timezone="Europe/Madrid")
    bob = contact_create(first_name="Bob", email="bob@x.io")
    content = csv_bytes([["email", "tz"], ["ada@x.io", "Asia/Tokyo"], ["bob@x.io", "Asia/Tokyo"]])
    job = import_job_create(
        file_name="tz.csv",
        content=content,
        duplicates="update",
        mapping={"email": "contact.email", "tz": "contact.timezone"},
    )
    import_job_start(job=job)
    job = import_job_run(job_id=job.pk)
    assert job.updated_count == 2
    ada_by_service = contact_update(
        contact=Contact.objects.get(pk=ada.pk), changes={"timezone": "Asia/Tokyo"}
    )
    for contact in (Contact.objects.get(pk=ada.pk), Contact.objects.get(pk=bob.pk)):
        assert (contact.timezone, contact.timezone_source) == ("Asia/Tokyo", "manual")
    assert (ada_by_service.timezone, ada_by_service.timezone_source) == ("Asia/Tokyo", "manual")


def test_one_parse_gives_what_two_parses_gave():
    """normalize_phone_and_timezone (one parse, memoised) and its is_valid_number shortcut
    against the library's own is_valid_number + format + timezone_from_phone (second parse)."""
    rng = random.Random(2026)
    regions = sorted(phonenumbers.SUPPORTED_REGIONS)
    texts = [f"+1{rng.randrange(2_000_000_000, 9_999_999_999)}" for _ in range(1500)]
    for _ in range(1500):
        code = phonenumbers.country_code_for_region(rng.choice(regions))
        texts.append(f"+{code}{rng.randrange(10**5, 10**11)}")
    texts += [text for _, cells in CASES if (text := cells.get("phone"))]
    valid = 0
    for text in texts:
        try:
            number = phonenumbers.parse(text, "US")
        except phonenumbers.NumberParseException:
            with pytest.raises(ValidationError, match="is not a phone number"):
                normalize.normalize_phone_and_timezone(text, region="US")
            continue
        expected_valid = phonenumbers.is_valid_number(number)
        assert normalize._is_valid_number(number) == expected_valid, text
        if not expected_valid:
            with pytest.raises(ValidationError, match="is not a valid phone number for US"):
                normalize.normalize_phone_and_timezone(text, region="US")
            continue
        valid += 1
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        zones = phonenumbers.timezone.time_zones_for_geographical_number(phonenumbers.parse(e164))
        zone = zones[0] if len(zones) == 1 and zones[0] != "Etc/Unknown" else None
        assert normalize.normalize_phone_and_timezone(text, region="US") == (e164, zone), text
        assert normalize.timezone_from_phone(e164) == zone
    assert valid > 500
