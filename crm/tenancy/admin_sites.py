"""Two admin sites, never one: a workspace's managers must not see the platform's tables
(workspaces, domains, beat schedules) that sit in the public schema on their search path."""

from django.contrib.admin import AdminSite
from django.http import HttpRequest

from crm.team.forms import ThrottledAdminAuthenticationForm


class WorkspaceAdminSite(AdminSite):
    site_header = "Lodestar — workspace admin"
    site_title = "Lodestar admin"
    index_title = "Run your team"
    login_form = ThrottledAdminAuthenticationForm

    def each_context(self, request: HttpRequest) -> dict:
        context = super().each_context(request)
        tenant = getattr(request, "tenant", None)
        if tenant is not None:
            context["site_header"] = f"{tenant.name} — Lodestar admin"
        return context


class PlatformAdminSite(AdminSite):
    site_header = "Lodestar — platform operators"
    site_title = "Lodestar platform"
    index_title = "Workspaces and platform jobs"
    login_form = ThrottledAdminAuthenticationForm


workspace_admin = WorkspaceAdminSite(name="workspace_admin")
platform_admin = PlatformAdminSite(name="platform_admin")
