"""The rep UI's pipeline: the kanban board, the stage move behind drag and drop, the deal page.

Thin views: filters are parsed by forms, reads go through selectors, the move through
services.deal_move_stage (which validates and records the DealStageChange)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from crm.activities.selectors import timeline_for
from crm.team.selectors import user_list_active
from crm.web import can_edit

from . import selectors
from .forms import BoardFilterForm, MoveForm
from .models import Deal, Stage
from .services import deal_move_stage

TIMELINE_LIMIT = 50


def _board_context(request: HttpRequest, params) -> dict:
    form = BoardFilterForm(params)
    filters = form.filters()
    pipelines = list(selectors.pipeline_list_active())
    pipeline = selectors.pipeline_for_board(
        pipeline_id=filters.get("pipeline"), pipelines=pipelines
    )
    board = None
    if pipeline is not None:
        board = selectors.deal_board(
            pipeline=pipeline,
            owner_id=filters.get("owner"),
            close_from=filters.get("close_from"),
            close_to=filters.get("close_to"),
        )
        for column in board.columns:
            for deal in column.deals:
                deal.can_move = can_edit(request.user, deal)
    query = {k: v for k, v in filters.items() if k != "pipeline"}
    if pipeline is not None:
        query["pipeline"] = pipeline.pk
    return {
        "board": board,
        "pipelines": pipelines,
        "owners": list(user_list_active()),
        "filters": filters,
        "query": urlencode(query),
    }


@login_required
@require_GET
def pipeline_board(request: HttpRequest) -> HttpResponse:
    return render(request, "deals/board.html", _board_context(request, request.GET))


def _move_failed(request: HttpRequest, message: str, status: int) -> HttpResponse:
    if request.headers.get("X-Board") == "1":
        return JsonResponse({"error": message}, status=status)
    messages.error(request, message)
    return redirect(_back_to_board(request))


def _back_to_board(request: HttpRequest) -> str:
    query = request.POST.get("board_query", "")
    return f"/pipeline/?{query}" if query else "/pipeline/"


@login_required
@require_POST
def deal_move(request: HttpRequest, deal_id: int) -> HttpResponse:
    """Move a deal to a stage. From the board's script (X-Board: 1) the answer is the
    re-rendered board (or JSON {"error"} with 400/403); from a plain form post, a redirect."""
    deal = get_object_or_404(Deal.objects.select_related("owner"), pk=deal_id)
    if not can_edit(request.user, deal):
        return _move_failed(request, "Only the deal's owner or a manager can move it.", 403)
    form = MoveForm(request.POST)
    if not form.is_valid():
        return _move_failed(request, "Choose a stage to move the deal to.", 400)
    stage = Stage.objects.select_related("pipeline").filter(pk=form.cleaned_data["stage"]).first()
    if stage is None:
        return _move_failed(request, "That stage does not exist.", 400)
    try:
        deal_move_stage(
            deal=deal,
            stage=stage,
            actor=request.user,
            lost_reason=form.cleaned_data["lost_reason"],
            origin="ui",
        )
    except ValidationError as exc:
        return _move_failed(request, " ".join(exc.messages), 400)
    if request.headers.get("X-Board") == "1":
        context = _board_context(request, QueryDict(request.POST.get("board_query", "")))
        return render(request, "deals/_board.html", context)
    messages.success(request, f"“{deal.name}” moved to {stage.name}.")
    return redirect(_back_to_board(request))


@login_required
@require_GET
def deal_page(request: HttpRequest, deal_id: int) -> HttpResponse:
    try:
        deal = selectors.deal_get_for_page(deal_id=deal_id)
    except Deal.DoesNotExist:
        raise Http404("No such deal.") from None
    context = {
        "deal": deal,
        "can_move": can_edit(request.user, deal),
        "stages": list(deal.pipeline.stages.order_by("position", "id")),
        "timeline": list(timeline_for(deal=deal)[:TIMELINE_LIMIT]),
    }
    return render(request, "deals/detail.html", context)
