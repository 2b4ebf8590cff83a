"""Writes for imports: create a job from an upload, map its columns, start it, run it."""

from __future__ import annotations

import hashlib
import itertools
import logging
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation

from crm.events import publish
from crm.team.realtime import notify_user
from crm.tenancy.selectors import workspace_current

from .engine import ConcurrentRunError, commit_batch, validate_batch
from .mapping import mapping_validate, suggest_mapping
from .models import DuplicatePolicy, ImportJob, MappingPreset, Target
from .parsing import iter_rows, parse_file
from .validation import RowPreparer

logger = logging.getLogger(__name__)
BATCH_SIZE = 1000
RUNNABLE = (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING, ImportJob.Status.FAILED)


def _check_choice(name: str, value: str, choices: list[str]) -> None:
    if value not in choices:
        raise ValidationError({name: f'"{value}" is not one of: {", ".join(choices)}.'})


@transaction.atomic
def import_job_create(
    *,
    file_name: str,
    content: bytes,
    target: str = Target.CONTACTS,
    duplicates: str = DuplicatePolicy.SKIP,
    preset: MappingPreset | None = None,
    mapping: dict[str, str] | None = None,
    actor=None,
) -> ImportJob:
    """Check and store an upload. The mapping comes from `mapping`, else the preset, else a
    suggestion from the headers; the job waits in MAPPING until import_job_start."""
    if preset is not None:
        target = preset.target
    _check_choice("target", target, Target.values)
    _check_choice("duplicates", duplicates, DuplicatePolicy.values)
    parsed = parse_file(content)
    job = ImportJob(
        target=target,
        duplicates=duplicates,
        file_name=(file_name or "upload.csv")[:255],
        file_size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        encoding=parsed.encoding,
        delimiter=parsed.delimiter,
        headers=parsed.headers,
        total_rows=parsed.total_rows,
        preset=preset,
        options=dict(preset.options) if preset else {},
        created_by=actor,
    )
    if mapping is None and preset is not None:
        mapping = {h: t for h, t in preset.mapping.items() if h in parsed.headers}
    job.mapping = (
        mapping if mapping is not None else suggest_mapping(headers=parsed.headers, target=target)
    )
    job.save()
    return job


@transaction.atomic
def import_job_set_mapping(
    *,
    job: ImportJob,
    mapping: dict[str, str],
    duplicates: str | None = None,
    save_as_preset: str = "",
    actor=None,
) -> ImportJob:
    """Replace the mapping before the job starts; optionally save it as a preset."""
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status != ImportJob.Status.MAPPING:
        raise ValidationError({"mapping": "The import has started; its mapping is fixed."})
    if duplicates is not None:
        _check_choice("duplicates", duplicates, DuplicatePolicy.values)
        job.duplicates = duplicates
    job.warnings = mapping_validate(
        mapping=mapping, headers=job.headers, target=job.target, options=job.options
    )
    job.mapping = mapping
    if save_as_preset.strip():
        job.preset = mapping_preset_save(
            name=save_as_preset, target=job.target, mapping=mapping, options=job.options,
            actor=actor,
        )  # fmt: skip
    job.save()
    return job


