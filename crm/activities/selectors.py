from __future__ import annotations

from django.db.models import F, Q, QuerySet

from .models import Activity, Task


def timeline_for(*, contact=None, lead=None, deal=None, company=None) -> QuerySet[Activity]:
    """Newest first, with the actor loaded in the same query."""
    filters = {
        k: v
        for k, v in {"contact": contact, "lead": lead, "deal": deal, "company": company}.items()
        if v is not None
    }
    return Activity.objects.filter(**filters).select_related("actor")


def task_list_open(*, assignee=None) -> QuerySet[Task]:
    qs = Task.objects.filter(done=False).select_related("assignee", "contact", "lead", "deal")
    return qs.filter(assignee=assignee) if assignee is not None else qs


# --- the rep UI's reads ---------------------------------------------------------------------


def timeline_entries(
    *, contact=None, lead=None, company=None, limit: int = 50
) -> list[tuple[str, object]]:
    """The record's activities (system entries included: status and stage changes) and its
    tasks, merged newest first as ("activity" | "task", row). Two queries whatever the size."""
    filters = {k: v for k, v in {"contact": contact, "lead": lead, "company": company}.items() if v}
    activities = list(Activity.objects.filter(**filters).select_related("actor")[:limit])
    tasks = list(
        Task.objects.filter(**filters).select_related("assignee").order_by("-created_at")[:limit]
    )
    merged = [("activity", a.occurred_at, a) for a in activities] + [
        ("task", t.created_at, t) for t in tasks
    ]
    merged.sort(key=lambda row: row[1], reverse=True)
    return [(kind, row) for kind, _, row in merged[:limit]]


def task_list_mine_open(*, user, limit: int = 30) -> QuerySet[Task]:
    """My open tasks, soonest due first; tasks without a due time last."""
    return (
        Task.objects.filter(assignee=user, done=False)
        .select_related("contact", "lead", "lead__contact", "deal")
        .order_by(F("due_at").asc(nulls_last=True), "-priority", "id")[:limit]
    )


def activity_list_recent_for_owner(*, user, limit: int = 15) -> QuerySet[Activity]:
    """Recent activity on records I own (my leads, contacts, deals), newest first."""
    return (
        Activity.objects.filter(Q(lead__owner=user) | Q(contact__owner=user) | Q(deal__owner=user))
        .select_related("actor", "lead", "contact", "deal")
        .order_by("-occurred_at", "-id")[:limit]
    )


# --- the Tasks page -------------------------------------------------------------------------


def task_list_for_page(*, assignee=None, done: bool = False, limit: int = 200) -> QuerySet[Task]:
    """Open tasks soonest due first (undated last), or done ones most recently completed
    first; everyone's when `assignee` is None. One query: what each is about comes along."""
    qs = Task.objects.filter(done=done).select_related(
        "assignee", "contact", "lead", "lead__contact", "deal", "company"
    )
    if assignee is not None:
        qs = qs.filter(assignee=assignee)
    if done:
        return qs.order_by(F("completed_at").desc(nulls_last=True), "-id")[:limit]
    return qs.order_by(F("due_at").asc(nulls_last=True), "-priority", "id")[:limit]


def task_get_for_page(*, task_id: int) -> Task | None:
    return (
        Task.objects.select_related(
            "assignee", "contact", "lead", "lead__contact", "deal", "company"
        )
        .filter(pk=task_id)
        .first()
    )
