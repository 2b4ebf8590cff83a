"""This app's /api/v1/ routes (included by intelligence/urls_api.py)."""

from django.urls import path

from .api import ForecastAccuracyApi, ForecastApi

urlpatterns = [
    path("forecast", ForecastApi.as_view(), name="api-forecast"),
    path("forecast/accuracy", ForecastAccuracyApi.as_view(), name="api-forecast-accuracy"),
]
