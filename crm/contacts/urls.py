from django.urls import path

from . import views

app_name = "contacts"

urlpatterns = [
    path("contacts/<int:contact_id>/", views.contact_detail, name="contact"),
    path("contacts/<int:contact_id>/<slug:action>/", views.contact_action, name="contact_action"),
    path("companies/<int:company_id>/", views.company_detail, name="company"),
    path("companies/<int:company_id>/<slug:action>/", views.company_action, name="company_action"),
]
