from __future__ import annotations

from django.db.models import QuerySet

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
