"""Conversation insights and Ask the CRM in the rep UI (included by intelligence/urls_web.py
under "conversation-insights/")."""

from django.urls import path

from . import views

app_name = "insights"

urlpatterns = [
    path("activities/<int:activity_id>/", views.insight_detail, name="detail"),
    path("activities/<int:activity_id>/run/", views.insight_run, name="run"),
    path(
        "activities/<int:activity_id>/actions/<int:index>/task/",
        views.insight_action_task,
        name="action_task",
    ),
    path("ask/", views.ask, name="ask"),
]
