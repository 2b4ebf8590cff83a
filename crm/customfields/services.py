"""Custom field definitions and the validation of values against them."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from .models import CustomFieldDefinition, Entity, FieldType
from .selectors import custom_field_map

_TRUE = {"true", "yes", "y", "1", "on", "si", "sí"}
_FALSE = {"false", "no", "n", "0", "off"}
RESERVED_KEYS = frozenset({"id", "email", "phone", "status", "owner", "custom", "name"})


def _coerce(definition: CustomFieldDefinition, value: Any) -> Any:
    """One value to its stored JSON form, or ValueError with a message for a person."""
    kind = definition.field_type
    if kind == FieldType.TEXT:
        return str(value).strip()
    if kind == FieldType.NUMBER:
        if isinstance(value, bool):
            raise ValueError("expected a number")
        try:
            number = decimal.Decimal(str(value).strip().replace(",", ""))
        except decimal.InvalidOperation as exc:
            raise ValueError(f'"{value}" is not a number') from exc
        if not number.is_finite():
            raise ValueError("expected a finite number")
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == FieldType.DATE:
        if isinstance(value, dt.date):
            return value.isoformat()
        try:
            return dt.date.fromisoformat(str(value).strip()).isoformat()
        except ValueError as exc:
            raise ValueError(f'"{value}" is not a date (use YYYY-MM-DD)') from exc
    if kind == FieldType.BOOLEAN:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError(f'"{value}" is not yes or no')
    if kind == FieldType.CHOICE:
        text = str(value).strip()
        for choice in definition.choices:
            if text.lower() == str(choice).lower():
                return choice
        raise ValueError(f'"{value}" is not one of: {", ".join(map(str, definition.choices))}')
    raise ValueError(f"unknown field type {kind}")


def custom_values_clean(
    *,
    entity: str,
    values: dict[str, Any] | None,
    existing: dict[str, Any] | None = None,
    partial: bool = False,
) -> dict[str, Any]:
    """Validate `values` against the workspace's definitions and merge them over `existing`.

    Unknown keys, wrong types and missing required fields raise ValidationError keyed
    `custom.<key>`. Empty values ("" or None) clear a field.
    """
    definitions = custom_field_map(entity=entity)
    merged = dict(existing or {})
    errors: dict[str, str] = {}
    for key, value in (values or {}).items():
        definition = definitions.get(key)
        if definition is None:
            errors[f"custom.{key}"] = f'There is no custom field "{key}" on {entity}s.'
            continue
        if value is None or (isinstance(value, str) and not value.strip()):
            merged.pop(key, None)
            continue
        try:
            merged[key] = _coerce(definition, value)
        except ValueError as exc:
            errors[f"custom.{key}"] = f"{definition.label}: {exc}."
    if not partial:
        for key, definition in definitions.items():
            if definition.required and key not in merged and f"custom.{key}" not in errors:
                errors[f"custom.{key}"] = f"{definition.label} is required."
    if errors:
        raise ValidationError(errors)
    return merged


@transaction.atomic
def custom_field_define(
    *,
    entity: str,
    label: str,
    field_type: str,
    key: str = "",
    choices: list | None = None,
    required: bool = False,
    position: int = 0,
) -> CustomFieldDefinition:
    if entity not in Entity.values:
        raise ValidationError({"entity": f'Unknown entity "{entity}".'})
    if field_type not in FieldType.values:
        raise ValidationError({"field_type": f'Unknown field type "{field_type}".'})
    key = (key or slugify(label).replace("-", "_"))[:64]
    if not key or key in RESERVED_KEYS:
        raise ValidationError({"key": f'"{key}" cannot be used as a custom field key.'})
    if CustomFieldDefinition.objects.filter(entity=entity, key=key).exists():
        raise ValidationError({"key": f'A {entity} field "{key}" already exists.'})
    choices = [str(c).strip() for c in (choices or []) if str(c).strip()]
    if field_type == FieldType.CHOICE and not choices:
        raise ValidationError({"choices": "A choice field needs at least one choice."})
    return CustomFieldDefinition.objects.create(
        entity=entity,
        key=key,
        label=label.strip(),
        field_type=field_type,
        choices=choices,
        required=required,
        position=position,
    )


def custom_value_coerce(definition: CustomFieldDefinition, value: Any) -> Any:
    """One value to its stored form by the field's type (used to build filters); raises
    ValidationError with a message for a person."""
    try:
        return _coerce(definition, value)
    except ValueError as exc:
        raise ValidationError(f"{definition.label}: {exc}.") from exc
