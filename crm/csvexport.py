"""CSV export of any filtered list of CRM records (used by the admin, the API and the UI).

    for line in csv_export(entity="contact", queryset=contacts): ...

The header comes first; each workspace custom field is a `custom.<key>` column (the names the
import reads back); foreign keys are written as readable values (a company's name, an owner's
email), not ids. Text cells that a spreadsheet would run as a formula (starting with = + - @,
or a tab / carriage return) are prefixed with a single quote (OWASP "CSV injection"), which
also applies to E.164 phones ("'+15125550100").
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
from collections.abc import Callable, Iterator
from typing import Any

from django.db.models import QuerySet

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
Column = tuple[str, Callable[[Any], Any]]


def _attr(path: str) -> Callable[[Any], Any]:
    """`"company.name"` → a getter that follows the path, None when a link is empty."""
    parts = path.split(".")

    def get(record: Any) -> Any:
        value = record
        for part in parts:
            value = getattr(value, part, None)
            if value is None:
                return None
        return value

    return get


def _columns(names: list[str]) -> list[Column]:
    # "header=path" when the header differs from the attribute path.
    result = []
    for name in names:
        header, _, path = name.partition("=")
        result.append((header, _attr(path or header)))
    return result


_ADDRESS = ["street", "city", "region", "postal_code", "country"]
COLUMNS: dict[str, list[Column]] = {
    "contact": _columns(
        [
            "id",
            "first_name",
            "last_name",
            "email",
            "phone",
            "messenger_psid",
            "company=company.name",
            *_ADDRESS,
            "timezone",
            "owner=owner.email",
            "source",
            "tags",
            "lifecycle_stage",
            "created_at",
            "updated_at",
        ]
    ),
    "company": _columns(
        [
            "id",
            "name",
            "domain",
            "industry",
            "employee_count",
            "annual_revenue",
            *_ADDRESS,
            "owner=owner.email",
            "lifecycle_stage",
            "created_at",
            "updated_at",
        ]
    ),
    "lead": _columns(
        [
            "id",
            "contact=contact",
            "contact_email=contact.email",
            "contact_phone=contact.phone",
            "source",
            "campaign",
            "interest",
            "estimated_value",
            "status",
            "lost_reason",
            "owner=owner.email",
            "converted_deal=converted_deal.name",
            "first_response_at",
            "created_at",
        ]
    ),
    "deal": _columns(
        [
            "id",
            "name",
            "company=company.name",
            "primary_contact=primary_contact",
            "amount",
            "currency",
            "pipeline=pipeline.name",
            "stage=stage.name",
            "owner=owner.email",
            "expected_close_date",
            "closed_at",
            "lost_reason",
            "created_at",
        ]
    ),
}
# Loaded with the rows so the export makes one query per chunk, not one per row.
RELATED: dict[str, tuple[str, ...]] = {
    "contact": ("company", "owner"),
    "company": ("owner",),
    "lead": ("contact", "owner", "converted_deal"),
    "deal": ("company", "primary_contact", "pipeline", "stage", "owner"),
}
CUSTOM_ENTITIES = frozenset({"contact", "lead", "deal"})


def csv_safe(value: Any) -> str:
    """One cell as text, neutralised if a spreadsheet would evaluate it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        value = "; ".join(str(v) for v in value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, int | float | decimal.Decimal):
        return str(value)  # a number is data, never a formula (e.g. a negative amount)
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text


def _line(cells: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(cells)
    return buffer.getvalue()


def csv_export(*, entity: str, queryset: QuerySet) -> Iterator[str]:
    """Yield CSV lines (header first) for `queryset` of `entity` ("contact", "company",
    "lead", "deal"), custom fields as `custom.<key>` columns."""
    if entity not in COLUMNS:
        raise ValueError(f'Cannot export "{entity}" (one of: {", ".join(COLUMNS)}).')
    from crm.customfields.selectors import custom_field_list

    columns = COLUMNS[entity]
    custom_keys = (
        list(custom_field_list(entity=entity).values_list("key", flat=True))
        if entity in CUSTOM_ENTITIES
        else []
    )
    yield _line([header for header, _ in columns] + [f"custom.{key}" for key in custom_keys])
    rows = queryset.select_related(*RELATED[entity]).iterator(chunk_size=1000)
    for record in rows:
        cells = [csv_safe(get(record)) for _, get in columns]
        custom = getattr(record, "custom", None) or {}
        cells += [csv_safe(custom.get(key)) for key in custom_keys]
        yield _line(cells)
