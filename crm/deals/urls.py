from django.urls import path

from . import views

app_name = "deals"

urlpatterns = [
    path("", views.pipeline_board, name="pipeline"),
    path("deals/<int:deal_id>/", views.deal_page, name="detail"),
    path("deals/<int:deal_id>/move/", views.deal_move, name="move"),
]
