"""This app's /api/v1/ routes (included by intelligence/urls_api.py)."""

from django.urls import path

from .api import CustomerChurnApi

urlpatterns = [
    path("customers/<int:id>/churn", CustomerChurnApi.as_view(), name="api-customer-churn"),
]
