"""/api/v1/ routes of the intelligence apps. Mounted in config/urls_tenant.py before the core
API (crm must not import intelligence), so e.g. /api/v1/leads/{id}/score lives here."""

from django.urls import include, path

urlpatterns = [
    path("", include("intelligence.api_urls")),
    path("", include("intelligence.deals.api_urls")),
    path("", include("intelligence.customers.api_urls")),
    path("", include("intelligence.forecast.api_urls")),
    path("", include("intelligence.language.api_urls")),
    path("", include("intelligence.insights.api_urls")),
]