@transaction.atomic
def mapping_preset_save(
    *, name: str, target: str, mapping: dict[str, str], options: dict | None = None, actor=None
) -> MappingPreset:
    """Create or overwrite the preset called `name`."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Give the preset a name."})
    _check_choice("target", target, Target.values)
    preset, _ = MappingPreset.objects.update_or_create(
        name=name,
        defaults={"target": target, "mapping": mapping, "options": options or {}},
        create_defaults={"target": target, "mapping": mapping, "options": options or {},
                         "created_by": actor},
    )  # fmt: skip
    return preset


@transaction.atomic
def import_job_start(*, job: ImportJob, actor=None) -> ImportJob:
    """Validate the mapping and queue the job (the task is sent once this commits)."""
    from .tasks import import_job_run_task

    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status not in (ImportJob.Status.MAPPING, ImportJob.Status.FAILED):
        raise ValidationError({"status": f"The import is {job.get_status_display().lower()}."})
    job.warnings = mapping_validate(
        mapping=job.mapping, headers=job.headers, target=job.target, options=job.options
    )
    job.status = ImportJob.Status.QUEUED
    job.last_error = ""
    job.save(update_fields=["warnings", "status", "last_error"])
    transaction.on_commit(lambda: import_job_run_task.delay(job_id=job.pk))
    return job


def _progress(job: ImportJob) -> None:
    """Best effort: a dead channel layer must not stop an import."""
    if not job.created_by_id:
        return
    payload = {
        "type": "import.progress",
        "job_id": job.pk,
        "status": job.status,
        "processed": job.committed_rows,
        "total": job.total_rows,
        "created": job.created_count,
        "updated": job.updated_count,
        "skipped": job.skipped_count,
        "errors": job.error_count,
    }
    try:
        notify_user(user_id=job.created_by_id, payload=payload)
    except Exception:
        logger.warning("Import #%s: progress notification failed", job.pk, exc_info=True)


def _finish(job: ImportJob, **changes: Any) -> None:
    for name, value in changes.items():
        setattr(job, name, value)
    ImportJob.objects.filter(pk=job.pk).update(**changes)


def import_job_run(*, job_id: int, batch_size: int = BATCH_SIZE) -> ImportJob:
    """Import the rows not yet committed, one atomic batch at a time. Safe to call again
    after a crash: it resumes after the last committed batch."""
    job = ImportJob.objects.get(pk=job_id)
    if job.status not in RUNNABLE:
        return job  # done, or never started: nothing to do (idempotent)
    workspace = workspace_current()
    preparer = RowPreparer.for_job(
        job, region=workspace.default_phone_region, workspace_timezone=workspace.timezone
    )
    _finish(job, status=ImportJob.Status.RUNNING, started_at=job.started_at or timezone.now())
    rows = iter_rows(job.content, encoding=job.encoding, delimiter=job.delimiter)
    position = job.committed_rows
    rows = itertools.islice(rows, position, None)
    # Validation is pure Python and never touches the database, so the NEXT batch is
    # validated on a helper thread while this one is written (psycopg releases the GIL while
    # PostgreSQL works). Batches are still committed one at a time, in order.
    language = translation.get_language()

    def validate(batch: list) -> tuple:
        with translation.override(language):
            return validate_batch(preparer, batch)

    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"import-{job.pk}")

    def submit() -> tuple[list, Future | None]:
        batch = list(itertools.islice(rows, batch_size))
        return batch, pool.submit(validate, batch) if batch else None

    try:
        batch, pending = submit()
        while pending is not None:
            validated = pending.result()
            following = submit()
            commit_batch(
                job=job, preparer=preparer, batch=batch, start=position, validated=validated
            )
            position += len(batch)
            job.refresh_from_db(fields=["committed_rows", "created_count", "updated_count",
                                        "skipped_count", "error_count"])  # fmt: skip
            snapshot = _copy(job)  # the counters as of this batch, not of a later one
            transaction.on_commit(lambda snapshot=snapshot: _progress(snapshot))
            batch, pending = following
    except ConcurrentRunError:
        logger.warning("Import #%s is being run by another worker; this run stops.", job.pk)
        return job
    except Exception as exc:
        _finish(job, status=ImportJob.Status.FAILED, last_error=f"{type(exc).__name__}: {exc}")
        _progress(job)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    _finish(job, status=ImportJob.Status.COMPLETED, finished_at=timezone.now())
    _progress(job)
    publish("import.completed", job_id=job.pk, target=job.target)
    return job


def _copy(job: ImportJob) -> ImportJob:
    clone = ImportJob(pk=job.pk)
    for name in ("status", "committed_rows", "total_rows", "created_count", "updated_count",
                 "skipped_count", "error_count", "created_by_id"):  # fmt: skip
        setattr(clone, name, getattr(job, name))
    return clone
