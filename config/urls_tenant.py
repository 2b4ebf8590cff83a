"""URLs of a workspace's domain: the team's sign-in, the app and the managers' admin."""

from django.urls import include, path

from crm.team import views as team_views
from crm.tenancy import views as tenancy_views
from crm.tenancy.admin_sites import workspace_admin

urlpatterns = [
    path("", team_views.home, name="home"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("healthz", tenancy_views.healthz, name="healthz"),
    path("admin/", workspace_admin.urls),
]
