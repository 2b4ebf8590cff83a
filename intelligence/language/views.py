"""Rep UI: one-click correction of a reply's intent (an HTMX partial on the timeline)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from crm.activities.models import Activity
from crm.web import INVALID, errors_of

from .selectors import reply_intents_for
from .services import reply_intent_correct


@login_required
@require_POST
def intent_correct(request: HttpRequest, activity_id: int) -> HttpResponse:
    activity = Activity.objects.filter(pk=activity_id).first()
    if activity is None:
        raise Http404("No such activity.")
    context: dict = {"activity": activity}
    status = 200
    try:
        context["intent"] = reply_intent_correct(
            activity=activity, intent=request.POST.get("intent", ""), actor=request.user
        )
    except ValidationError as exc:
        context["intent"] = reply_intents_for(activity_ids=[activity.pk]).get(activity.pk)
        context["error"] = " ".join(m for ms in errors_of(exc).values() for m in ms)
        status = INVALID  # 422: HTMX swaps it in, so the rep sees why
    return render(request, "language/_intent.html", context, status=status)
