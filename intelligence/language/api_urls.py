"""This app's /api/v1/ routes (included by intelligence/urls_api.py)."""

from django.urls import path

from .api import IntentApi, SentimentApi

urlpatterns = [
    path("language/intent", IntentApi.as_view(), name="api-language-intent"),
    path("language/sentiment", SentimentApi.as_view(), name="api-language-sentiment"),
]
