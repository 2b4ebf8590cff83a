"""The lead status machine: the only place that says which move is legal."""

from .models import LeadStatus as S

TRANSITIONS: dict[str, frozenset[str]] = {
    S.NEW: frozenset({S.CONTACTED, S.ENGAGED, S.QUALIFIED, S.LOST, S.DISQUALIFIED}),
    S.CONTACTED: frozenset({S.ENGAGED, S.QUALIFIED, S.LOST, S.DISQUALIFIED}),
    S.ENGAGED: frozenset({S.QUALIFIED, S.LOST, S.DISQUALIFIED}),
    S.QUALIFIED: frozenset({S.CONVERTED, S.LOST, S.DISQUALIFIED}),
    S.CONVERTED: frozenset(),  # terminal: the deal carries on
    S.LOST: frozenset({S.CONTACTED}),  # re-engage a lost lead
    S.DISQUALIFIED: frozenset({S.NEW}),  # a mistake undone
}
NEEDS_REASON = frozenset({S.LOST, S.DISQUALIFIED})
OPEN_STATUSES = frozenset({S.NEW, S.CONTACTED, S.ENGAGED, S.QUALIFIED})


def allowed_next(status: str) -> frozenset[str]:
    return TRANSITIONS.get(status, frozenset())
