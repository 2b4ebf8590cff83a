from django.conf import settings
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from .admin_sites import platform_admin
from .models import Domain, Workspace
from .services import WorkspaceError, workspace_reactivate, workspace_suspend


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0
    fields = ("domain", "is_primary")


@admin.register(Workspace, site=platform_admin)
class WorkspaceAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "schema_name", "plan", "status", "created_at")
    list_filter = ("status", "plan")
    search_fields = ("name", "slug", "domains__domain")
    date_hierarchy = "created_at"
    readonly_fields = ("schema_name", "slug", "created_at", "suspended_at")
    fields = ("name", "slug", "schema_name", "timezone", "locale", "plan", "status",
              "suspended_reason", "suspended_at", "created_at")  # fmt: skip
    inlines = [DomainInline]
    actions = ["suspend_selected", "reactivate_selected"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Workspace]:
        # The public schema's own row is the platform itself, not a customer workspace.
        return super().get_queryset(request).exclude(schema_name=settings.PUBLIC_SCHEMA_NAME)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # workspaces are provisioned by the sign-up or `create_workspace`

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # suspend instead: deleting would orphan a customer's schema

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return (*self.readonly_fields, "status")  # status changes only through the actions

    @admin.action(description="Suspend selected workspaces")
    def suspend_selected(self, request: HttpRequest, queryset: QuerySet[Workspace]) -> None:
        done = 0
        for workspace in queryset:
            try:
                workspace_suspend(workspace=workspace, reason=f"Suspended by {request.user}")
                done += 1
            except WorkspaceError as exc:
                self.message_user(request, f"{workspace}: {exc}", messages.ERROR)
        if done:
            self.message_user(request, f"Suspended {done} workspace(s).", messages.SUCCESS)

    @admin.action(description="Reactivate selected workspaces")
    def reactivate_selected(self, request: HttpRequest, queryset: QuerySet[Workspace]) -> None:
        for workspace in queryset:
            workspace_reactivate(workspace=workspace)
        self.message_user(request, f"Reactivated {queryset.count()} workspace(s).")
