"""The Celery app. Tasks fail closed: by default a task needs a workspace schema (see
crm.tenancy.celery.TenantTask); platform-wide jobs opt out explicitly with PlatformTask."""

import os

from celery import Celery
from celery.signals import setup_logging, task_postrun, task_prerun, worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = Celery("lodestar", task_cls="crm.tenancy.celery:TenantTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect
def _use_django_logging(**_kwargs) -> None:
    """Keep Django's LOGGING (with schema and request id) instead of Celery's own."""
    import logging.config

    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


# The token that restores the caller's request id, kept on the task's own request. A task can
# run inside another context (eagerly inside a web request, or inside another task): putting
# back what was there, instead of clearing it, keeps the caller's later log lines labelled.
_TOKEN_ATTR = "lodestar_request_id_token"


@task_prerun.connect
def _bind_task_id(task_id=None, task=None, **_kwargs) -> None:
    from crm.tenancy.context import current_request_id

    token = current_request_id.set(task_id)
    if task is not None:
        setattr(task.request, _TOKEN_ATTR, token)


@task_postrun.connect
def _unbind_task_id(task=None, **_kwargs) -> None:
    from crm.tenancy.context import current_request_id

    token = getattr(task.request, _TOKEN_ATTR, None) if task is not None else None
    if token is None:
        current_request_id.set(None)
        return
    try:
        current_request_id.reset(token)
    except ValueError:  # set in another context (should not happen): fail towards "no id"
        current_request_id.set(None)


@worker_ready.connect
def _heartbeat_on_start(**_kwargs) -> None:
    """Mark the worker alive as soon as it starts, so /healthz need not wait for beat's tick."""
    from crm.tenancy.heartbeat import heartbeat_mark_worker

    heartbeat_mark_worker()
