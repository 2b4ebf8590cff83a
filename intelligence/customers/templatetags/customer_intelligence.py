"""{% customer_risk_panel company %} / {% customer_risk_panel contact %}: the churn risk and
3-year value panel on the company and contact pages (crm's views never import intelligence;
the template loads this tag). Renders nothing for prospects and churned records."""

from __future__ import annotations

import logging

from django import template

from crm.contacts.models import Company, Contact, LifecycleStage

from ..features import COMPANY, CONTACT
from ..scorecard import HORIZON_DAYS
from ..selectors import NotACustomer
from ..services import customer_score_current

log = logging.getLogger(__name__)
register = template.Library()


@register.inclusion_tag("intelligence_customers/_risk_panel.html")
def customer_risk_panel(record: Company | Contact | None) -> dict:
    kinds = {Company: COMPANY, Contact: CONTACT}
    kind = kinds.get(type(record))
    if kind is None or record.lifecycle_stage != LifecycleStage.CUSTOMER:
        return {"show": False}
    context = {"show": True, "kind": kind, "horizon_days": HORIZON_DAYS}
    try:
        context["score"] = customer_score_current(kind=kind, pk=record.pk)
    except NotACustomer:
        return {"show": False}
    except Exception:  # the page must render even if scoring fails; the log says why
        log.exception("customer risk panel: scoring %s %s failed", kind, record.pk)
        context["unavailable"] = True
    return context
