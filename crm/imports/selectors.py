"""Reads for imports: job lists without the file bytes, and the error report."""

from __future__ import annotations

import csv
import io

from django.db.models import QuerySet

from .models import ImportJob, ImportRowError, MappingPreset


def import_job_list() -> QuerySet[ImportJob]:
    return ImportJob.objects.defer("content").select_related("created_by", "preset")


def import_job_get(*, job_id: int) -> ImportJob | None:
    return import_job_list().filter(pk=job_id).first()


def mapping_preset_list() -> QuerySet[MappingPreset]:
    return MappingPreset.objects.all()


def import_error_report_csv(*, job: ImportJob) -> str:
    """One line per rejected row: its number in the file (header = row 1), every reason,
    then the row's original cells so it can be fixed and re-imported."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["row", "reason", *job.headers])
    errors = ImportRowError.objects.filter(job=job).order_by("row_number").iterator(2000)
    for error in errors:
        reason = "; ".join(
            message if key in ("__all__", "row") else f"{key}: {message}"
            for key, message in error.errors.items()
        )
        writer.writerow([error.row_number, reason, *error.values])
    return out.getvalue()
