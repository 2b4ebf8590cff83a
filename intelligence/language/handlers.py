"""Activity events → sentiment (at once, after commit: VADER takes well under a millisecond)
and reply intent (a Celery task: the classifier, and later an LLM refining it, must not hold
up the request that logged the message)."""

from __future__ import annotations

from crm.activities.models import Activity
from crm.events import subscribe

from .services import REPLY_KINDS, activity_language_analyze


def on_activity_changed(*, event: str, activity_id: int, **_: object) -> None:
    activity_language_analyze(activity_id=activity_id, intent=False)
    is_reply = Activity.objects.filter(
        pk=activity_id, direction=Activity.Direction.INBOUND, kind__in=list(REPLY_KINDS)
    ).exists()
    if is_reply:
        from .tasks import analyze_activity

        analyze_activity.delay(activity_id)  # already after commit: send it now


def register() -> None:
    subscribe("activity.logged", on_activity_changed)
    subscribe("activity.updated", on_activity_changed)
