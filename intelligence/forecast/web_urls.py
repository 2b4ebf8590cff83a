"""This app's rep-UI pages (included by intelligence/urls_web.py)."""

from django.urls import path

from . import views

app_name = "forecast"

urlpatterns = [
    path("", views.forecast_page, name="page"),
]
