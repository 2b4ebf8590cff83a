"""The rep's Today page: what needs doing now, across leads, tasks and deals."""

from __future__ import annotations

import calendar

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from crm.activities.selectors import activity_list_recent_for_owner, task_list_mine_open
from crm.deals.selectors import deal_list_closing_between
from crm.leads.selectors import (
    lead_list_awaiting_first_response,
    lead_list_hot,
    lead_list_mine,
)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    today = timezone.localdate(now)
    month_end = today.replace(day=calendar.monthrange(today.year, today.month)[1])
    deals = list(
        deal_list_closing_between(owner=request.user, start=today.replace(day=1), end=month_end)
    )
    context = {
        "now": now,
        "tasks": task_list_mine_open(user=request.user),
        "waiting": lead_list_awaiting_first_response(user=request.user),
        "hot_leads": lead_list_hot(user=request.user),
        "my_leads": lead_list_mine(user=request.user),
        "deals": deals,
        "deals_total": sum(d.amount for d in deals),
        "activity": activity_list_recent_for_owner(user=request.user),
    }
    return render(request, "team/home.html", context)
