"""Lead score actions of the rep UI (included by intelligence/urls_web.py)."""

from django.urls import path

from . import views

app_name = "intelligence"

urlpatterns = [
    path("leads/<int:lead_id>/rescore/", views.lead_rescore_view, name="lead_rescore"),
]
