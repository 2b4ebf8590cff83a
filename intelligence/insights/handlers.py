"""A logged call, meeting or note with enough text is analysed in a Celery task after commit
(the gateway may call a remote model: never inside the request that logged it)."""

from __future__ import annotations

from crm.activities.models import Activity
from crm.events import subscribe


def on_activity_saved(*, event: str, activity_id: int, **_: object) -> None:
    from .services import insight_auto_eligible

    activity = Activity.objects.filter(pk=activity_id).first()
    if activity is None or not insight_auto_eligible(activity):
        return
    from .tasks import compute_insight

    compute_insight.delay(activity_id)  # already after commit: send it now


def register() -> None:
    subscribe("activity.logged", on_activity_saved)
    subscribe("activity.updated", on_activity_saved)
