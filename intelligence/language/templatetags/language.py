"""Timeline helpers: `{% reply_intents timeline as intents %}` loads the intents of every
reply on the page in one query; `intents|intent_of:row.pk` picks one; `|sentiment_label`."""

from __future__ import annotations

from django import template

from ..models import Intent
from ..selectors import reply_intents_for

register = template.Library()


@register.simple_tag
def reply_intents(timeline) -> dict:
    ids = [row.pk for kind, row in timeline or () if kind != "task"]
    return reply_intents_for(activity_ids=ids)


@register.filter
def intent_of(intents: dict, activity_id: int):
    return (intents or {}).get(activity_id)


@register.filter
def sentiment_label(score: float | None) -> str:
    if score is None:
        return ""
    return "positive" if score >= 0.05 else "negative" if score <= -0.05 else "neutral"


@register.simple_tag
def intent_choices() -> list[tuple[str, str]]:
    return list(Intent.choices)
