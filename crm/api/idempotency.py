"""`Idempotency-Key` on POST: the first response is stored and replayed (same status and body)
for 24 hours to the same caller on the same path. The same key with a different body is a
422; a retry while the first request still runs is a 409.

A pending row is written *before* the work runs, under a unique constraint, so two concurrent
retries cannot both do the work.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.renderers import JSONRenderer

from .conf import IDEMPOTENCY_STALE_PENDING, idempotency_ttl
from .errors import Problem
from .models import IdempotencyRecord

MAX_KEY_LENGTH = 255


class Replay(Exception):  # control flow, not an error
    def __init__(self, record: IdempotencyRecord) -> None:
        self.record = record


def payload_hash(data: Any) -> str:
    if hasattr(data, "lists"):  # a QueryDict (form posts from the browser)
        data = {k: v for k, v in data.lists()}
    text = json.dumps(data, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def idempotency_begin(
    *, principal: str, key: str, method: str, path: str, data: Any
) -> IdempotencyRecord:
    """Claim the key for this request, or raise Replay / a 409 / 422 Problem."""
    if not key.strip() or len(key) > MAX_KEY_LENGTH:
        raise Problem(
            f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters.",
            status_code=400, code="invalid", errors={"Idempotency-Key": ["Invalid length."]},
        )  # fmt: skip
    now = timezone.now()
    digest = payload_hash(data)
    lookup = {"principal": principal, "key": key, "method": method, "path": path}
    try:
        with transaction.atomic():
            return IdempotencyRecord.objects.create(
                **lookup, request_hash=digest, expires_at=now + idempotency_ttl()
            )
    except IntegrityError:
        pass
    record = IdempotencyRecord.objects.select_for_update().get(**lookup)
    stale = record.expires_at <= now or (
        record.status_code is None and record.created_at <= now - IDEMPOTENCY_STALE_PENDING
    )
    if stale:  # expired, or a request that died mid-flight: start afresh
        record.request_hash, record.status_code, record.response_body = digest, None, None
        record.created_at, record.expires_at = now, now + idempotency_ttl()
        record.save()
        return record
    if record.request_hash != digest:
        raise Problem(
            "This Idempotency-Key was already used with a different request body. "
            "Use a new key for a new request.",
            status_code=422, code="idempotency_key_reused",
        )  # fmt: skip
    if record.status_code is None:
        raise Problem(
            "A request with this Idempotency-Key is still being processed; retry shortly.",
            status_code=409, code="idempotency_in_progress",
        )  # fmt: skip
    raise Replay(record)


def idempotency_finish(
    *, record: IdempotencyRecord, status_code: int, body: Any, content_type: str
) -> None:
    if status_code >= 500:  # the work may not have happened: let the caller retry
        idempotency_abandon(record=record)
        return
    # Through the JSON renderer: decimals, dates and lazy strings become plain JSON.
    record.status_code = status_code
    record.response_body = json.loads(JSONRenderer().render(body)) if body is not None else None
    record.content_type = content_type[:64]
    record.save(update_fields=["status_code", "response_body", "content_type"])


def idempotency_abandon(*, record: IdempotencyRecord) -> None:
    IdempotencyRecord.objects.filter(pk=record.pk, status_code__isnull=True).delete()


def idempotency_purge_expired() -> int:
    """Delete expired records in the current schema (run per workspace, e.g. daily)."""
    deleted, _ = IdempotencyRecord.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted
