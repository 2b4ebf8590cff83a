"""The rep UI's forecast page: /forecast/?period=this-month|…|2026-Q4&pipeline=&owner=

Managers and admins see the team total with per-owner and per-pipeline breakdowns (and may
focus on one owner); reps see only their own numbers."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from crm.deals.models import Pipeline
from crm.team.selectors import user_list_active

from .charts import distribution_chart
from .models import Scope
from .periods import RELATIVE, period_parse, period_relative
from .selectors import forecast_accuracy, forecast_compute, workspace_today_and_zone

DEFAULT_PERIOD = "this-month"


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@login_required
@require_GET
def forecast_page(request: HttpRequest) -> HttpResponse:
    today = workspace_today_and_zone()[0]
    errors: list[str] = []
    choices = [
        (key, label, period_relative(key=key, today=today)) for key, (label, *_) in RELATIVE.items()
    ]

    chosen = request.GET.get("period") or DEFAULT_PERIOD
    if chosen in RELATIVE:
        period = period_relative(key=chosen, today=today)
    else:
        try:
            period = period_parse(chosen)
        except ValidationError as exc:
            errors.extend(exc.messages)
            chosen, period = DEFAULT_PERIOD, period_relative(key=DEFAULT_PERIOD, today=today)

    pipelines = list(Pipeline.objects.filter(archived=False).order_by("position", "id"))
    pipeline_id = _int(request.GET.get("pipeline"))
    if request.GET.get("pipeline") and pipeline_id not in {p.pk for p in pipelines}:
        errors.append("That pipeline does not exist; showing every pipeline.")
        pipeline_id = None

    manager = request.user.is_manager
    owners = list(user_list_active()) if manager else []
    owner_id = _int(request.GET.get("owner")) if manager else request.user.pk
    if manager and request.GET.get("owner") and owner_id not in {u.pk for u in owners}:
        errors.append("That team member does not exist; showing the team.")
        owner_id = None

    forecast = forecast_compute(
        period=period, owner_id=owner_id, pipeline_id=pipeline_id, today=today
    )
    if owner_id is not None:
        accuracy = forecast_accuracy(scope=Scope.OWNER, scope_ref=owner_id, today=today)
    elif pipeline_id is not None:
        accuracy = forecast_accuracy(scope=Scope.PIPELINE, scope_ref=pipeline_id, today=today)
    else:
        accuracy = forecast_accuracy(scope=Scope.TEAM, scope_ref=0, today=today)
    charts = [(fig, distribution_chart(fig)) for fig in forecast.total.figures]
    context = {
        "forecast": forecast,
        "charts": charts,
        "accuracy": accuracy,
        "choices": choices,
        "custom_period": all(p != period for _, _, p in choices),  # e.g. ?period=2025-Q3
        "pipelines": pipelines,
        "pipeline_id": pipeline_id,
        "owners": owners,
        "owner_id": owner_id,
        "is_manager": manager,
        "errors": errors,
    }
    return render(request, "forecast/page.html", context)
