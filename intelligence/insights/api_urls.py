"""This app's /api/v1/ routes (included by intelligence/urls_api.py)."""

from django.urls import path

from .api import ActivityInsightApi, InsightActionTaskApi

urlpatterns = [
    path(
        "activities/<int:id>/insights",
        ActivityInsightApi.as_view(),
        name="api-activity-insights",
    ),
    path(
        "activities/<int:id>/insights/action-items/<int:index>/task",
        InsightActionTaskApi.as_view(),
        name="api-activity-insight-action-task",
    ),
]
