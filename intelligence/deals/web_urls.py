"""This app's rep-UI pages (included by intelligence/urls_web.py)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
