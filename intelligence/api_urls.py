"""Lead scores and the model registry: /api/v1/leads/{id}/score, /api/v1/intelligence/models."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
