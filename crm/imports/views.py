"""The rep UI's import wizard: upload → map columns → preview → run (live progress).

Thin views: forms parse input, the import services write (import_job_create / _set_mapping /
_start), the selectors read (import_preview runs the engine's own row validation, writing
nothing). Only managers and admins import: a run may update contacts other reps own (policy
"update") and creates records for the whole workspace, which reps may not do one by one."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crm.web import INVALID

from .forms import MappingForm, UploadForm, add_service_errors
from .mapping import available_targets, mapping_validate
from .models import ImportJob
from .selectors import (
    import_error_report_lines,
    import_job_get,
    import_job_get_with_content,
    import_job_list,
    import_preview,
)
from .services import import_job_create, import_job_set_mapping, import_job_start

PREVIEW_ROWS = 20


def importer_required(view: Callable) -> Callable:
    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_manager:
            raise PermissionDenied("Only managers and admins import files.")
        return view(request, *args, **kwargs)

    return wrapper


def _job(job_id: int, *, content: bool = False) -> ImportJob:
    # Ids are looked up in the request's workspace schema: another workspace's id is a 404.
    job = import_job_get_with_content(job_id=job_id) if content else import_job_get(job_id=job_id)
    if job is None:
        raise Http404("No such import.")
    return job


def _not_mapping(job: ImportJob) -> HttpResponse | None:
    """Steps 2 and 3 exist only before the run; afterwards they lead to its progress page."""
    if job.status == ImportJob.Status.MAPPING:
        return None
    return redirect("imports:progress", job_id=job.pk)


@importer_required
@require_GET
def import_list(request: HttpRequest) -> HttpResponse:
    return render(request, "imports/list.html", {"jobs": import_job_list()[:20]})


@importer_required
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            job = import_job_create(
                file_name=data["file"].name, content=data["file"].read(), target=data["target"],
                duplicates=data["duplicates"], preset=data["preset"], actor=request.user,
            )  # fmt: skip
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect("imports:mapping", job_id=job.pk)
    status = INVALID if form.errors else 200
    return render(request, "imports/upload.html", {"form": form, "step": 1}, status=status)


def _mapping_problems(job: ImportJob) -> list[str]:
    """What would stop the current mapping, shown before the user submits anything."""
    try:
        mapping_validate(
            mapping=job.mapping, headers=job.headers, target=job.target, options=job.options
        )
    except ValidationError as exc:
        return exc.messages
    return []


@importer_required
@require_http_methods(["GET", "POST"])
def import_mapping(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job(job_id)
    if (moved := _not_mapping(job)) is not None:
        return moved
    form = MappingForm(request.POST or None, job=job)
    problems: list[str] = []
    if request.method == "POST":
        if form.is_valid():
            try:
                import_job_set_mapping(
                    job=job, mapping=form.mapping(), duplicates=form.cleaned_data["duplicates"],
                    save_as_preset=form.cleaned_data["save_as_preset"], actor=request.user,
                )  # fmt: skip
            except ValidationError as exc:
                problems = exc.message_dict.get("mapping", []) if hasattr(exc, "error_dict") else []
                add_service_errors(form, exc)
            else:
                return redirect("imports:preview", job_id=job.pk)
    else:
        problems = _mapping_problems(job)
    status = INVALID if form.errors else 200
    context = {"job": job, "form": form, "problems": problems, "step": 2}
    return render(request, "imports/mapping.html", context, status=status)


def _label(target: str) -> str:
    """Fields the engine derives (contact.timezone) have no label in the mapping's list."""
    return target.split(".")[-1].replace("_", " ").capitalize()


@importer_required
@require_GET
def import_preview_page(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job(job_id, content=True)
    if (moved := _not_mapping(job)) is not None:
        return moved
    problems = _mapping_problems(job)
    if problems:  # e.g. a preset that misses a required field: back to step 2 to fix it
        return redirect("imports:mapping", job_id=job.pk)
    labels = available_targets(target=job.target)
    rows = import_preview(job=job, limit=PREVIEW_ROWS)
    seen = {name for row in rows for name in row.values}
    # The mapped fields first (in the file's order), then what the engine derives (time zone).
    columns = [t for t in (job.mapping.get(h) for h in job.headers) if t and t in seen]
    columns += sorted(seen - set(columns))
    context = {
        "job": job,
        "rows": [(row, [row.values.get(name, "") for name in columns]) for row in rows],
        "columns": [(name, labels.get(name, _label(name))) for name in columns],
        "rejected": sum(1 for row in rows if row.errors),
        "step": 3,
    }
    return render(request, "imports/preview.html", context)


@importer_required
@require_POST
def import_run(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job(job_id)
    try:
        import_job_start(job=job, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("imports:progress", job_id=job.pk)


def job_status(job: ImportJob) -> dict:
    """The JSON of the status endpoint: the socket's import.progress payload plus the rest
    the page needs, so the script treats both sources alike."""
    done = job.status == ImportJob.Status.COMPLETED
    return {
        "type": "import.progress",
        "job_id": job.pk,
        "status": job.status,
        "status_display": job.get_status_display(),
        "processed": job.committed_rows,
        "total": job.total_rows,
        "percent": job.progress_percent,
        "created": job.created_count,
        "updated": job.updated_count,
        "skipped": job.skipped_count,
        "errors": job.error_count,
        "last_error": job.last_error,
        "finished": done or job.status == ImportJob.Status.FAILED,
        "error_report_url": reverse("imports:errors", kwargs={"job_id": job.pk}),
    }


@importer_required
@require_GET
def import_progress(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job(job_id)
    if job.status == ImportJob.Status.MAPPING:
        return redirect("imports:preview", job_id=job.pk)
    context = {"job": job, "state": job_status(job), "step": 4}
    return render(request, "imports/progress.html", context)


@importer_required
@require_GET
def import_status(request: HttpRequest, job_id: int) -> JsonResponse:
    response = JsonResponse(job_status(_job(job_id)))
    response["Cache-Control"] = "no-store"  # polled every 2 s: never a stale answer
    return response


@importer_required
@require_GET
def import_errors(request: HttpRequest, job_id: int) -> StreamingHttpResponse:
    job = _job(job_id)
    response = StreamingHttpResponse(
        import_error_report_lines(job=job), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
    return response
