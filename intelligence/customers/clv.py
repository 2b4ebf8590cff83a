"""Expected revenue of a customer over the next 36 months (the "formula"):

    clv_3y = monthly revenue rate x Σ_{m=1..36} S(m) / (1 + d)^m

* monthly revenue rate: the customer's won deal amounts per month of tenure, shrunk toward
  the workspace's pooled rate for young customers:
      rate = w · own + (1 - w) · workspace,   w = tenure / (tenure + SHRINK_MONTHS)
  (own = revenue / max(tenure, 1 month): a deal won today is at least a month's revenue)
* S(m) = (1 - h)^m, the chance of still being a customer after m months, with the monthly
  hazard h from the 90-day churn probability p (90 days ≈ 3 months): 1 - h = (1 - p)^(1/3)
* d: monthly discount rate, `LODESTAR_CLV_MONTHLY_DISCOUNT_RATE` (default 0: undiscounted).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

HORIZON_MONTHS = 36
SHRINK_MONTHS = 6.0  # after 6 months a customer's own rate weighs as much as the workspace's
DAYS_PER_MONTH = 365.25 / 12
CHURN_HORIZON_MONTHS = 3  # the churn probability is over 90 days
CENT = Decimal("0.01")


def discount_rate() -> float:
    rate = float(getattr(settings, "LODESTAR_CLV_MONTHLY_DISCOUNT_RATE", 0.0) or 0.0)
    if not math.isfinite(rate) or rate < 0:
        raise ValueError("LODESTAR_CLV_MONTHLY_DISCOUNT_RATE must be a finite rate ≥ 0")
    return rate


def monthly_hazard(churn_probability: float) -> float:
    p = churn_probability if math.isfinite(churn_probability) else 0.0
    p = min(1.0, max(0.0, p))
    return 1.0 - (1.0 - p) ** (1.0 / CHURN_HORIZON_MONTHS)


def survival_months(hazard: float, *, months: int = HORIZON_MONTHS, discount: float = 0.0) -> float:
    """Σ_{m=1..months} ((1 - hazard) / (1 + discount))^m: expected (discounted) months still a
    customer over the horizon."""
    q = (1.0 - hazard) / (1.0 + discount)
    if abs(1.0 - q) < 1e-12:
        return float(months)
    return q * (1.0 - q**months) / (1.0 - q)


def shrunk_rate(
    *, revenue: float, tenure_months: float, workspace_rate: float
) -> tuple[float, float, float | None]:
    """(rate, weight of the customer's own rate, own rate or None when no tenure)."""
    tenure = max(0.0, tenure_months if math.isfinite(tenure_months) else 0.0)
    revenue = revenue if math.isfinite(revenue) and revenue > 0 else 0.0
    workspace = workspace_rate if math.isfinite(workspace_rate) and workspace_rate > 0 else 0.0
    if tenure == 0:
        return workspace, 0.0, None
    own = revenue / max(tenure, 1.0)
    weight = tenure / (tenure + SHRINK_MONTHS)
    return weight * own + (1 - weight) * workspace, weight, own


@dataclass(frozen=True)
class ClvEstimate:
    value: Decimal
    components: dict


def money(value: float) -> Decimal:
    return Decimal(str(max(0.0, value) if math.isfinite(value) else 0.0)).quantize(
        CENT, rounding=ROUND_HALF_UP
    )


def clv_formula(
    *,
    revenue: float,
    tenure_months: float,
    workspace_rate: float,
    churn_probability: float,
    discount: float | None = None,
) -> ClvEstimate:
    discount = discount_rate() if discount is None else discount
    rate, weight, own = shrunk_rate(
        revenue=revenue, tenure_months=tenure_months, workspace_rate=workspace_rate
    )
    hazard = monthly_hazard(churn_probability)
    months = survival_months(hazard, discount=discount)
    components = {
        "method": "formula",
        "monthly_revenue_rate": round(rate, 2),
        "own_monthly_rate": round(own, 2) if own is not None else None,
        "workspace_monthly_rate": round(workspace_rate, 2),
        "own_rate_weight": round(weight, 4),
        "revenue_to_date": round(revenue, 2),
        "tenure_months": round(tenure_months, 2),
        "churn_probability_90d": round(churn_probability, 4),
        "monthly_churn_hazard": round(hazard, 5),
        "survival_weighted_months": round(months, 3),
        "horizon_months": HORIZON_MONTHS,
        "monthly_discount_rate": discount,
    }
    return ClvEstimate(value=money(rate * months), components=components)


def tenure_months(start: datetime, at: datetime) -> float:
    return max(0.0, (at - start).total_seconds() / 86400 / DAYS_PER_MONTH)
