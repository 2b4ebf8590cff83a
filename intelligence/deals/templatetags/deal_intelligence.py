"""Rep-UI panels of deal intelligence, as inclusion tags so crm's pages show them without
crm importing intelligence:

    {% load deal_intelligence %}{% deal_intelligence_panel deal %}
    {% load deal_intelligence %}{% lead_next_actions_panel lead %}

A failure here must never break the page: the panel says it is unavailable instead."""

from __future__ import annotations

import logging

from django import template

from crm.deals.models import Deal
from crm.leads.models import Lead
from intelligence.deals import services

log = logging.getLogger(__name__)
register = template.Library()


@register.inclusion_tag("intelligence_deals/_deal_panel.html")
def deal_intelligence_panel(deal: Deal) -> dict:
    try:
        score = services.deal_score_current(deal_id=deal.pk)
        actions = services.deal_next_actions(deal_id=deal.pk, score=score)
    except Exception:  # the deal page stays usable whatever happens to the scores
        log.exception("deal intelligence panel failed for deal %s", deal.pk)
        return {"unavailable": True}
    return {"score": score, "actions": actions}


@register.inclusion_tag("intelligence_deals/_lead_actions.html")
def lead_next_actions_panel(lead: Lead) -> dict:
    try:
        actions = services.lead_next_actions(lead_id=lead.pk)
    except Exception:
        log.exception("next actions panel failed for lead %s", lead.pk)
        return {"unavailable": True}
    return {"actions": actions}
