from django.contrib import admin

from crm.tenancy.admin_sites import workspace_admin

from .models import ActivityInsight, Competitor


@admin.register(Competitor, site=workspace_admin)
class CompetitorAdmin(admin.ModelAdmin):
    """The names conversation insights watch for; a mention alerts the managers."""

    list_display = ("name", "aliases", "is_active", "created_at")
    list_filter = ("is_active",)
    list_editable = ("is_active",)
    search_fields = ("name", "aliases")


@admin.register(ActivityInsight, site=workspace_admin)
class ActivityInsightAdmin(admin.ModelAdmin):
    list_display = ("activity", "source", "engine", "sentiment", "computed_at")
    list_filter = ("source", "engine")
    search_fields = ("summary",)
    raw_id_fields = ("activity",)
    readonly_fields = [f.name for f in ActivityInsight._meta.fields]

    # Insights are written by the analysis (re-run it from the timeline), never by hand.
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
