from django.urls import path

from . import views

app_name = "leads"

urlpatterns = [
    path("", views.lead_list, name="list"),
    path("new/", views.lead_new, name="new"),
    path("bulk/", views.lead_bulk, name="bulk"),
    path("views/", views.saved_view_save, name="view_save"),
    path("views/<int:view_id>/delete/", views.saved_view_delete, name="view_delete"),
    path("<int:lead_id>/", views.lead_detail, name="detail"),
    path("<int:lead_id>/<slug:action>/", views.lead_action, name="action"),
]
