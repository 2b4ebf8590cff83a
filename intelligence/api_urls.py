"""Lead scores and the model registry: /api/v1/leads/{id}/score, /api/v1/intelligence/models."""

from django.urls import path

from .api import LeadScoreApi, ModelRegistryApi

urlpatterns = [
    path("leads/<int:lead_id>/score", LeadScoreApi.as_view(), name="api-lead-score"),
    path("intelligence/models", ModelRegistryApi.as_view(), name="api-intelligence-models"),
]
