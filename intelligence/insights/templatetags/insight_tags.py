"""Timeline and leads-list helpers.

    {% load insight_tags %}{% activity_insight row timeline %}

renders an activity's insight badge. The first call on a page loads the insights of every
activity in `timeline` in one query (kept in the template's render context), so a timeline
costs one query whatever its length. `{% ask_chips %}` shows an Ask-the-CRM filter on the
leads list as chips you can remove, with the question to edit.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django import template

from ..ask import Vocabulary, filters_build
from ..selectors import insights_for_activities
from ..services import AUTO_KINDS, THREAD_KINDS

register = template.Library()
ANALYSABLE = AUTO_KINDS | THREAD_KINDS


@register.inclusion_tag("insights/_badge.html", takes_context=True)
def activity_insight(context, activity, timeline=None) -> dict:
    cache = context.render_context.setdefault("insight_tags", {})
    key = id(timeline)
    if key not in cache:
        rows = timeline or [("activity", activity)]
        ids = [row.pk for kind, row in rows if kind != "task"]
        cache[key] = insights_for_activities(activity_ids=ids)
    return {
        "activity": activity,
        "insight": cache[key].get(activity.pk),
        "analysable": activity.kind in ANALYSABLE and bool((activity.body or "").strip()),
    }


def _chip_values(params) -> dict:
    values: dict = {"custom": {}}
    if params.getlist("status"):
        values["statuses"] = params.getlist("status")
    for param, name in (("temperature", "temperature"), ("owner", "owner"),
                        ("source", "source"), ("created_from", "created_from"),
                        ("created_to", "created_to"), ("no_activity_since", "no_activity_since"),
                        ("city", "city"), ("region", "region"), ("q", "name"),
                        ("sort", "sort")):  # fmt: skip
        if params.get(param):
            values[name] = params.get(param)
    for key in params:
        if key.startswith("cf_") and not key.endswith(("_min", "_max")) and params.get(key):
            values["custom"][key[3:]] = params.get(key)
    return values


@register.inclusion_tag("insights/_ask_chips.html", takes_context=True)
def ask_chips(context) -> dict:
    request = context["request"]
    params = request.GET
    question = params.get("ask", "")
    if not question:
        return {"question": ""}
    _, chips, _ = filters_build(_chip_values(params), Vocabulary(user=request.user))
    shown = []
    for chip in chips:
        kept = [
            (k, v)
            for k in params
            for v in params.getlist(k)
            if k != "page" and not (k == chip.param and v == chip.value)
        ]
        shown.append((chip, urlencode(kept)))
    return {"question": question, "chips": shown}
