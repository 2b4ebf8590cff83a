"""The rep UI's Tasks page: mine (or, for managers, the team's), complete or reopen with one
click, add a quick task. Views parse input, check permission, call services/selectors."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from crm.team.selectors import user_list_active
from crm.web import INVALID, errors_of

from .models import Task
from .selectors import task_get_for_page, task_list_for_page
from .services import task_complete, task_create


def _can_complete(user, task: Task) -> bool:
    # Reps tick off their own tasks; managers and admins anyone's.
    return bool(user.is_manager or task.assignee_id == user.pk)


def _list_context(request: HttpRequest) -> dict:
    user = request.user
    scope = request.GET.get("scope", "mine")
    scope = scope if scope in ("mine", "team") and user.is_manager else "mine"
    show = "done" if request.GET.get("show") == "done" else "open"
    members = list(user_list_active()) if user.is_manager else []
    assignee = user
    selected = ""
    if scope == "team":
        selected = request.GET.get("assignee", "")
        chosen = [m for m in members if str(m.pk) == selected]
        assignee = chosen[0] if chosen else None
    tasks = list(task_list_for_page(assignee=assignee, done=show == "done"))
    return {
        "tasks": tasks,
        "scope": scope,
        "show": show,
        "members": members,
        "selected_assignee": selected,
        "now": timezone.now(),
    }


@login_required
@require_GET
def task_page(request: HttpRequest) -> HttpResponse:
    context = _list_context(request)
    htmx = getattr(request, "htmx", None)
    template = "tasks/_list.html" if htmx and not htmx.boosted else "tasks/page.html"
    return render(request, template, context)


@login_required
@require_POST
def task_done(request: HttpRequest, task_id: int, done: bool) -> HttpResponse:
    task = task_get_for_page(task_id=task_id)
    if task is None:
        raise Http404("No such task in this workspace.")
    if not _can_complete(request.user, task):
        raise PermissionDenied("Only the assignee or a manager can complete this task.")
    task = task_complete(task=task, actor=request.user, done=done)
    if getattr(request, "htmx", None):
        context = {"task": task, "now": timezone.now(), "scope": request.POST.get("scope")}
        return render(request, "tasks/_row.html", context)
    return redirect("tasks:list")


def _due(value: str) -> datetime | None:
    """A datetime-local input ("2026-11-22T15:30") in the user's current time zone."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValidationError({"due_at": "Enter a date and time."}) from exc
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


@login_required
@require_POST
def task_new(request: HttpRequest) -> HttpResponse:
    user = request.user
    assignee = user
    wanted = request.POST.get("assignee", "")
    if user.is_manager and wanted:  # reps create tasks for themselves only
        assignee = next((m for m in user_list_active() if str(m.pk) == wanted), None)
        if assignee is None:
            raise Http404("No such team member.")
    try:
        task_create(
            title=request.POST.get("title", ""),
            due_at=_due(request.POST.get("due_at", "")),
            assignee=assignee,
            actor=user,
        )
    except ValidationError as exc:
        errors = errors_of(exc)
        context = {
            **_list_context(request),
            "errors": errors,
            "general_errors": errors.get("__all__", []),
            "form": request.POST,
        }
        return render(request, "tasks/page.html", context, status=INVALID)
    return redirect("tasks:list")
