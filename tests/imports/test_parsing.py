"""Files that are not CSVs, or not in a supported shape, are refused with a clear message and
nothing is stored."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError

from crm.contacts.models import Contact
from crm.imports.models import ImportJob
from crm.imports.parsing import parse_file
from crm.imports.services import import_job_create, import_job_run, import_job_start

from .conftest import csv_bytes

ROWS = [["name", "email", "city"], ["José Müller", "jose@x.io", "São Paulo"]]


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
@pytest.mark.parametrize(
    ("encoding", "expected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("latin-1", "latin-1")],
)
def test_encodings_and_delimiters_are_detected(in_alpha, delimiter, encoding, expected):
    content = csv_bytes(ROWS, delimiter=delimiter, encoding=encoding)
    parsed = parse_file(content)
    assert (parsed.encoding, parsed.delimiter) == (expected, delimiter)
    assert parsed.headers == ["name", "email", "city"]  # no BOM left in the first header
    job = import_job_create(file_name="p.csv", content=content)
    import_job_start(job=job)
    import_job_run(job_id=job.pk)
    contact = Contact.objects.get(email="jose@x.io")
    assert (contact.first_name, contact.last_name, contact.city) == ("José", "Müller", "São Paulo")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty (0 bytes)"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG image"),
        (b"name,email\nA\x00B,a@x.io\n", "NUL bytes"),
        (b"PK\x03\x04rest-of-a-workbook", "ZIP archive"),
        (b"name,email\n", "no data rows"),
        (b"name,Name\nA,B\n", "appears twice"),
    ],
)
def test_bad_files_are_refused(in_alpha, content, message):
    with pytest.raises(ValidationError, match=re.escape(message)):
        import_job_create(file_name="bad.csv", content=content)
    assert ImportJob.objects.count() == 0


def test_file_over_the_size_limit_is_refused(in_alpha, settings):
    settings.LODESTAR_IMPORT_MAX_BYTES = 100
    content = csv_bytes([["email"]] + [[f"p{i}@x.io"] for i in range(20)])
    with pytest.raises(ValidationError, match=r"the limit is 100 bytes"):
        import_job_create(file_name="big.csv", content=content)
    assert ImportJob.objects.count() == 0


def test_ragged_rows_are_row_errors(in_alpha):
    content = b"email,name\na@x.io,A\nb@x.io\nc@x.io,C,extra\n"
    job = import_job_create(file_name="p.csv", content=content)
    import_job_start(job=job)
    job = import_job_run(job_id=job.pk)
    assert (job.created_count, job.error_count) == (1, 2)
    assert job.row_errors.get(row_number=3).errors == {
        "row": "The row has 1 values; the header has 2."
    }
