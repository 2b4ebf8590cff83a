"""The lead page's score panel, as an inclusion tag so crm's lead page shows it without crm
importing intelligence:

    {% load lead_intelligence %}{% lead_score_panel lead %}

It reads `can_edit` and the CSRF token from the page's context (the Rescore button). A failure
here never breaks the lead page: the panel says scores are unavailable instead."""

from __future__ import annotations

import logging

from django import template

from crm.leads.models import Lead
from intelligence.selectors import lead_score_current, lead_score_history

log = logging.getLogger(__name__)
register = template.Library()
HISTORY_ROWS = 10


def lead_score_panel_context(*, lead: Lead, can_edit: bool) -> dict:
    """What the panel shows: the current score with its factors split by sign, the history."""
    score = lead_score_current(lead_id=lead.pk)
    factors = list(score.factors or []) if score else []
    return {
        "lead": lead,
        "score": score,
        "positive": [f for f in factors if f.get("weight", 0) > 0],
        "negative": [f for f in factors if f.get("weight", 0) < 0],
        "history": lead_score_history(lead_id=lead.pk, limit=HISTORY_ROWS) if score else [],
        "can_edit": can_edit,
    }


@register.inclusion_tag("intelligence/_lead_score_panel.html", takes_context=True)
def lead_score_panel(context, lead: Lead) -> dict:
    base = {"csrf_token": context.get("csrf_token"), "lead": lead}
    try:
        return {
            **base,
            **lead_score_panel_context(lead=lead, can_edit=bool(context.get("can_edit"))),
        }
    except Exception:  # the lead page stays usable whatever happens to the scores
        log.exception("score panel failed for lead %s", lead.pk)
        return {**base, "unavailable": True}


@register.filter
def signed_weight(value) -> str:
    """+0.18 / -0.12 (with a real minus sign), as a rep reads a factor's weight."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return ""
    return f"+{number:.2f}" if number >= 0 else f"\u2212{abs(number):.2f}"
