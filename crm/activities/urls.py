from django.urls import path

from . import views

app_name = "tasks"

urlpatterns = [
    path("", views.task_page, name="list"),
    path("new/", views.task_new, name="new"),
    path("<int:task_id>/complete/", views.task_done, {"done": True}, name="complete"),
    path("<int:task_id>/reopen/", views.task_done, {"done": False}, name="reopen"),
]
