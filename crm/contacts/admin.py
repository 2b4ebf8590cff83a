"""Managers' admin for companies, contacts, consent and the do-not-contact list."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Model, QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import path, reverse

from crm.adminkit import (
    ORIGIN,
    ServiceModelAdmin,
    export_csv_action,
    refusal_text,
    render_action_form,
)
from crm.tenancy.admin_sites import workspace_admin

from .identity import (
    company_duplicate_groups,
    company_merge,
    contact_duplicate_groups,
    contact_merge,
    merged_ids,
)
from .models import Company, ConsentRecord, Contact, DoNotContact
from .services import (
    COMPANY_FIELDS,
    CONTACT_FIELDS,
    company_create,
    company_delete,
    company_update,
    consent_record,
    contact_create,
    contact_delete,
    contact_update,
    dnc_add,
    dnc_remove,
)

_ADDRESS = ("street", "city", "region", "postal_code", "country")


class MergeForm(forms.Form):
    survivor = forms.TypedChoiceField(
        coerce=int,
        widget=forms.RadioSelect,
        label="Keep",
        help_text="The other record is merged into this one, then deleted. Its leads, deals, "
        "activities, tasks and consent records move over; blanks are filled from it.",
    )

    def __init__(self, *args, records: list[Model], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["survivor"].choices = [(r.pk, f"{r} (#{r.pk})") for r in records]
        self.fields["survivor"].initial = records[0].pk


class MergeActionMixin:
    """'Merge two duplicates…': pick exactly two, choose the survivor, call the merge service."""

    merge_service = None
    preview_fields: tuple[str, ...] = ()
    preview_counts: tuple[tuple[str, str], ...] = ()  # (label, related name)

    def _preview(self, records: list[Model]) -> dict:
        rows: list[tuple[str, list[Any]]] = []
        for name in self.preview_fields:
            label = self.model._meta.get_field(name).verbose_name
            rows.append((label, [getattr(r, name) or "—" for r in records]))
        if self.preview_counts:
            counted = self.model._default_manager.filter(pk__in=[r.pk for r in records]).annotate(
                **{f"n_{rel}": Count(rel, distinct=True) for _, rel in self.preview_counts}
            )
            by_pk = {r.pk: r for r in counted}
            for label, rel in self.preview_counts:
                rows.append((label, [getattr(by_pk[r.pk], f"n_{rel}") for r in records]))
        return {"headers": [f"#{r.pk} {r}" for r in records], "rows": rows}

    @admin.action(description="Merge two duplicates…", permissions=["change"])
    def merge_selected(self, request: HttpRequest, queryset: QuerySet):
        records = list(queryset.order_by("created_at", "id")[:3])
        if len(records) != 2:
            self.message_user(
                request,
                f"Select exactly two {self.opts.verbose_name_plural} to merge "
                f"({len(records) if len(records) < 3 else 'more than two'} selected).",
                messages.ERROR,
            )
            return None
        form = MergeForm(request.POST if "apply" in request.POST else None, records=records)
        if not form.is_valid():
            return render_action_form(
                request,
                self,
                queryset,
                form=form,
                action="merge_selected",
                title=f"Merge two {self.opts.verbose_name_plural}",
                submit="Merge",
                preview=self._preview(records),
            )
        survivor_pk = form.cleaned_data["survivor"]
        survivor = next(r for r in records if r.pk == survivor_pk)
        duplicate = next(r for r in records if r.pk != survivor_pk)
        try:
            type(self).merge_service(
                survivor=survivor, duplicate=duplicate, actor=request.user, origin=ORIGIN
            )
        except ValidationError as exc:
            self.message_user(request, f"Not merged: {refusal_text(exc)}", messages.ERROR)
            return None
        self.message_user(
            request, f"Merged #{duplicate.pk} into {survivor} (#{survivor.pk}).", messages.SUCCESS
        )
        return None

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "duplicates/",
                self.admin_site.admin_view(self.duplicates_view),
                name="{}_{}_duplicates".format(*info),
            ),
            *super().get_urls(),
        ]

    def duplicates_view(self, request: HttpRequest) -> TemplateResponse:
        if not self.has_change_permission(request):
            raise PermissionDenied
        request.current_app = self.admin_site.name
        changelist = reverse(
            f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_changelist"
        )
        context = {
            **self.admin_site.each_context(request),
            "title": f"Possible duplicate {self.opts.verbose_name_plural}",
            "opts": self.opts,
            "groups": self.duplicate_groups(),
            "changelist": changelist,
        }
        return TemplateResponse(request, "admin/crm/duplicates.html", context)

    def duplicate_groups(self):
        raise NotImplementedError


# --- companies ---------------------------------------------------------------------------


class CompanyContactInline(admin.TabularInline):
    model = Contact
    fields = ("first_name", "last_name", "email", "phone", "owner")
    readonly_fields = fields
    extra = 0
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # contacts are created through their own form (and its service)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("owner")


@admin.register(Company, site=workspace_admin)
class CompanyAdmin(MergeActionMixin, ServiceModelAdmin):
    service_fields = COMPANY_FIELDS
    audit_entity = "company"
    merge_service = company_merge
    preview_fields = ("name", "domain", "industry", "city", "owner", "lifecycle_stage")
    preview_counts = (("Contacts", "contacts"), ("Deals", "deals"))

    list_display = ("name", "domain", "industry", "owner", "lifecycle_stage", "created_at")
    list_filter = ("lifecycle_stage", "industry", "owner")
    list_select_related = ("owner",)
    search_fields = ("name", "domain")
    autocomplete_fields = ("owner",)
    date_hierarchy = "created_at"
    readonly_fields = (
        "became_customer_at",
        "churned_at",
        "created_at",
        "updated_at",
        "audit_history",
    )
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "name",
                    "domain",
                    "industry",
                    "employee_count",
                    "annual_revenue",
                    "owner",
                    "lifecycle_stage",
                )
            },
        ),
        ("Address", {"fields": (*_ADDRESS, "latitude", "longitude")}),
        ("Dates", {"fields": ("became_customer_at", "churned_at", "created_at", "updated_at")}),
        ("History", {"fields": ("audit_history",)}),
    )
    inlines = [CompanyContactInline]
    actions = ["reassign_owner", export_csv_action("company"), "merge_selected"]

    def service_create(self, request: HttpRequest, data: dict[str, Any]) -> Company:
        data = dict(data)
        return company_create(name=data.pop("name"), actor=request.user, origin=ORIGIN, **data)

    def service_update(self, request: HttpRequest, obj: Company, changes: dict) -> Company:
        return company_update(company=obj, changes=changes, actor=request.user, origin=ORIGIN)

    def service_delete(self, request: HttpRequest, obj: Company) -> None:
        company_delete(company=obj, actor=request.user, origin=ORIGIN)

    def audit_ids(self, obj: Company) -> list[int]:
        return [obj.pk, *merged_ids(entity_type="company", entity_id=obj.pk)]

    def duplicate_groups(self):
        return company_duplicate_groups()


# --- contacts ----------------------------------------------------------------------------


class ConsentInline(admin.TabularInline):
    model = ConsentRecord
    fields = ("channel", "status", "source", "method", "occurred_at", "recorded_by")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # consent is proof: recorded through its own form, never edited

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("recorded_by")


@admin.register(Contact, site=workspace_admin)
class ContactAdmin(MergeActionMixin, ServiceModelAdmin):
    service_fields = CONTACT_FIELDS
    audit_entity = "contact"
    deleted_with_record = ("leads.LeadStatusChange",)  # its leads' history goes with them
    merge_service = contact_merge
    preview_fields = (
        "first_name",
        "last_name",
        "email",
        "phone",
        "messenger_psid",
        "company",
        "owner",
        "created_at",
    )
    preview_counts = (("Leads", "leads"), ("Activities", "activitys"), ("Deals", "deal_roles"))

    list_display = (
        "__str__",
        "email",
        "phone",
        "company",
        "owner",
        "lifecycle_stage",
        "created_at",
    )
    list_filter = ("lifecycle_stage", "owner", "timezone_source", "source")
    list_select_related = ("company", "owner")
    search_fields = ("first_name", "last_name", "email", "phone", "messenger_psid", "company__name")
    autocomplete_fields = ("company", "owner")
    date_hierarchy = "created_at"
    readonly_fields = (
        "timezone_source",
        "became_customer_at",
        "churned_at",
        "created_at",
        "updated_at",
        "audit_history",
    )
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "first_name",
                    "last_name",
                    "email",
                    "phone",
                    "messenger_psid",
                    "company",
                    "owner",
                    "source",
                    "tags",
                    "lifecycle_stage",
                )
            },
        ),
        ("Address and time zone", {"fields": (*_ADDRESS, "timezone", "timezone_source")}),
        ("Custom fields", {"fields": ("custom",)}),
        ("Dates", {"fields": ("became_customer_at", "churned_at", "created_at", "updated_at")}),
        ("History", {"fields": ("audit_history",)}),
    )
    inlines = [ConsentInline]  # leads, activities and tasks are added by their apps' admin
    actions = ["reassign_owner", export_csv_action("contact"), "merge_selected"]

    def service_create(self, request: HttpRequest, data: dict[str, Any]) -> Contact:
        return contact_create(actor=request.user, origin=ORIGIN, **data)

    def service_update(self, request: HttpRequest, obj: Contact, changes: dict) -> Contact:
        return contact_update(contact=obj, changes=changes, actor=request.user, origin=ORIGIN)

    def service_delete(self, request: HttpRequest, obj: Contact) -> None:
        contact_delete(contact=obj, actor=request.user, origin=ORIGIN)

    def audit_ids(self, obj: Contact) -> list[int]:
        return [obj.pk, *merged_ids(entity_type="contact", entity_id=obj.pk)]

    def duplicate_groups(self):
        return contact_duplicate_groups()


# --- consent and do-not-contact ----------------------------------------------------------


class ConsentAddForm(forms.ModelForm):
    class Meta:
        model = ConsentRecord
        fields = (
            "contact",
            "channel",
            "status",
            "source",
            "method",
            "wording",
            "ip_address",
            "occurred_at",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "occurred_at" in self.fields:
            self.fields["occurred_at"].required = False
            self.fields["occurred_at"].help_text = "Leave empty for now."


@admin.register(ConsentRecord, site=workspace_admin)
class ConsentRecordAdmin(ServiceModelAdmin):
    """Append-only proof: records are added (through consent_record), never changed."""

    form = ConsentAddForm
    service_fields = ConsentAddForm.Meta.fields
    list_display = (
        "contact",
        "channel",
        "status",
        "source",
        "method",
        "occurred_at",
        "recorded_by",
    )
    list_filter = ("channel", "status", "source")
    list_select_related = ("contact", "recorded_by")
    search_fields = ("contact__email", "contact__phone", "contact__last_name", "source")
    autocomplete_fields = ("contact",)
    date_hierarchy = "occurred_at"

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def service_create(self, request: HttpRequest, data: dict[str, Any]) -> ConsentRecord:
        data = dict(data)
        status = data.pop("status")
        return consent_record(
            granted=status == ConsentRecord.Status.GRANTED,
            ip_address=data.pop("ip_address") or None,
            actor=request.user,
            **data,
        )


class DoNotContactForm(forms.ModelForm):
    class Meta:
        model = DoNotContact
        fields = ("value", "reason")
        help_texts = {"value": "A phone number (any format) or an email address."}


@admin.register(DoNotContact, site=workspace_admin)
class DoNotContactAdmin(ServiceModelAdmin):
    form = DoNotContactForm
    service_fields = ("value", "reason")
    audit_entity = "donotcontact"
    list_display = ("value", "kind", "reason", "added_by", "created_at")
    list_filter = ("kind",)
    list_select_related = ("added_by",)
    search_fields = ("value", "reason")
    date_hierarchy = "created_at"

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # remove and re-add: an entry is a fact, not a record to edit

    def service_create(self, request: HttpRequest, data: dict[str, Any]) -> DoNotContact:
        return dnc_add(value=data["value"], reason=data.get("reason", ""), actor=request.user)

    def delete_model(self, request: HttpRequest, obj: DoNotContact) -> None:
        self._audit_delete(request, obj)
        dnc_remove(entry=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for entry in queryset:
            self.delete_model(request, entry)
