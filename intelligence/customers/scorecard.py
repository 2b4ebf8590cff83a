"""Cold-start churn rules: a handful of transparent signals, explained in the same format as the
trained model ({label, weight}; a positive weight raises the risk of churning)."""

from __future__ import annotations

from dataclasses import dataclass

from intelligence.scorecard import RULES_LABEL, top_factors

from .models import RiskBand

HORIZON_DAYS = 90
# A customer base churns a few percent a quarter; the rules move the risk from there.
BASE_PROBABILITY = 0.08
HIGH_BAND = 50  # churn score at or above: high risk
MEDIUM_BAND = 25  # at or above (and below high): medium


@dataclass(frozen=True)
class ChurnScored:
    probability: float
    score: int
    band: str
    factors: list[dict]
    model_label: str


def band_for(score: int) -> str:
    if score >= HIGH_BAND:
        return RiskBand.HIGH
    return RiskBand.MEDIUM if score >= MEDIUM_BAND else RiskBand.LOW


def churn_scored(probability: float, factors: list[dict], model_label: str) -> ChurnScored:
    probability = min(1.0, max(0.0, float(probability)))
    score = round(probability * 100)
    return ChurnScored(probability, score, band_for(score), factors, model_label)


def _rules(row: dict) -> list[tuple[str, float]]:
    get = lambda name: row.get(name) or 0  # noqa: E731 - missing counts as none
    factors: list[tuple[str, float]] = []
    quiet = row.get("days_since_last_activity")
    if quiet is None:
        if get("tenure_days") > 30:
            factors.append(("No activity on record", 0.15))
    elif quiet > 30:  # grows with the silence, up to three months' worth
        factors.append((f"No activity for {int(quiet)} days", min(0.27, 0.06 + quiet / 300)))
    elif get("inbound_30d"):
        factors.append(("Reached out in the last 30 days", -0.06))
    before, recent = get("activities_90d") - get("activity_trend"), get("activities_90d")
    if before >= 4 and recent <= before / 2:
        factors.append((f"Activity down from {int(before)} to {int(recent)} a quarter", 0.10))
    if get("opt_outs"):
        factors.append(("Opted out of messages", 0.12))
    if get("lost_deals_12m"):
        n = int(get("lost_deals_12m"))
        factors.append((f"{n} deal{'s' if n > 1 else ''} lost in the last 12 months",
                        min(0.12, 0.06 * n)))  # fmt: skip
    if get("overdue_tasks"):
        factors.append((f"{int(get('overdue_tasks'))} overdue task(s)", 0.05))
    if get("revenue_12m") > 0:
        factors.append(("Bought in the last 12 months", -0.06))
    elif get("won_deals") and get("tenure_days") > 365:
        factors.append(("No purchase in the last 12 months", 0.08))
    if get("open_deals"):
        factors.append(("Has an open deal in progress", -0.05))
    if get("won_deals") >= 3:
        factors.append((f"{int(get('won_deals'))} deals won over time", -0.04))
    tenure = get("tenure_days")
    if tenure < 90:
        factors.append(("New customer (under 90 days)", 0.04))
    elif tenure > 730:
        factors.append((f"Customer for {int(tenure // 365)} years", -0.04))
    return factors


def churn_scorecard(row: dict) -> ChurnScored:
    factors = _rules(row)
    probability = min(0.95, max(0.01, BASE_PROBABILITY + sum(w for _, w in factors)))
    return churn_scored(probability, top_factors(factors), RULES_LABEL)
