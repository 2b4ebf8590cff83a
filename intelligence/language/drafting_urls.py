"""Drafting pages and endpoints, mounted at /language/draft/ (see drafting_views.py)."""

from django.urls import path

from . import drafting_views as views

urlpatterns = [
    path("", views.draft_page, name="language-draft"),
    path("approve", views.approve, name="language-draft-approve"),
    path("discard", views.discard, name="language-draft-discard"),
    path("subjects", views.subjects, name="language-draft-subjects"),
    path("replies", views.replies, name="language-draft-replies"),
]
