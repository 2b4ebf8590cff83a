"""Deal health 0-100 and its named risk flags, each with a recommendation.

Health starts at 100 and each flag takes its penalty off. The norms a flag compares against
(median days per stage, median won amount) are the workspace's own, read in two queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import connection

from crm.deals.models import Deal, DealStageChange, Stage

# A norm from fewer examples than this is noise: the flag that needs it stays off.
MIN_STAGE_STAYS = 5
MIN_WON_DEALS = 5

NO_ACTIVITY = "no_activity"
SINGLE_STAKEHOLDER = "single_stakeholder"
STUCK_IN_STAGE = "stuck_in_stage"
CLOSE_DATE_SLIPPED = "close_date_slipped"
AMOUNT_OUTLIER = "amount_outlier"

# Health points each flag costs, and how much it lowers the rules' win probability.
PENALTY = {
    NO_ACTIVITY: 30,
    STUCK_IN_STAGE: 20,
    CLOSE_DATE_SLIPPED: 20,
    SINGLE_STAKEHOLDER: 15,
    AMOUNT_OUTLIER: 15,
}
FLAG_NAMES = {
    NO_ACTIVITY: "No recent activity",
    SINGLE_STAKEHOLDER: "One stakeholder only",
    STUCK_IN_STAGE: "Stuck in stage",
    CLOSE_DATE_SLIPPED: "Close date slipped",
    AMOUNT_OUTLIER: "Amount far above the norm",
}


@dataclass(frozen=True)
class Norms:
    stage_median_days: dict[int, float]  # open stage id → median days deals stay in it
    median_won_amount: float | None
    inactive_days: int
    amount_outlier_ratio: float


@dataclass(frozen=True)
class Flag:
    code: str
    label: str
    recommendation: str
    penalty: int

    def as_dict(self) -> dict:
        return {"code": self.code, "name": FLAG_NAMES[self.code], "label": self.label,
                "recommendation": self.recommendation, "penalty": self.penalty}  # fmt: skip


def _stage_medians() -> dict[int, float]:
    """Median completed stay (days) per open stage, from the stage history: each change's
    time until the deal's next change. Stays still running are not finished, so left out."""
    changes, stages = DealStageChange._meta.db_table, Stage._meta.db_table
    sql = f"""
        SELECT stays.to_stage_id,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY stays.seconds) / 86400.0,
               count(*)
        FROM (
            SELECT c.to_stage_id,
                   EXTRACT(EPOCH FROM LEAD(c.changed_at) OVER (
                       PARTITION BY c.deal_id ORDER BY c.changed_at, c.id) - c.changed_at
                   ) AS seconds
            FROM {changes} c
        ) stays
        JOIN {stages} s ON s.id = stays.to_stage_id
        WHERE stays.seconds IS NOT NULL AND NOT s.is_won AND NOT s.is_lost
        GROUP BY stays.to_stage_id
    """  # table names from the models, no input
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return {sid: float(days) for sid, days, n in cursor.fetchall() if n >= MIN_STAGE_STAYS}


def median_won_amount() -> float | None:
    deals, stages = Deal._meta.db_table, Stage._meta.db_table
    sql = f"""
        SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY d.amount), count(*)
        FROM {deals} d JOIN {stages} s ON s.id = d.stage_id
        WHERE s.is_won AND d.amount > 0
    """  # table names from the models, no input
    with connection.cursor() as cursor:
        cursor.execute(sql)
        median, n = cursor.fetchone()
    return float(median) if median is not None and n >= MIN_WON_DEALS else None


def health_norms(*, inactive_days: int, amount_outlier_ratio: float) -> Norms:
    return Norms(
        stage_median_days=_stage_medians(),
        median_won_amount=median_won_amount(),
        inactive_days=inactive_days,
        amount_outlier_ratio=amount_outlier_ratio,
    )


def _plural(n: float, word: str) -> str:
    n = int(n)
    return f"{n} {word}" + ("" if n == 1 else "s")


def _flag(code: str, label: str, recommendation: str) -> Flag:
    return Flag(code=code, label=label, recommendation=recommendation, penalty=PENALTY[code])


def health_flags(row: dict, norms: Norms, *, today: date) -> list[Flag]:
    """The risk flags of an open deal (a closed deal has none), from its feature row."""
    if row.get("_closed"):
        return []
    flags: list[Flag] = []
    quiet = row.get("days_since_last_activity")
    if quiet is None:
        quiet = row.get("age_days") or 0
        quiet_text = f"No activity since the deal was opened {_plural(quiet, 'day')} ago"
    else:
        quiet_text = f"No activity in {_plural(quiet, 'day')}"
    if quiet >= norms.inactive_days:
        advice = "Call or email the buyer this week with a concrete next step; log it."
        flags.append(_flag(NO_ACTIVITY, quiet_text, advice))

    people = int(row.get("stakeholders") or 0)
    if people <= 1:
        label = "Only one contact on the deal" if people == 1 else "No contact on the deal"
        advice = (
            "Ask your contact to bring in the decision maker and a second champion; "
            "add them to the deal."
        )
        flags.append(_flag(SINGLE_STAKEHOLDER, label, advice))

    median = norms.stage_median_days.get(row.get("_stage_id"))  # type: ignore[arg-type]
    in_stage = row.get("days_in_stage")
    if median is not None and in_stage is not None and in_stage > max(median, 1.0):
        label = (
            f"{_plural(in_stage, 'day')} in {row.get('_stage_name')} "
            f"(deals usually move on after {median:.0f})"
        )
        advice = (
            "Agree the exit criteria for this stage with the buyer, or move the deal back "
            "to where it really is."
        )
        flags.append(_flag(STUCK_IN_STAGE, label, advice))

    close_date = row.get("_expected_close_date")
    slips = int(row.get("close_date_slips") or 0)
    if isinstance(close_date, date) and close_date < today:
        overdue = _plural((today - close_date).days, "day")
        advice = "Confirm the real decision date with the buyer and update the close date."
        flags.append(_flag(CLOSE_DATE_SLIPPED, f"Expected close date passed {overdue} ago", advice))
    elif slips:
        times = {1: "once", 2: "twice"}.get(slips, f"{slips} times")
        advice = "Find out what is delaying the decision and who can unblock it."
        flags.append(_flag(CLOSE_DATE_SLIPPED, f"Close date pushed back {times}", advice))

    median_won, amount = norms.median_won_amount, float(row.get("_amount") or 0)
    if median_won and amount > norms.amount_outlier_ratio * median_won:
        label = f"Amount is {amount / median_won:.1f}x the median won deal ({median_won:,.0f})"
        advice = (
            "Check the scope and budget with the buyer; consider phasing it, or bring in "
            "a senior rep."
        )
        flags.append(_flag(AMOUNT_OUTLIER, label, advice))
    return flags


def health_score(flags: list[Flag]) -> int:
    return max(0, 100 - sum(flag.penalty for flag in flags))
