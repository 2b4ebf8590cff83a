"""Per-request / per-task context carried into every log line.

Context variables (not thread locals) so that the values follow asyncio tasks in Channels
consumers as well as threads in the WSGI/ASGI sync path and Celery workers.
"""

import uuid
from contextvars import ContextVar

current_schema: ContextVar[str | None] = ContextVar("current_schema", default=None)
current_request_id: ContextVar[str | None] = ContextVar("current_request_id", default=None)

_ALLOWED_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")


def new_request_id(incoming: str | None = None) -> str:
    """Accept a caller's X-Request-ID when it is short and plain; otherwise mint one."""
    if incoming and len(incoming) <= 64 and set(incoming) <= _ALLOWED_ID_CHARS:
        return incoming
    return uuid.uuid4().hex
