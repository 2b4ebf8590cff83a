"""A workspace URLconf for the logging tests: views that log, inside a real request."""

import logging

from django.http import HttpRequest, HttpResponse
from django.urls import path

from .tasks import whoami

logger = logging.getLogger(__name__)


def log_something(request: HttpRequest) -> HttpResponse:
    logger.warning("view says hello")
    return HttpResponse("ok")


def enqueue_then_log(request: HttpRequest) -> HttpResponse:
    whoami.delay("nobody@example.test")  # run eagerly by the test, inside this request
    logger.warning("view after the task")
    return HttpResponse("ok")


urlpatterns = [
    path("log/", log_something),
    path("enqueue/", enqueue_then_log),
]
