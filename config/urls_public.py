"""URLs of the public site (the platform's own domain): sign-up, operators' admin, health."""

from django.urls import path

from crm.tenancy import views
from crm.tenancy.admin_sites import platform_admin

urlpatterns = [
    path("", views.landing, name="landing"),
    path("signup/", views.signup, name="signup"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", platform_admin.urls),
]
