"""Next best action: a ranked list of what the rep should do next on a lead or a deal, each with
its reason in words. Pure functions of a SalesContext (no database), so every rule is testable.

Consent is respected here, not left to the caller: an action on a channel the contact may not
be reached on (no SMS consent → never "text") is never suggested.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

CALL_NOW = "call_now"
TEXT = "text"
EMAIL = "email"
CASE_STUDY = "send_case_study"
MEETING = "book_meeting"
RE_ENGAGE = "re_engage"
ESCALATE = "escalate"
CLOSE_LOST = "close_lost"

LABELS = {
    CALL_NOW: "Call now",
    TEXT: "Text",
    EMAIL: "Email",
    CASE_STUDY: "Send a case study",
    MEETING: "Book a meeting",
    RE_ENGAGE: "Re-engage",
    ESCALATE: "Escalate to a senior rep",
    CLOSE_LOST: "Close as lost",
}
MAX_ACTIONS = 5
RECENT_REPLY = timedelta(hours=1)
NEW_LEAD = timedelta(days=1)
LONG_SILENCE_DAYS = 30
CLOSE_LOST_PROBABILITY = 0.10  # deals: below this and long silent → close as lost
CLOSE_LOST_SCORE = 20  # leads: a score below this and long silent → close as lost


@dataclass(frozen=True)
class Reach:
    """Which channels the rep may use for this contact (consent and do-not-contact applied)."""

    phone: bool
    sms: bool
    call: bool
    email: bool

    def allows(self, code: str) -> bool:
        if code == CALL_NOW:
            return self.call
        if code == TEXT:
            return self.sms
        if code in (EMAIL, CASE_STUDY):
            return self.email
        if code in (RE_ENGAGE, MEETING):
            return self.call or self.sms or self.email
        return True  # escalate, close as lost: internal


@dataclass(frozen=True)
class SalesContext:
    now: datetime
    closed: bool
    created_at: datetime
    last_activity_at: datetime | None
    last_inbound_at: datetime | None
    last_outbound_at: datetime | None
    reach: Reach
    score: int | None = None  # lead score 0-100
    temperature: str | None = None  # hot / warm / cold
    win_probability: float | None = None  # deal, 0..1
    flags: list[dict] = field(default_factory=list)  # deal health flags {code, label, …}
    amount: float = 0.0
    median_won_amount: float | None = None
    inactive_days: int = 14

    @property
    def quiet_days(self) -> int:
        since = self.last_activity_at or self.created_at
        return max(0, (self.now - since).days)

    @property
    def unanswered_reply(self) -> bool:
        """The contact wrote within the hour and nobody answered since."""
        inbound, outbound = self.last_inbound_at, self.last_outbound_at
        return (
            inbound is not None
            and self.now - inbound <= RECENT_REPLY
            and (outbound is None or outbound < inbound)
        )


@dataclass(frozen=True)
class Action:
    code: str
    reason: str
    priority: int

    @property
    def label(self) -> str:
        return LABELS[self.code]

    def as_dict(self) -> dict:
        return {"code": self.code, "label": self.label, "reason": self.reason,
                "priority": self.priority}  # fmt: skip


def _ago(now: datetime, then: datetime) -> str:
    minutes = max(0, int((now - then).total_seconds() // 60))
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes} minute{'s' * (minutes != 1)} ago"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} hour{'s' * (hours != 1)} ago"
    return f"{hours // 24} days ago"


def _channel(reach: Reach) -> str:
    return "by phone" if reach.call else "by text" if reach.sms else "by email"


def _ranked(context: SalesContext, candidates: list[Action]) -> list[Action]:
    """Allowed actions only, each once (its strongest reason), highest priority first."""
    best: dict[str, Action] = {}
    for action in candidates:
        if not context.reach.allows(action.code):
            continue
        if action.code not in best or action.priority > best[action.code].priority:
            best[action.code] = action
    order = list(LABELS)
    ranked = sorted(best.values(), key=lambda a: (-a.priority, order.index(a.code)))
    return ranked[:MAX_ACTIONS]


def _lead_words(context: SalesContext) -> str:
    if context.temperature and context.score is not None:
        return f"{context.temperature.capitalize()} lead (score {context.score})"
    return "Lead not scored yet"


def rank_lead_actions(context: SalesContext) -> list[Action]:
    if context.closed:
        return []
    now, who, quiet = context.now, _lead_words(context), context.quiet_days
    hot, cold = context.temperature == "hot", context.temperature == "cold"
    out: list[Action] = []
    if context.unanswered_reply:
        ago = _ago(now, context.last_inbound_at)  # type: ignore[arg-type]
        out += [
            Action(CALL_NOW, f"{who} replied {ago}: call while they are engaged.",
                   100 if hot else 85),
            Action(TEXT, f"{who} replied {ago}: answer by text right away.", 90 if hot else 88),
            Action(EMAIL, f"Replied {ago}: answer by email if you cannot call.", 82),
        ]  # fmt: skip
    if context.last_outbound_at is None and now - context.created_at <= NEW_LEAD:
        out += [
            Action(CALL_NOW, "New lead nobody has contacted yet: the first minutes decide.", 95),
            Action(TEXT, "New lead nobody has contacted yet: text an introduction.", 85),
            Action(EMAIL, "New lead nobody has contacted yet: send an introduction.", 70),
        ]
    if hot:
        out += [
            Action(CALL_NOW, f"{who}: likely to convert, call today.", 85),
            Action(MEETING, f"{who}: propose a meeting to move it forward.", 80),
            Action(CASE_STUDY, f"{who}: a case study can tip the decision.", 50),
        ]
    elif context.temperature == "warm":
        out += [
            Action(EMAIL, f"{who}: follow up by email with a clear next step.", 60),
            Action(CASE_STUDY, f"{who}: show a case study from a similar customer.", 58),
            Action(MEETING, f"{who}: offer a short meeting.", 55),
        ]
    if quiet >= LONG_SILENCE_DAYS:
        out.append(Action(RE_ENGAGE, f"No activity in {quiet} days: re-engage "
                          f"{_channel(context.reach)} with a short check-in.", 65))  # fmt: skip
    if (
        cold and context.score is not None and context.score < CLOSE_LOST_SCORE
        and quiet >= 2 * LONG_SILENCE_DAYS
    ):  # fmt: skip
        out.append(Action(CLOSE_LOST, f"{who} and no activity in {quiet} days: close it as "
                          "lost and spend the time on warmer leads.", 70))  # fmt: skip
    if cold or context.temperature is None:
        out.append(Action(EMAIL, f"{who}: stay in touch by email.", 40))
        out.append(Action(CASE_STUDY, f"{who}: a case study may spark interest.", 35))
    return _ranked(context, out)


def _flag(context: SalesContext, code: str) -> dict | None:
    return next((f for f in context.flags if f.get("code") == code), None)


def rank_deal_actions(context: SalesContext) -> list[Action]:
    if context.closed:
        return []
    now, p = context.now, context.win_probability or 0.0
    percent = f"win probability {round(p * 100)} %"
    stale = _flag(context, "no_activity")
    median = context.median_won_amount
    high_value = bool(_flag(context, "amount_outlier")) or bool(
        median and context.amount >= 2 * median
    )
    out: list[Action] = []
    if context.unanswered_reply:
        ago = _ago(now, context.last_inbound_at)  # type: ignore[arg-type]
        out += [
            Action(CALL_NOW, f"The buyer replied {ago}: call while they are engaged.", 95),
            Action(TEXT, f"The buyer replied {ago}: answer by text right away.", 88),
            Action(EMAIL, f"The buyer replied {ago}: answer by email.", 60),
        ]
    if stale and high_value:
        worth = f"{context.amount:,.0f}" + (f", {context.amount / median:.1f}x the median won"
                                            if median else "")  # fmt: skip
        out.append(Action(ESCALATE, f"{stale['label']} on a high-value deal ({worth}): bring "
                          "in a senior rep.", 90))  # fmt: skip
    if stale:
        out.append(Action(RE_ENGAGE, f"{stale['label']}: re-engage {_channel(context.reach)} "
                          "with a concrete next step.", 80))  # fmt: skip
    if p < CLOSE_LOST_PROBABILITY and context.quiet_days >= 2 * context.inactive_days:
        out.append(Action(CLOSE_LOST, f"Only {percent} and no activity in "
                          f"{context.quiet_days} days: close it as lost.", 85))  # fmt: skip
    slipped = _flag(context, "close_date_slipped")
    if slipped:
        out.append(Action(CALL_NOW, f"{slipped['label']}: confirm the decision date on a call.",
                          75))  # fmt: skip
        out.append(Action(EMAIL, f"{slipped['label']}: ask what is holding the decision.", 60))
    single = _flag(context, "single_stakeholder")
    if single:
        out.append(Action(MEETING, f"{single['label']}: book a meeting that brings in the "
                          "decision maker.", 70))  # fmt: skip
    stuck = _flag(context, "stuck_in_stage")
    if stuck:
        out.append(Action(MEETING, f"{stuck['label']}: agree the next step in a meeting.", 65))
        if p < 0.5:
            out.append(Action(CASE_STUDY, f"{stuck['label']}: a case study can unblock it.", 55))
    if high_value and len(context.flags) >= 2:
        out.append(Action(ESCALATE, f"High-value deal with {len(context.flags)} risk flags: "
                          "ask a senior rep to review it.", 72))  # fmt: skip
    if p >= 0.6 and not context.flags:
        out += [
            Action(MEETING, f"Strong deal ({percent}): book the closing meeting.", 60),
            Action(CALL_NOW, f"Strong deal ({percent}): call to agree the paperwork.", 55),
        ]
    elif 0.2 <= p < 0.6:
        out.append(Action(CASE_STUDY, f"Undecided ({percent}): a case study from a similar "
                          "customer builds confidence.", 50))  # fmt: skip
    out.append(Action(EMAIL, f"Keep the buyer warm with a short update ({percent}).", 40))
    return _ranked(context, out)
