"""This app's /api/v1/ routes (included by intelligence/urls_api.py)."""

from django.urls import path

from . import api

urlpatterns = [
    path("deals/<int:deal_id>/health", api.DealHealthApi.as_view(), name="api-deal-health"),
    path(
        "deals/<int:deal_id>/next-actions",
        api.DealNextActionsApi.as_view(),
        name="api-deal-next-actions",
    ),
    path(
        "leads/<int:lead_id>/next-actions",
        api.LeadNextActionsApi.as_view(),
        name="api-lead-next-actions",
    ),
]
