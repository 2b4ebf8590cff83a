"""Managers' admin for custom field definitions. New fields go through custom_field_define;
a field's entity and key are fixed, and its type cannot change once records hold values."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from crm.adminkit import ORIGIN, ServiceModelAdmin
from crm.tenancy.admin_sites import workspace_admin

from .models import CustomFieldDefinition
from .services import custom_field_define, custom_field_update


@admin.register(CustomFieldDefinition, site=workspace_admin)
class CustomFieldDefinitionAdmin(ServiceModelAdmin):
    service_fields = (
        "entity",
        "label",
        "field_type",
        "key",
        "choices",
        "required",
        "position",
        "archived",
    )
    list_display = ("label", "entity", "key", "field_type", "required", "archived", "position")
    list_filter = ("entity", "field_type", "archived", "required")
    search_fields = ("label", "key")
    fields = (
        "entity",
        "key",
        "label",
        "field_type",
        "choices",
        "required",
        "position",
        "archived",
        "created_at",
    )
    readonly_fields = ("created_at",)

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        # The key names the values stored in every record's JSON: renaming would orphan them.
        return (*self.readonly_fields, "entity", "key") if obj else self.readonly_fields

    def service_create(self, request: HttpRequest, data: dict[str, Any]) -> CustomFieldDefinition:
        data = dict(data)
        archived = data.pop("archived", False)
        definition = custom_field_define(**{k: v for k, v in data.items() if v is not None})
        if archived:
            definition.archived = True
            definition.save(update_fields=["archived"])
        return definition

    def service_update(
        self, request: HttpRequest, obj: CustomFieldDefinition, changes: dict
    ) -> CustomFieldDefinition:
        return custom_field_update(
            definition=obj, changes=changes, actor=request.user, origin=ORIGIN
        )
