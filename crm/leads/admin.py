"""Managers' admin for leads. The status is never edited in the form: it changes only through
lead_transition / lead_convert, from the "Change status…" and "Convert to deal" actions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from crm.adminkit import (
    ORIGIN,
    ReadOnlyAdminMixin,
    ReadOnlyInline,
    ServiceModelAdmin,
    export_csv_action,
    render_action_form,
    run_per_row,
)
from crm.contacts.admin import ContactAdmin
from crm.tenancy.admin_sites import workspace_admin

from .models import Lead, LeadStatus, LeadStatusChange
from .services import (
    LEAD_FIELDS,
    lead_convert,
    lead_create,
    lead_delete,
    lead_transition,
    lead_update,
)
from .status import NEEDS_REASON


class ChangeStatusForm(forms.Form):
    to_status = forms.ChoiceField(
        label="New status",
        # Converting creates a deal: that is the "Convert to deal" action.
        choices=[(s.value, s.label) for s in LeadStatus if s != LeadStatus.CONVERTED],
    )
    reason = forms.CharField(
        required=False,
        max_length=255,
        help_text=f"Required for: {', '.join(sorted(NEEDS_REASON))}.",
    )


class StatusChangeInline(ReadOnlyInline):
    model = LeadStatusChange
    fields = ("from_status", "to_status", "reason", "changed_by", "changed_at")
    select_related = ("changed_by",)
    show_change_link = False


class ContactLeadInline(ReadOnlyInline):
    model = Lead
    fields = ("status", "source", "campaign", "owner", "created_at")
    select_related = ("owner",)
    verbose_name_plural = "leads"


@admin.register(Lead, site=workspace_admin)
class LeadAdmin(ServiceModelAdmin):
    service_fields = ("contact", *LEAD_FIELDS)
    audit_entity = "lead"
    deleted_with_record = ("leads.LeadStatusChange",)

    list_display = (
        "id",
        "contact",
        "status",
        "source",
        "campaign",
        "owner",
        "estimated_value",
        "first_response_seconds",
        "created_at",
    )
    list_display_links = ("id", "contact")
    list_filter = ("status", "source", "owner", "created_at")
    list_select_related = ("contact", "owner")
    search_fields = (
        "contact__first_name",
        "contact__last_name",
        "contact__email",
        "contact__phone",
        "campaign",
        "interest",
    )
    autocomplete_fields = ("contact", "owner")
    date_hierarchy = "created_at"
    readonly_fields = (
        "status",
        "lost_reason",
        "status_changed_at",
        "first_response_at",
        "first_response_seconds",
        "converted_deal",
        "created_at",
        "updated_at",
        "audit_history",
    )
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "contact",
                    "status",
                    "lost_reason",
                    "owner",
                    "source",
                    "campaign",
                    "interest",
                    "estimated_value",
                )
            },
        ),
        ("Attribution and custom fields", {"fields": ("attribution", "custom")}),
        (
            "Progress",
            {
                "fields": (
                    "status_changed_at",
                    "first_response_at",
                    "first_response_seconds",
                    "converted_deal",
                    "created_at",
                    "updated_at",
                )
            },
        ),
        ("History", {"fields": ("audit_history",)}),
    )
    inlines = [StatusChangeInline]
    actions = ["change_status", "convert_to_deal", "reassign_owner", export_csv_action("lead")]

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        # A lead's contact is fixed once created (lead_update does not move it).
        return (*self.readonly_fields, "contact") if obj else self.readonly_fields

    def service_create(self, request: HttpRequest, data: dict[str, Any]) -> Lead:
        data = dict(data)
        return lead_create(contact=data.pop("contact"), actor=request.user, origin=ORIGIN, **data)

    def service_update(self, request: HttpRequest, obj: Lead, changes: dict) -> Lead:
        return lead_update(lead=obj, changes=changes, actor=request.user, origin=ORIGIN)

    def service_delete(self, request: HttpRequest, obj: Lead) -> None:
        lead_delete(lead=obj, actor=request.user, origin=ORIGIN)

    @admin.action(description="Change status…", permissions=["change"])
    def change_status(self, request: HttpRequest, queryset: QuerySet[Lead]):
        form = ChangeStatusForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return render_action_form(
                request,
                self,
                queryset,
                form=form,
                action="change_status",
                title="Change the status of leads",
                submit="Change status",
            )
        to_status, reason = form.cleaned_data["to_status"], form.cleaned_data["reason"]
        run_per_row(
            request,
            self,
            queryset,
            lambda lead: lead_transition(
                lead=lead, to_status=to_status, reason=reason, actor=request.user, origin=ORIGIN
            ),
            done=f"moved to {to_status}",
        )
        return None

    @admin.action(description="Convert to deal", permissions=["change"])
    def convert_to_deal(self, request: HttpRequest, queryset: QuerySet[Lead]) -> None:
        run_per_row(
            request,
            self,
            queryset,
            lambda lead: lead_convert(lead=lead, actor=request.user, origin=ORIGIN),
            done="converted to deals",
        )


@admin.register(LeadStatusChange, site=workspace_admin)
class LeadStatusChangeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("lead", "from_status", "to_status", "reason", "changed_by", "changed_at")
    list_filter = ("to_status", "from_status", "changed_by")
    list_select_related = ("lead__contact", "changed_by")
    search_fields = ("lead__contact__email", "lead__contact__last_name", "reason")
    date_hierarchy = "changed_at"


ContactAdmin.inlines = [*ContactAdmin.inlines, ContactLeadInline]
