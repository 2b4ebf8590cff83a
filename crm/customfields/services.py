"""Custom field definitions and the validation of values against them."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from crm.audit.services import audit_changes, snapshot
from crm.errors import Conflict

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


# --- changing definitions ------------------------------------------------------------------
# A definition names values stored in every record's `custom` JSON. What would orphan or
# silently reinterpret stored values (a new key, a new type, a removed choice still in use) is
# refused with a Conflict that says how many records are affected.

ENTITY_MODELS = {
    Entity.CONTACT: "contacts.Contact",
    Entity.LEAD: "leads.Lead",
    Entity.DEAL: "deals.Deal",
}
DEFINITION_FIELDS = ("key", "label", "field_type", "choices", "required", "position")
AUDITED_DEFINITION_FIELDS = (*DEFINITION_FIELDS, "archived")


def custom_field_value_count(
    *, definition: CustomFieldDefinition, values: list[str] | None = None
) -> int:
    """How many records hold a value for the field (or, with `values`, one of those values)."""
    from django.apps import apps
    from django.db.models.fields.json import KeyTextTransform

    model = apps.get_model(ENTITY_MODELS[definition.entity])
    queryset = model.objects.filter(custom__has_key=definition.key)
    if values is not None:
        queryset = queryset.annotate(_custom_value=KeyTextTransform(definition.key, "custom"))
        queryset = queryset.filter(_custom_value__in=[str(v) for v in values])
    return queryset.count()


def _audit_definition(definition, before: dict[str, Any], *, actor, origin: str) -> None:
    audit_changes(
        entity_type="customfield",
        entity_id=definition.pk,
        before=before,
        after=snapshot(definition, AUDITED_DEFINITION_FIELDS),
        actor=actor,
        source=origin,
    )


@transaction.atomic
def custom_field_update(
    *,
    definition: CustomFieldDefinition,
    changes: dict[str, Any],
    actor=None,
    origin: str = "ui",
) -> CustomFieldDefinition:
    """Change a definition's label, choices, required flag or position (and `archived`, through
    custom_field_archive). The key and the type change only while no record holds a value;
    a choice that records use cannot be removed. The entity never changes."""
    changes = dict(changes)
    archived = changes.pop("archived", None)
    unknown = sorted(set(changes) - set(DEFINITION_FIELDS))
    if unknown:
        hint = {"entity": "A field belongs to one entity; define a new field instead."}
        raise ValidationError({n: hint.get(n, "This field cannot be set here.") for n in unknown})
    definition = CustomFieldDefinition.objects.select_for_update().get(pk=definition.pk)
    before = snapshot(definition, AUDITED_DEFINITION_FIELDS)
    entity = definition.entity
    errors: dict[str, str] = {}

    key = changes.get("key", definition.key)
    key = (key or "").strip()
    field_type = changes.get("field_type", definition.field_type)
    if field_type not in FieldType.values:
        errors["field_type"] = f'Unknown field type "{field_type}".'
    if key != definition.key:
        if not key or key in RESERVED_KEYS:
            errors["key"] = f'"{key}" cannot be used as a custom field key.'
        elif (
            CustomFieldDefinition.objects.filter(entity=entity, key=key)
            .exclude(pk=definition.pk)
            .exists()
        ):
            errors["key"] = f'A {entity} field "{key}" already exists.'
    if "label" in changes and not (changes["label"] or "").strip():
        errors["label"] = "Give the field a label."
    choices = definition.choices
    if "choices" in changes:
        choices = [str(c).strip() for c in (changes["choices"] or []) if str(c).strip()]
    if field_type == FieldType.CHOICE and not choices:
        errors["choices"] = "A choice field needs at least one choice."
    if errors:
        raise ValidationError(errors)

    conflicts: dict[str, str] = {}
    type_or_key_changes = [
        name
        for name, new in (("key", key), ("field_type", field_type))
        if new != getattr(definition, name)
    ]
    if type_or_key_changes:
        held = custom_field_value_count(definition=definition)
        if held:
            for name in type_or_key_changes:
                what = "key" if name == "key" else "type"
                conflicts[name] = (
                    f'{held} {entity}(s) hold a value for "{definition.key}"; its {what} cannot '
                    "change. Define a new field (and archive this one) instead."
                )
    if (
        "choices" in changes
        and definition.field_type == FieldType.CHOICE
        and field_type == FieldType.CHOICE
    ):
        removed = [c for c in definition.choices if c not in choices]
        if removed:
            used = custom_field_value_count(definition=definition, values=removed)
            if used:
                names = ", ".join(f'"{c}"' for c in removed)
                conflicts["choices"] = (
                    f"{used} {entity}(s) use the removed choice(s) {names}; change those "
                    "records first, or keep the choice."
                )
    if conflicts:
        raise Conflict(conflicts)

    definition.key = key
    definition.field_type = field_type
    definition.choices = choices
    if "label" in changes:
        definition.label = changes["label"].strip()
    if "required" in changes:
        definition.required = bool(changes["required"])
    if "position" in changes:
        definition.position = changes["position"]
    try:
        definition.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from exc
    definition.save()
    _audit_definition(definition, before, actor=actor, origin=origin)
    if archived is not None:
        definition = custom_field_archive(
            definition=definition, archived=archived, actor=actor, origin=origin
        )
    return definition


@transaction.atomic
def custom_field_archive(
    *,
    definition: CustomFieldDefinition,
    archived: bool = True,
    actor=None,
    origin: str = "ui",
) -> CustomFieldDefinition:
    """Hide a field from forms, validation and filters (or bring it back). Stored values stay
    in the records, so unarchiving restores them."""
    definition = CustomFieldDefinition.objects.select_for_update().get(pk=definition.pk)
    if definition.archived == bool(archived):
        return definition
    before = snapshot(definition, AUDITED_DEFINITION_FIELDS)
    definition.archived = bool(archived)
    definition.save(update_fields=["archived"])
    _audit_definition(definition, before, actor=actor, origin=origin)
    return definition
