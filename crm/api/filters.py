"""Filtering on custom fields: `?custom.<key>=<value>` (or `custom__<key>`), with an optional
lookup suffix: `__gt`, `__gte`, `__lt`, `__lte`, `__in` (comma-separated), `__icontains`,
`__isnull` (true/false). Values are coerced by the field's type (number, date, choice, yes/no),
so `?custom.budget__gte=5000` compares numbers and `?custom.region=North` matches "north".
Unknown keys and bad values are a 400 naming the parameter, never an empty page.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q, QuerySet
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError
from rest_framework.filters import BaseFilterBackend

from crm.customfields.selectors import custom_field_map
from crm.customfields.services import custom_value_coerce

PREFIXES = ("custom.", "custom__")
LOOKUPS = frozenset({"exact", "gt", "gte", "lt", "lte", "in", "icontains", "isnull"})
_TRUE, _FALSE = {"true", "1", "yes"}, {"false", "0", "no"}


def _split(name: str) -> tuple[str, str]:
    rest = name.removeprefix("custom.").removeprefix("custom__")
    head, sep, tail = rest.rpartition("__")
    if sep and tail in LOOKUPS:
        return head, tail
    return rest, "exact"


class CustomFieldFilterBackend(BaseFilterBackend):
    def filter_queryset(self, request, queryset: QuerySet, view) -> QuerySet:
        entity = getattr(view, "custom_entity", None)
        params = [
            (name, value)
            for name in request.query_params
            if name.startswith(PREFIXES)
            for value in request.query_params.getlist(name)
        ]
        if not entity or not params:
            return queryset
        definitions = custom_field_map(entity=entity)
        errors: dict[str, list[str]] = {}
        for index, (name, raw) in enumerate(params):
            key, lookup = _split(name)
            definition = definitions.get(key)
            if definition is None:
                errors[name] = [f'There is no custom field "{key}" on {entity}s.']
                continue
            try:
                queryset = self._apply(queryset, index, key, lookup, raw, definition)
            except (ValueError, DjangoValidationError) as exc:
                message = exc.messages[0] if hasattr(exc, "messages") else str(exc)
                errors[name] = [message]
        if errors:
            raise ValidationError(errors)
        return queryset

    def _apply(self, queryset, index, key, lookup, raw, definition) -> QuerySet:
        if lookup == "isnull":
            value = raw.strip().lower()
            if value not in _TRUE | _FALSE:
                raise ValueError("Use true or false.")
            has = Q(custom__has_key=key)
            return queryset.filter(~has if value in _TRUE else has)
        if lookup == "icontains":
            alias = f"_custom_text_{index}"
            return queryset.alias(**{alias: KeyTextTransform(key, "custom")}).filter(
                **{f"{alias}__icontains": raw}
            )
        if lookup in ("exact", "in"):
            raws = raw.split(",") if lookup == "in" else [raw]
            match = Q()
            for one in raws:
                # Containment can use a GIN index on `custom`.
                match |= Q(custom__contains={key: custom_value_coerce(definition, one)})
            return queryset.filter(match)
        alias = f"_custom_{index}"
        value = custom_value_coerce(definition, raw)
        return queryset.alias(**{alias: KeyTransform(key, "custom")}).filter(
            **{f"{alias}__{lookup}": value}
        )

    def get_schema_operation_parameters(self, view) -> list[dict]:
        if not getattr(view, "custom_entity", None):
            return []
        parameter = OpenApiParameter(
            name="custom.{key}",
            type=str,
            location=OpenApiParameter.QUERY,
            required=False,
            description=(
                "Filter on a custom field, e.g. `custom.region=north`, `custom.budget__gte=5000`,"
                " `custom.tier__in=gold,silver`, `custom.note__icontains=roof`,"
                " `custom.region__isnull=true`."
            ),
        )
        return [
            {
                "name": parameter.name,
                "in": "query",
                "required": False,
                "description": parameter.description,
                "schema": {"type": "string"},
            }
        ]
