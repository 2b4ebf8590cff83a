"""Partner API for custom field definitions (the keys used in `custom` and `?custom.<key>=`)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers

from crm.api.crud import ServiceViewSet
from crm.api.serializers import StrictSerializer
from crm.api.views import ORIGIN, actor_of

from . import services
from .models import CustomFieldDefinition, Entity, FieldType


class CustomFieldOutput(serializers.ModelSerializer):
    class Meta:
        model = CustomFieldDefinition
        fields = (
            "id", "entity", "key", "label", "field_type", "choices", "required", "position",
            "archived", "created_at",
        )  # fmt: skip
        read_only_fields = fields


class CustomFieldInput(StrictSerializer):
    entity = serializers.ChoiceField(choices=Entity.choices)
    label = serializers.CharField(max_length=120)
    field_type = serializers.ChoiceField(choices=FieldType.choices)
    key = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    choices = serializers.ListField(child=serializers.CharField(max_length=120), required=False)
    required = serializers.BooleanField(default=False)
    position = serializers.IntegerField(min_value=0, default=0)


class CustomFieldUpdate(StrictSerializer):
    field_hints = {"entity": "A field belongs to one entity; define a new field instead."}
    label = serializers.CharField(max_length=120, required=False)
    key = serializers.CharField(max_length=64, required=False)
    field_type = serializers.ChoiceField(choices=FieldType.choices, required=False)
    choices = serializers.ListField(child=serializers.CharField(max_length=120), required=False)
    required = serializers.BooleanField(required=False)
    position = serializers.IntegerField(min_value=0, required=False)
    archived = serializers.BooleanField(required=False)


@extend_schema_view(
    create=extend_schema(request=CustomFieldInput, responses={201: CustomFieldOutput}),
    partial_update=extend_schema(request=CustomFieldUpdate, responses=CustomFieldOutput),
)
class CustomFieldViewSet(ServiceViewSet):
    """PATCH only: no PUT (a definition is changed field by field, and its key and type are
    guarded) and no DELETE (archive it: records keep their values)."""

    scope_resource = "customfields"
    http_method_names = ["get", "post", "patch", "head", "options"]
    output_serializer_class = CustomFieldOutput
    input_serializer_class = CustomFieldInput
    update_serializer_class = CustomFieldUpdate
    filterset_fields = ("entity", "field_type", "archived")
    ordering_fields = ("id", "position", "key")
    search_fields = ("key", "label")

    def get_queryset(self):
        return CustomFieldDefinition.objects.all()

    def service_create(self, data: dict[str, Any]) -> CustomFieldDefinition:
        return services.custom_field_define(**data)

    def service_update(
        self, instance: CustomFieldDefinition, data: dict[str, Any]
    ) -> CustomFieldDefinition:
        return services.custom_field_update(
            definition=instance, changes=data, actor=actor_of(self.request), origin=ORIGIN
        )
