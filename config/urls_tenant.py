"""URLs of a workspace's domain: the team's sign-in, the app and the managers' admin."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from crm.team import views as team_views
from crm.team.forms import TeamPasswordResetForm, ThrottledAuthenticationForm
from crm.tenancy import views as tenancy_views
from crm.tenancy.admin_sites import workspace_admin

urlpatterns = [
    path("", team_views.home, name="home"),
    # The rep UI's pages (templates/, static/).
    path("leads/", include("crm.leads.urls")),
    path("", include("crm.contacts.urls")),  # /contacts/<id>/, /companies/<id>/
    path("pipeline/", include("crm.deals.urls")),
    path("search/", include("crm.search.urls")),
    path("tasks/", include("crm.activities.urls")),
    path("imports/", include("crm.imports.web_urls")),  # the import wizard
    path("notifications/", include("crm.notifications.urls")),
    path("", include("intelligence.urls_web")),  # /forecast/, /ai/, …
    # Before Django's auth URLs: sign-in counts failures and refuses a throttled name or
    # address (crm/team/login_throttle.py).
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(form_class=ThrottledAuthenticationForm),
        name="login",
    ),
    # Before Django's auth URLs: invited members (no password yet) must be able to reset.
    path(
        "accounts/password_reset/",
        auth_views.PasswordResetView.as_view(form_class=TeamPasswordResetForm),
        name="password_reset",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("healthz", tenancy_views.healthz, name="healthz"),
    path("admin/", workspace_admin.urls),
    path("api/v1/imports/", include("crm.imports.urls")),
    path("api/v1/webhooks/", include("crm.webhooks.urls")),
    path("api/v1/", include("intelligence.urls_api")),  # scores, forecast, AI: before crm.api
    path("api/", include("crm.api.urls")),  # /api/v1/… resources, /api/schema/, /api/docs/
]
