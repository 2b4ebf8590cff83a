"""Reads for imports: job lists without the file bytes, and the error report."""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import QuerySet
from django_tenants.utils import schema_context

from crm.csvexport import csv_safe as _safe
from crm.tenancy.selectors import workspace_current

from .models import ImportJob, ImportRowError, MappingPreset
from .parsing import iter_rows
from .validation import PreparedRow, RowInvalid, RowPreparer


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


# --- the wizard's preview ------------------------------------------------------------------


@dataclass(frozen=True)
class PreviewRow:
    row_number: int
    cells: list[str]
    values: dict[str, Any]  # {target: value as it would be stored}; empty when rejected
    errors: dict[str, str]  # {column or field: message}; empty when the row is clean


def _stored_values(row: PreparedRow) -> dict[str, Any]:
    """A prepared row flattened to the mapping's target names (contact.email, lead.custom.x)."""
    flat: dict[str, Any] = {}
    for prefix, values in (("contact", row.contact), ("lead", row.lead)):
        for name, value in values.items():
            if name == "custom":
                flat.update({f"{prefix}.custom.{k}": v for k, v in value.items()})
            elif name != "timezone_source":
                flat[f"{prefix}.{name}"] = ", ".join(value) if isinstance(value, list) else value
    return flat


def import_preview(*, job: ImportJob, limit: int = 20) -> list[PreviewRow]:
    """The first `limit` rows through the import's own validation (RowPreparer), so the
    preview shows exactly what the run would store or reject. Reads only: nothing is written.
    `job` must be loaded with its content (ImportJob.objects.get, not import_job_get)."""
    workspace = workspace_current()
    preparer = RowPreparer.for_job(
        job, region=workspace.default_phone_region, workspace_timezone=workspace.timezone
    )
    rows = iter_rows(bytes(job.content), encoding=job.encoding, delimiter=job.delimiter)
    preview = []
    for row_number, cells in itertools.islice(rows, limit):
        try:
            values, errors = _stored_values(preparer.prepare(row_number, cells)), {}
        except RowInvalid as exc:
            values, errors = {}, exc.errors
        preview.append(PreviewRow(row_number=row_number, cells=cells, values=values, errors=errors))
    return preview


def import_job_get_with_content(*, job_id: int) -> ImportJob | None:
    """The job with its file bytes (the preview reads them); import_job_get defers them."""
    return ImportJob.objects.filter(pk=job_id).first()
