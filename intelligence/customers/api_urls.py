"""This app's /api/v1/ routes (included by intelligence/urls_api.py)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
