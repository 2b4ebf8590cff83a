"""Task base classes that carry the workspace schema from the caller to the worker.

The schema travels in the message headers (`lodestar_schema`), read from the caller's current
connection when the task is sent. A TenantTask that arrives without one, or for the public
schema, or for a workspace that no longer exists or is suspended, is refused: running it in
the wrong schema would read or write another workspace's data.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from celery import Task
from celery.signals import task_postrun
from django.conf import settings
from django.db import connection
from django_tenants.utils import schema_context

from .context import current_schema

SCHEMA_HEADER = "lodestar_schema"


class MissingTenantError(RuntimeError):
    """A workspace task was sent or run without a workspace schema."""


def _caller_schema() -> str | None:
    schema = getattr(connection, "schema_name", None)
    return None if schema == settings.PUBLIC_SCHEMA_NAME else schema


class TenantTask(Task):
    abstract = True

    def apply_async(self, args=None, kwargs=None, task_id=None, producer=None, link=None,
                    link_error=None, shadow=None, **options) -> Any:  # fmt: skip
        headers = dict(options.pop("headers", None) or {})
        headers.setdefault(SCHEMA_HEADER, _caller_schema())
        # An explicit header naming the public schema would only be refused by the worker;
        # fail here, where the caller can still see why.
        if headers[SCHEMA_HEADER] in (None, "", settings.PUBLIC_SCHEMA_NAME):
            raise MissingTenantError(
                f"{self.name} must be sent from inside a workspace (schema_context)."
            )
        return super().apply_async(args, kwargs, task_id, producer, link, link_error, shadow,
                                   headers=headers, **options)  # fmt: skip

    def _schema_from_request(self) -> str | None:
        # Depending on the transport, custom headers arrive merged into the request or nested.
        headers = getattr(self.request, "headers", None) or {}
        return headers.get(SCHEMA_HEADER) or getattr(self.request, SCHEMA_HEADER, None)

    def _workspace_schema(self) -> str:
        """The schema this run may use, from the message alone; refuses anything else."""
        from .selectors import workspace_get_by_schema

        schema = self._schema_from_request()
        if not schema or schema == settings.PUBLIC_SCHEMA_NAME:
            raise MissingTenantError(f"{self.name} refused: no workspace schema in the message.")
        with schema_context(settings.PUBLIC_SCHEMA_NAME):
            workspace = workspace_get_by_schema(schema_name=schema)
        if workspace is None or not workspace.is_active:
            raise MissingTenantError(f"{self.name} refused: workspace {schema} is not active.")
        return schema

    def __call__(self, *args, **kwargs) -> Any:
        leave = _enter_schema(self._workspace_schema())
        if self.request.called_directly:  # no tracer around us, so no task_postrun either
            try:
                return super().__call__(*args, **kwargs)
            finally:
                leave()
        # Celery sends a task's link callbacks and the next step of its chain after the body
        # has returned; they must be sent from this workspace too. So the schema is left at
        # task_postrun, which the tracer sends once all of that is done.
        setattr(self.request, _LEAVE_ATTR, leave)
        return super().__call__(*args, **kwargs)


_LEAVE_ATTR = "lodestar_leave_schema"


def _enter_schema(schema: str) -> Callable[[], None]:
    """Switch the connection (and the log context) to `schema`; returns how to switch back."""
    token = current_schema.set(schema)
    switch = schema_context(schema)
    switch.__enter__()

    def leave() -> None:
        try:
            switch.__exit__(None, None, None)
        finally:
            current_schema.reset(token)

    return leave


@task_postrun.connect(dispatch_uid="tenancy.leave_task_schema")
def _leave_task_schema(task: Task | None = None, **_kwargs: Any) -> None:
    request = getattr(task, "request", None)
    leave = getattr(request, _LEAVE_ATTR, None)
    if leave is not None:
        setattr(request, _LEAVE_ATTR, None)
        leave()


class PlatformTask(Task):
    """A job over the whole platform (fan-outs, housekeeping). Runs in the public schema and
    reaches workspaces only by sending TenantTasks from inside schema_context."""

    abstract = True

    def __call__(self, *args, **kwargs) -> Any:
        with schema_context(settings.PUBLIC_SCHEMA_NAME):
            return super().__call__(*args, **kwargs)
