from django.contrib import admin

from crm.tenancy.admin_sites import workspace_admin

from .models import IntentLabel, ReplyIntent


@admin.register(ReplyIntent, site=workspace_admin)
class ReplyIntentAdmin(admin.ModelAdmin):
    list_display = ("activity", "intent", "confidence", "needs_confirmation", "engine",
                    "corrected_by", "classified_at")  # fmt: skip
    list_filter = ("intent", "needs_confirmation", "engine")
    raw_id_fields = ("activity", "corrected_by")

    # Readings are written by the analysis and by reps on the timeline, never by hand here.
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(IntentLabel, site=workspace_admin)
class IntentLabelAdmin(admin.ModelAdmin):
    """The workspace's corrections: its own training labels for the intent classifier."""

    list_display = ("text", "intent", "previous_intent", "created_by", "created_at")
    list_filter = ("intent",)
    search_fields = ("text",)
    raw_id_fields = ("activity", "created_by")

    # A wrong label can be deleted (the next training drops it); labels come from reps.
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
