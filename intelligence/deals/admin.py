"""Managers' view of deal score history: read-only, per deal, filterable by risk flag and by
the model that produced the score."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html_join

from crm.adminkit import ReadOnlyAdminMixin
from crm.tenancy.admin_sites import workspace_admin

from .health import FLAG_NAMES
from .models import DealScore


class FlagFilter(admin.SimpleListFilter):
    title = "risk flag"
    parameter_name = "flag"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, str]]:
        return [*FLAG_NAMES.items(), ("none", "No flags")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value == "none":
            return queryset.filter(flags=[])
        if value in FLAG_NAMES:
            return queryset.filter(flags__contains=[{"code": value}])
        return queryset


@admin.register(DealScore, site=workspace_admin)
class DealScoreAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("deal", "win_percent_display", "health", "flag_names", "model_label",
                    "scored_at")  # fmt: skip
    list_filter = (FlagFilter, "model_label")
    list_select_related = ("deal",)
    search_fields = ("deal__name",)
    raw_id_fields = ("deal",)
    date_hierarchy = "scored_at"
    fields = ("deal", "win_probability", "health", "model_label", "model_version", "scored_at",
              "flags_display", "factors_display")  # fmt: skip
    readonly_fields = ("flags_display", "factors_display")

    @admin.display(description="win %", ordering="win_probability")
    def win_percent_display(self, score: DealScore) -> str:
        return f"{score.win_percent} %"

    @admin.display(description="flags")
    def flag_names(self, score: DealScore) -> str:
        return ", ".join(FLAG_NAMES.get(f.get("code"), "?") for f in score.flags or []) or "—"

    @admin.display(description="risk flags and recommendations")
    def flags_display(self, score: DealScore) -> str:
        rows = [(f.get("label", ""), f.get("recommendation", "")) for f in score.flags or []]
        return format_html_join("", "<p>{}<br><em>{}</em></p>", rows) or "—"

    @admin.display(description="factors")
    def factors_display(self, score: DealScore) -> str:
        rows = [(f.get("label", ""), f"{f.get('weight', 0):+.2f}") for f in score.factors or []]
        return format_html_join("", "<p>{} {}</p>", rows) or "—"
