"""Rep UI: an activity's insights (run, read, turn an action item into a task) and Ask the
CRM (a question → the leads list, filtered). Views parse input, check who may act, call a
service and render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from crm.activities.models import Activity
from crm.web import INVALID, can_edit, errors_of, render_htmx

from .ask import ask_crm_parse
from .selectors import insight_get
from .services import activity_insight_compute, activity_record, insight_action_task_create


def _context(request: HttpRequest, activity_id: int, **extra) -> dict:
    insight = insight_get(activity_id=activity_id)
    activity = insight.activity if insight is not None else None
    if activity is None:
        activity = (
            Activity.objects.select_related("lead", "lead__contact", "deal", "contact", "company")
            .filter(pk=activity_id)
            .first()
        )
    if activity is None:
        raise Http404("No such activity.")
    record = activity_record(activity)
    return {
        "activity": activity,
        "record": record,
        "insight": insight,
        "can_act": can_edit(request.user, record),
        **extra,
    }


def _render(request: HttpRequest, context: dict, status: int = 200) -> HttpResponse:
    return render_htmx(
        request,
        full="insights/detail.html",
        partial="insights/_detail.html",
        context=context,
        status=status,
    )


@login_required
@require_GET
def insight_detail(request: HttpRequest, activity_id: int) -> HttpResponse:
    return _render(request, _context(request, activity_id))


@login_required
@require_POST
def insight_run(request: HttpRequest, activity_id: int) -> HttpResponse:
    context = _context(request, activity_id)
    if not context["can_act"]:
        raise PermissionDenied("Only the record's owner or a manager can analyse it.")
    insight = activity_insight_compute(activity_id=activity_id, actor=request.user)
    if insight is None:
        context["error"] = "There is not enough text to analyse yet."
        return _render(request, context, status=INVALID)
    return _render(request, _context(request, activity_id))


@login_required
@require_POST
def insight_action_task(request: HttpRequest, activity_id: int, index: int) -> HttpResponse:
    context = _context(request, activity_id)
    if context["insight"] is None:
        raise Http404("This activity has not been analysed.")
    try:
        task = insight_action_task_create(
            insight=context["insight"], index=index, actor=request.user
        )
    except ValidationError as exc:
        context["error"] = " ".join(m for ms in errors_of(exc).values() for m in ms)
        return _render(request, context, status=INVALID)
    return _render(request, _context(request, activity_id, created_task=task))


@login_required
@require_GET
def ask(request: HttpRequest) -> HttpResponse:
    """/…/ask/?q=hot leads in Orlando → /leads/?temperature=hot&…&ask=<question>"""
    question = request.GET.get("q", "")
    target = reverse("leads:list")
    if not question.strip():
        return redirect(target)
    result = ask_crm_parse(question=question, user=request.user)
    if result.unknown:
        messages.info(request, f"Not understood: {', '.join(result.unknown)}.")
    if result.unsupported:
        messages.info(request, f"Not applied: {'; '.join(result.unsupported)}.")
    query = result.query_string()
    separator = "&" if query else ""
    return redirect(f"{target}?{query}{separator}ask={_quote(result.question)}")


def _quote(text: str) -> str:
    from urllib.parse import quote_plus

    return quote_plus(text)
