"""This app's rep-UI pages (included by intelligence/urls_web.py, under /language/)."""

from django.urls import path

from . import views

urlpatterns = [
    path(
        "activities/<int:activity_id>/intent",
        views.intent_correct,
        name="language-intent-correct",
    ),
]
