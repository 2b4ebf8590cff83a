"""Reads for imports: job lists without the file bytes, and the error report."""

from __future__ import annotations

import csv
from collections.abc import Iterator

from django.db import connection
from django.db.models import QuerySet
from django_tenants.utils import schema_context

from crm.csvexport import csv_safe as _safe

from .models import ImportJob, ImportRowError, MappingPreset


def import_job_list() -> QuerySet[ImportJob]:
    return ImportJob.objects.defer("content").select_related("created_by", "preset")


def import_job_get(*, job_id: int) -> ImportJob | None:
    return import_job_list().filter(pk=job_id).first()


def mapping_preset_list() -> QuerySet[MappingPreset]:
    return MappingPreset.objects.all()


class _Line:
    """A file-like sink for csv.writer that hands back the last line written."""

    def write(self, text: str) -> str:
        return text


def _reason(errors: dict[str, str]) -> str:
    return "; ".join(
        message if key in ("__all__", "row") else f"{key}: {message}"
        for key, message in errors.items()
    )


def import_error_report_lines(*, job: ImportJob) -> Iterator[str]:
    """The error report, one CSV line at a time: the header, then one line per rejected row
    (its number in the file, header = row 1; every reason; the row's original cells, so it
    can be fixed and re-imported). Rows are read with a server-side cursor in chunks, so a
    report of 100,000 rejected rows is never held in memory. Every text cell goes through
    csv_safe, as in the CSV export: one a spreadsheet would run as a formula (= + - @, tab,
    CR) gets a leading quote, which the import's phone parsing ignores on the way back in."""
    # A streamed body is read after the view returns: pin the workspace's schema now.
    return _report_lines(job, schema=connection.schema_name)


def _report_lines(job: ImportJob, *, schema: str) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield writer.writerow(["row", "reason", *(_safe(h) for h in job.headers)])
    with schema_context(schema):
        errors = (
            ImportRowError.objects.filter(job=job)
            .order_by("row_number")
            .values_list("row_number", "errors", "values")
            .iterator(chunk_size=2000)
        )
        for row_number, row_errors, values in errors:
            yield writer.writerow([row_number, _safe(_reason(row_errors)), *map(_safe, values)])


def import_error_report_csv(*, job: ImportJob) -> str:
    """The whole error report as one string (tests and small reports); the download views
    stream import_error_report_lines instead."""
    return "".join(import_error_report_lines(job=job))
