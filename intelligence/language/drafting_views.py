"""Rep UI for drafting: a page with the panel, and the JSON endpoints its script calls
(approve, discard, subject lines, reply suggestions). The draft itself streams over the
socket (drafting_consumers.py). Views parse, call a service, shape the answer."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from crm.web import INVALID, errors_of

from .drafting import (
    draft_approve,
    draft_discard,
    reply_suggestions,
    subject_variants,
)
from .drafting_facts import RECORD_TYPES, draft_facts, draft_record_get


def _refusal(exc: Exception) -> JsonResponse:
    if isinstance(exc, PermissionDenied):
        return JsonResponse({"message": str(exc) or "Not allowed.", "fields": {}}, status=403)
    fields = errors_of(exc)
    message = " ".join(m for msgs in fields.values() for m in msgs)
    return JsonResponse({"message": message, "fields": fields}, status=INVALID)


@login_required
@require_GET
def draft_page(request: HttpRequest) -> HttpResponse:
    """/language/draft/?lead=7 (or contact= / deal=): the panel on a page of its own."""
    chosen = [(t, request.GET[t]) for t in RECORD_TYPES if request.GET.get(t)]
    if len(chosen) != 1:
        raise Http404("Name one lead, contact or deal, e.g. ?lead=7.")
    try:
        record = draft_record_get(
            record_type=chosen[0][0], record_id=chosen[0][1], user=request.user
        )
    except ValidationError as exc:
        raise Http404(" ".join(exc.messages)) from exc
    return render(
        request, "language/draft_page.html", {"record": record, "record_type": chosen[0][0]}
    )


@login_required
@require_POST
def approve(request: HttpRequest) -> JsonResponse:
    try:
        decision = draft_approve(
            usage_id=request.POST.get("usage_id"),
            text=request.POST.get("text", ""),
            subject=request.POST.get("subject", ""),
            user=request.user,
        )
    except (ValidationError, PermissionDenied) as exc:
        return _refusal(exc)
    return JsonResponse({"outcome": decision.outcome, "usage_id": decision.usage_id})


@login_required
@require_POST
def discard(request: HttpRequest) -> JsonResponse:
    try:
        decision = draft_discard(usage_id=request.POST.get("usage_id"), user=request.user)
    except (ValidationError, PermissionDenied) as exc:
        return _refusal(exc)
    return JsonResponse({"outcome": decision.outcome, "usage_id": decision.usage_id})


def _record(request: HttpRequest):
    return draft_record_get(
        record_type=request.POST.get("record_type"),
        record_id=request.POST.get("record_id"),
        user=request.user,
    )


@login_required
@require_POST
def subjects(request: HttpRequest) -> JsonResponse:
    try:
        record = _record(request)
        result = subject_variants(
            record=record,
            user=request.user,
            purpose=request.POST.get("purpose", ""),
            draft=request.POST.get("draft", ""),
        )
    except (ValidationError, PermissionDenied) as exc:
        return _refusal(exc)
    return JsonResponse(
        {
            "subjects": (result.data or {}).get("subjects", []),
            "engine": result.engine,
            "usage_id": result.usage_id,
        }
    )


@login_required
@require_POST
def replies(request: HttpRequest) -> JsonResponse:
    """Three replies to the record's last inbound message (or to `message` if sent)."""
    try:
        record = _record(request)
        message = request.POST.get("message") or draft_facts(record=record).last_inbound
        result = reply_suggestions(
            message=message,
            record=record,
            user=request.user,
            tone=request.POST.get("tone") or "friendly",
        )
    except (ValidationError, PermissionDenied) as exc:
        return _refusal(exc)
    return JsonResponse(
        {
            "message": message,
            "replies": (result.data or {}).get("replies", []),
            "engine": result.engine,
            "usage_id": result.usage_id,
        }
    )
