"""Managers' admin for pipelines, stages and deals. A deal's stage is read-only on its page:
it moves through deal_move_stage (the "Move to stage…" action) so the history is recorded."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest

from crm.adminkit import (
    ORIGIN,
    NotFoundMixin,
    ReadOnlyAdminMixin,
    ReadOnlyInline,
    ServiceModelAdmin,
    export_csv_action,
    render_action_form,
    run_per_row,
)
from crm.tenancy.admin_sites import workspace_admin

from .models import Deal, DealContact, DealStageChange, Pipeline, Stage
from .services import (
    DEAL_FIELDS,
    deal_create,
    deal_delete,
    deal_move_stage,
    deal_update,
    pipeline_create,
)

# --- pipelines ---------------------------------------------------------------------------


class StageFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        doomed = [f.instance.pk for f in self.deleted_forms if f.instance.pk]
        if not doomed:
            return
        # Deals and their history point at stages (PROTECT): refuse here rather than 500.
        used = Stage.objects.filter(pk__in=doomed).filter(
            Q(deals__isnull=False) | Q(pk__in=DealStageChange.objects.values("to_stage"))
        )
        if used.exists():
            names = ", ".join(sorted({s.name for s in used}))
            raise ValidationError(f"Stages with deals or history cannot be deleted: {names}.")


class StageInline(admin.TabularInline):
    model = Stage
    formset = StageFormSet
    fields = ("name", "position", "probability", "is_won", "is_lost")
    extra = 0


@admin.register(Pipeline, site=workspace_admin)
class PipelineAdmin(NotFoundMixin, admin.ModelAdmin):
    list_display = ("name", "is_default", "archived", "position", "stage_count")
    list_filter = ("archived", "is_default")
    search_fields = ("name",)
    fields = ("name", "is_default", "position", "archived")
    inlines = [StageInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Pipeline]:
        return super().get_queryset(request).annotate(n_stages=Count("stages"))

    @admin.display(description="Stages", ordering="n_stages")
    def stage_count(self, obj: Pipeline) -> int:
        return obj.n_stages

    def save_model(self, request: HttpRequest, obj: Pipeline, form, change: bool) -> None:
        if not change:
            return  # created with its stages in save_related, through pipeline_create
        with transaction.atomic():
            if obj.is_default:  # one default pipeline (a partial unique constraint)
                Pipeline.objects.filter(is_default=True).exclude(pk=obj.pk).update(is_default=False)
            obj.save()

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        if change:
            return super().save_related(request, form, formsets, change)
        stages = [
            (
                f.cleaned_data["name"],
                f.cleaned_data["probability"],
                f.cleaned_data["is_won"],
                f.cleaned_data["is_lost"],
            )
            for formset in formsets
            for f in formset.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        created = pipeline_create(
            name=form.cleaned_data["name"],
            is_default=form.cleaned_data["is_default"],
            stages=stages or None,  # none given: the default sales stages
        )
        form.instance.pk = created.pk
        form.instance._state.adding = False


# --- deals -------------------------------------------------------------------------------


class DealContactInline(admin.TabularInline):
    model = DealContact
    fields = ("contact", "role")
    autocomplete_fields = ("contact",)
    extra = 0

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("contact")


class StageChangeInline(ReadOnlyInline):
    model = DealStageChange
    fields = ("from_stage", "to_stage", "changed_by", "changed_at")
    select_related = ("from_stage__pipeline", "to_stage__pipeline", "changed_by")
    show_change_link = False


class MoveStageForm(forms.Form):
    stage = forms.ModelChoiceField(
        queryset=Stage.objects.select_related("pipeline").filter(pipeline__archived=False),
        label="Move to",
    )
    lost_reason = forms.CharField(
        required=False, max_length=255, help_text="Required when the stage is a lost stage."
    )


@admin.register(Deal, site=workspace_admin)
class DealAdmin(ServiceModelAdmin):
    service_fields = ("pipeline", "stage", *DEAL_FIELDS)
    audit_entity = "deal"
    deleted_with_record = ("deals.DealStageChange",)

    list_display = (
        "name",
        "company",
        "primary_contact",
        "stage",
        "amount",
        "currency",
        "owner",
        "expected_close_date",
        "closed_at",
    )
    list_filter = ("pipeline", "stage", "owner", "expected_close_date", "closed_at")
    list_select_related = ("company", "primary_contact", "stage__pipeline", "owner")
    search_fields = (
        "name",
        "company__name",
        "primary_contact__email",
        "primary_contact__last_name",
    )
    autocomplete_fields = ("company", "primary_contact", "owner")
    date_hierarchy = "created_at"
    readonly_fields = ("closed_at", "stage_changed_at", "created_at", "updated_at", "audit_history")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "name",
                    "pipeline",
                    "stage",
                    "company",
                    "primary_contact",
                    "owner",
                    "amount",
                    "currency",
                    "expected_close_date",
                    "lost_reason",
                )
            },
        ),
        ("Custom fields", {"fields": ("custom",)}),
        ("Dates", {"fields": ("stage_changed_at", "closed_at", "created_at", "updated_at")}),
        ("History", {"fields": ("audit_history",)}),
    )
    inlines = [DealContactInline, StageChangeInline]
    actions = ["move_stage", "reassign_owner", export_csv_action("deal")]

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        # The stage moves only through deal_move_stage, which records the change.
        return (*self.readonly_fields, "pipeline", "stage") if obj else self.readonly_fields

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name == "stage":
            kwargs["queryset"] = Stage.objects.select_related("pipeline")
            kwargs["required"] = False
        if db_field.name == "pipeline":
            kwargs["required"] = False
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def service_create(self, request: HttpRequest, data: dict[str, Any]) -> Deal:
        data = {k: v for k, v in data.items() if v is not None or k in ("pipeline", "stage")}
        return deal_create(
            name=data.pop("name"),
            pipeline=data.pop("pipeline", None),
            stage=data.pop("stage", None),
            actor=request.user,
            origin=ORIGIN,
            **data,
        )

    def service_update(self, request: HttpRequest, obj: Deal, changes: dict) -> Deal:
        return deal_update(deal=obj, changes=changes, actor=request.user, origin=ORIGIN)

    def service_delete(self, request: HttpRequest, obj: Deal) -> None:
        deal_delete(deal=obj, actor=request.user, origin=ORIGIN)

    def save_formset(self, request: HttpRequest, form, formset, change: bool) -> None:
        if formset.model is not DealContact:
            return super().save_formset(request, form, formset, change)
        # deal_create already linked the primary contact; a row for the same person in the
        # inline updates its role instead of breaking the (deal, contact) unique constraint.
        linked = set(
            DealContact.objects.filter(deal=form.instance).values_list("contact_id", flat=True)
        )
        rows = formset.save(commit=False)
        for row in formset.deleted_objects:
            row.delete()
        for row in rows:
            if row.pk is None and row.contact_id in linked:
                DealContact.objects.filter(deal=form.instance, contact_id=row.contact_id).update(
                    role=row.role
                )
            else:
                row.save()
        return None

    @admin.action(description="Move to stage…", permissions=["change"])
    def move_stage(self, request: HttpRequest, queryset: QuerySet[Deal]):
        form = MoveStageForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return render_action_form(
                request,
                self,
                queryset,
                form=form,
                action="move_stage",
                title="Move deals to another stage",
                submit="Move",
            )
        stage, reason = form.cleaned_data["stage"], form.cleaned_data["lost_reason"]
        run_per_row(
            request,
            self,
            queryset,
            lambda deal: deal_move_stage(
                deal=deal, stage=stage, lost_reason=reason, actor=request.user, origin=ORIGIN
            ),
            done=f"moved to {stage}",
        )
        return None


@admin.register(DealStageChange, site=workspace_admin)
class DealStageChangeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("deal", "from_stage", "to_stage", "changed_by", "changed_at")
    list_filter = ("to_stage", "changed_by")
    list_select_related = ("deal", "from_stage__pipeline", "to_stage__pipeline", "changed_by")
    search_fields = ("deal__name",)
    date_hierarchy = "changed_at"
