import logging

from .context import current_request_id, current_schema


def _connection_schema() -> str | None:
    try:
        from django.db import connection

        return getattr(connection, "schema_name", None)
    except Exception:  # settings not configured yet, or no DB layer: logging must never fail
        return None


def _request_schema(request: object) -> str | None:
    return getattr(getattr(request, "tenant", None), "schema_name", None)


class ContextFilter(logging.Filter):
    """Adds `schema` and `request_id` to every record so each line says whose work it was."""

    def filter(self, record: logging.LogRecord) -> bool:
        # Django logs 4xx responses ("Not Found: /x") after the middleware chain has returned and
        # the request's context is gone; those records carry the request itself instead.
        request = getattr(record, "request", None)
        record.schema = (
            current_schema.get() or _request_schema(request) or _connection_schema() or "-"
        )
        record.request_id = current_request_id.get() or getattr(request, "request_id", None) or "-"
        return True
