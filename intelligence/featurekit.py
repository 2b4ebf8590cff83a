"""Pieces every model's features share: reading raw values as numbers or categories, and a
workspace's custom fields used automatically by type."""

from __future__ import annotations

import math
from collections.abc import Iterable

from crm.customfields.models import CustomFieldDefinition, FieldType


def feature_number(value: object) -> float | None:
    """A finite float or None: NaN, infinities, text and booleans read as missing values
    (a "nan" typed into a number field or a bad import never breaks a model)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, ArithmeticError):
        return None
    return number if math.isfinite(number) else None


def feature_category(value: object) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def custom_field_columns(
    *, entity: str, exclude: Iterable[str] = ()
) -> tuple[list[str], list[str], dict[str, str]]:
    """(numeric, categorical, labels) for the entity's live custom fields as `cf_<key>`
    columns: numbers as numbers, choice and yes/no as categories; text and dates unused."""
    numeric: list[str] = []
    categorical: list[str] = []
    labels: dict[str, str] = {}
    skipped = set(exclude)
    definitions = CustomFieldDefinition.objects.filter(entity=entity, archived=False)
    for definition in definitions.order_by("position", "key"):
        if definition.key in skipped:
            continue
        name = f"cf_{definition.key}"
        if definition.field_type == FieldType.NUMBER:
            numeric.append(name)
        elif definition.field_type in (FieldType.CHOICE, FieldType.BOOLEAN):
            categorical.append(name)
        else:
            continue
        labels[name] = definition.label
    return numeric, categorical, labels
