"""The audit trail in the admin: read-only for everyone (no add, change or delete)."""

from __future__ import annotations

from django.contrib import admin
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from crm.adminkit import ReadOnlyAdminMixin
from crm.tenancy.admin_sites import workspace_admin

from .models import AuditEvent

# entity_type → admin URL name of the record's change page.
RECORD_PAGES = {
    "contact": "contacts_contact",
    "company": "contacts_company",
    "lead": "leads_lead",
    "deal": "deals_deal",
}


@admin.register(AuditEvent, site=workspace_admin)
class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "occurred_at",
        "entity_type",
        "record",
        "action",
        "field",
        "old_value",
        "new_value",
        "actor",
        "source",
    )
    list_filter = ("entity_type", "action", "source", "actor", "occurred_at")
    list_select_related = ("actor",)
    search_fields = ("field",)
    date_hierarchy = "occurred_at"
    actions = None

    @admin.display(description="Record", ordering="entity_id")
    def record(self, obj: AuditEvent) -> str:
        page = RECORD_PAGES.get(obj.entity_type)
        if page is None:
            return f"#{obj.entity_id}"
        try:
            url = reverse(f"{self.admin_site.name}:{page}_change", args=[obj.entity_id])
        except NoReverseMatch:
            return f"#{obj.entity_id}"
        return format_html('<a href="{}">#{}</a>', url, obj.entity_id)
