import logging

from .context import current_request_id, current_schema


def _connection_schema() -> str | None:
    try:
        from django.db import connection

        return getattr(connection, "schema_name", None)
    except Exception:  # settings not configured yet, or no DB layer: logging must never fail
        return None


class ContextFilter(logging.Filter):
    """Adds `schema` and `request_id` to every record so each line says whose work it was."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.schema = current_schema.get() or _connection_schema() or "-"
        record.request_id = current_request_id.get() or "-"
        return True
