"""Writing the audit trail. Called by the services of contacts, leads and deals."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterable
from typing import Any

from django.db import models

from .models import AuditEvent


def _jsonable(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The audited fields of a record, as JSON-able values (FKs as ids)."""
    result = {}
    for name in fields:
        field = instance._meta.get_field(name)
        result[name] = _jsonable(getattr(instance, field.attname))
    return result


def audit_changes(
    *,
    entity_type: str,
    entity_id: int,
    before: dict[str, Any],
    after: dict[str, Any],
    actor=None,
    source: str = "",
    action: str = AuditEvent.Action.UPDATE,
) -> list[AuditEvent]:
    rows = [
        AuditEvent(
            entity_type=entity_type,
            entity_id=entity_id,
            action=action,
            field=name,
            old_value=before.get(name),
            new_value=after.get(name),
            actor=actor,
            source=source,
        )
        for name in after
        if before.get(name) != after.get(name)
    ]
    return AuditEvent.objects.bulk_create(rows)


def audit_event(
    *,
    entity_type: str,
    entity_id: int,
    action: str,
    actor=None,
    source: str = "",
    field: str = "",
    old_value: Any = None,
    new_value: Any = None,
) -> AuditEvent:
    return AuditEvent.objects.create(
        entity_type=entity_type,
        entity_id=entity_id,
        action=action,
        field=field,
        old_value=_jsonable(old_value),
        new_value=_jsonable(new_value),
        actor=actor,
        source=source,
    )


def audited_delete(
    *, instance: models.Model, entity_type: str, actor=None, source: str = ""
) -> int:
    """Delete a record and leave one audit row naming what it was; returns the old id.
    Call inside the caller's transaction so the row and the delete stand or fall together."""
    entity_id, label = instance.pk, str(instance)
    instance.delete()
    audit_event(entity_type=entity_type, entity_id=entity_id, action=AuditEvent.Action.DELETE,
                old_value=label, actor=actor, source=source)  # fmt: skip
    return entity_id
