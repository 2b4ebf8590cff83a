"""The import wizard's pages, mounted at /imports/ (the API lives at /api/v1/imports/)."""

from django.urls import path

from . import views

app_name = "imports"

urlpatterns = [
    path("", views.import_list, name="list"),
    path("new/", views.import_upload, name="upload"),
    path("<int:job_id>/mapping/", views.import_mapping, name="mapping"),
    path("<int:job_id>/preview/", views.import_preview_page, name="preview"),
    path("<int:job_id>/run/", views.import_run, name="run"),
    path("<int:job_id>/", views.import_progress, name="progress"),
    path("<int:job_id>/status/", views.import_status, name="status"),
    path("<int:job_id>/errors.csv", views.import_errors, name="errors"),
]
