"""Reads of the language app."""

from __future__ import annotations

from collections.abc import Iterable

from .models import IntentLabel, ReplyIntent


def reply_intents_for(*, activity_ids: Iterable[int]) -> dict[int, ReplyIntent]:
    """activity id → its reply intent, in one query (for a timeline page)."""
    ids = [pk for pk in activity_ids if pk]
    if not ids:
        return {}
    rows = ReplyIntent.objects.filter(activity_id__in=ids).select_related("corrected_by")
    return {r.activity_id: r for r in rows}


def intent_label_list(*, limit: int = 100):
    return IntentLabel.objects.select_related("created_by")[:limit]
