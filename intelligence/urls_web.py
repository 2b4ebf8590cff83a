"""Rep-UI pages of the intelligence apps (mounted in config/urls_tenant.py)."""

from django.urls import include, path

urlpatterns = [
    path("forecast/", include("intelligence.forecast.web_urls")),
    path("language/draft/", include("intelligence.language.drafting_urls")),
    path("language/", include("intelligence.language.web_urls")),
    path("insights/", include("intelligence.web_urls")),  # lead score actions (rescore)
    path("conversation-insights/", include("intelligence.insights.web_urls")),  # + /ask/
]
