"""The cold-start win probability: the stage's own probability, adjusted by the health flags
and a few engagement signals. Explained like every score: [{"label", "weight"}], top positive
then top negative, weights in probability points (0.12 = 12 %)."""

from __future__ import annotations

from dataclasses import dataclass

from .health import (
    AMOUNT_OUTLIER,
    CLOSE_DATE_SLIPPED,
    NO_ACTIVITY,
    SINGLE_STAKEHOLDER,
    STUCK_IN_STAGE,
    Flag,
)

RULES_LABEL = "rules"
TOP_FACTORS = 3
FLAG_WEIGHTS = {
    NO_ACTIVITY: -0.10,
    STUCK_IN_STAGE: -0.08,
    CLOSE_DATE_SLIPPED: -0.07,
    SINGLE_STAKEHOLDER: -0.05,
    AMOUNT_OUTLIER: -0.05,
}


@dataclass(frozen=True)
class WinScore:
    probability: float
    factors: list[dict]
    model_label: str


def top_factors(factors: list[tuple[str, float]], *, n: int = TOP_FACTORS) -> list[dict]:
    """Top n positive then top n negative factors, as {label, weight} dicts."""
    positive = sorted((f for f in factors if f[1] > 0), key=lambda f: -f[1])[:n]
    negative = sorted((f for f in factors if f[1] < 0), key=lambda f: f[1])[:n]
    return [{"label": label, "weight": round(weight, 2)} for label, weight in positive + negative]


def _times(n: float) -> str:
    return {1: "once", 2: "twice"}.get(int(n), f"{int(n)} times")


def closed_score(row: dict) -> WinScore:
    won = row.get("_closed") == "won"
    label = "Deal won" if won else "Deal lost"
    return WinScore(1.0 if won else 0.0, [{"label": label, "weight": 1.0 if won else -1.0}],
                    "closed")  # fmt: skip


def rules_score(row: dict, flags: list[Flag]) -> WinScore:
    stage = row.get("_stage_probability_now") or 0.0
    factors: list[tuple[str, float]] = []
    if stage:
        factors.append((f"In stage {row.get('_stage_name')} ({stage:.0f} % by stage)", stage / 100))
    replies = row.get("inbound_30d") or 0
    if replies:
        factors.append((f"Buyer replied {_times(replies)} in the last 30 days",
                        min(0.08, 0.03 * replies)))  # fmt: skip
    recent = row.get("activities_7d") or 0
    if recent >= 3:
        factors.append((f"{int(recent)} activities in the last 7 days", 0.04))
    if (row.get("meetings") or 0) >= 1:
        factors.append((f"Met {_times(row['meetings'])}", 0.03))
    if (row.get("stakeholders") or 0) >= 3:
        factors.append((f"{int(row['stakeholders'])} stakeholders involved", 0.04))
    factors += [(flag.label, FLAG_WEIGHTS[flag.code]) for flag in flags]
    probability = min(0.99, max(0.01, sum(w for _, w in factors)))
    return WinScore(probability, top_factors(factors), RULES_LABEL)
