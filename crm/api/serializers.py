"""Shared serializer pieces: strict input (unknown fields are an error, not silently dropped)."""

from __future__ import annotations

from collections.abc import Mapping

from rest_framework import serializers

from crm.team.models import User


class StrictSerializer(serializers.Serializer):
    """Input serializer that names the fields it does not know, so a typo is never lost."""

    field_hints: dict[str, str] = {}  # a better message for a field that is set elsewhere

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(set(data) - writable)
            if unknown:
                raise serializers.ValidationError(
                    {name: [self.field_hints.get(name, "Unknown field.")] for name in unknown}
                )
        return super().to_internal_value(data)


def owner_field(**kwargs) -> serializers.PrimaryKeyRelatedField:
    """A team member by id; the queryset runs in the request's schema, so another workspace's
    ids are simply not found."""
    return serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True, **kwargs
    )


class CustomValuesField(serializers.DictField):
    """Custom field values by key; the service validates them against the definitions."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("required", False)
        super().__init__(child=serializers.JSONField(), **kwargs)
