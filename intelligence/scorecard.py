"""The cold-start scorecard: a handful of transparent rules, explained in the same format as
the trained model (factors {label, weight}, top 3 positive and top 3 negative)."""

from __future__ import annotations

from dataclasses import dataclass

from .models import Temperature

RULES_LABEL = "rules"
BASE_PROBABILITY = 0.30
# Defaults; each workspace's own thresholds live in IntelligenceSettings (services pass them).
HOT_THRESHOLD = 70
WARM_THRESHOLD = 40
TOP_FACTORS = 3


@dataclass(frozen=True)
class Scored:
    probability: float
    score: int
    temperature: str
    factors: list[dict]
    model_label: str


def temperature_for(score: int, *, hot: int = HOT_THRESHOLD, warm: int = WARM_THRESHOLD) -> str:
    if score >= hot:
        return Temperature.HOT
    return Temperature.WARM if score >= warm else Temperature.COLD


def _times(n: float) -> str:
    n = int(n)
    return {1: "once", 2: "twice"}.get(n, f"{n} times")


def top_factors(factors: list[tuple[str, float]], *, n: int = TOP_FACTORS) -> list[dict]:
    """Top n positive then top n negative factors, as {label, weight} dicts."""
    positive = sorted((f for f in factors if f[1] > 0), key=lambda f: -f[1])[:n]
    negative = sorted((f for f in factors if f[1] < 0), key=lambda f: f[1])[:n]
    return [{"label": label, "weight": round(weight, 2)} for label, weight in positive + negative]


def _rules(row: dict) -> list[tuple[str, float]]:
    get = lambda name: row.get(name) or 0  # noqa: E731 - missing counts as none
    factors: list[tuple[str, float]] = []
    replies_7d = get("inbound_7d")
    if replies_7d:
        factors.append((f"Replied {_times(replies_7d)} in the last 7 days",
                        min(0.27, 0.09 * replies_7d)))  # fmt: skip
    elif get("inbound_messages"):
        factors.append(("Has replied before", 0.08))
    if get("calls"):
        factors.append(
            (f"Spoke on the phone {_times(get('calls'))}", min(0.12, 0.04 * get("calls")))
        )
    if get("outbound_messages") >= 5 and not get("inbound_messages"):
        factors.append((f"{int(get('outbound_messages'))} messages sent, no reply", -0.12))
    quiet = row.get("days_since_last_activity")
    if quiet is not None and quiet > 30:
        factors.append((f"No activity in {int(quiet)} days", -0.15))
    elif quiet is None and get("days_since_created") > 14:
        factors.append((f"Never worked in {int(get('days_since_created'))} days", -0.12))
    response = row.get("first_response_seconds")
    if response is not None and response <= 300:
        factors.append(("Answered within 5 minutes", 0.08))
    elif response is not None and response > 86400:
        factors.append(("First response took over a day", -0.08))
    if row.get("estimated_value"):
        factors.append(("Has an estimated value", 0.05))
    if (row.get("source") or "").lower() == "referral":
        factors.append(("Came from a referral", 0.10))
    if get("company_employees") >= 50:
        factors.append(("Company with 50+ employees", 0.04))
    if row.get("lifecycle_stage") == "customer":
        factors.append(("Already a customer", 0.10))
    return factors


def scorecard_score(row: dict, *, hot: int = HOT_THRESHOLD, warm: int = WARM_THRESHOLD) -> Scored:
    factors = _rules(row)
    probability = round(min(0.99, max(0.01, BASE_PROBABILITY + sum(w for _, w in factors))), 6)
    score = round(probability * 100)
    return Scored(probability=probability, score=score,
                  temperature=temperature_for(score, hot=hot, warm=warm),
                  factors=top_factors(factors), model_label=RULES_LABEL)  # fmt: skip
