"""The import service end to end (synchronously): parse → map → validate → batched writes."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.exceptions import ValidationError

from crm.contacts.models import Contact
from crm.customfields.services import custom_field_define
from crm.imports.models import ImportJob
from crm.imports.selectors import import_error_report_csv
from crm.imports.services import import_job_create, import_job_run, import_job_start

from .conftest import csv_bytes

HEADER = ["First Name", "Last Name", "Email", "Phone", "Favourite colour"]


def _run(content: bytes, *, actor=None, **kwargs) -> ImportJob:
    job = import_job_create(file_name="people.csv", content=content, actor=actor, **kwargs)
    import_job_start(job=job)
    return import_job_run(job_id=job.pk)


def test_contacts_import_normalises_and_reports_bad_rows(in_alpha, alpha_manager):
    content = csv_bytes([
        HEADER,
        ["Ada", "Lovelace", "ADA@Example.com ", "(512) 555-0100", "blue"],
        ["Bad", "Phone", "bad.phone@example.com", "12", "red"],
        ["Bad", "Email", "not-an-email", "+1 512 555 0101", "red"],
        ["", "", "", "", "green"],
        ["Grace", "Hopper", "grace@example.com", "+44 20 7946 0018", ""],
    ])  # fmt: skip
    job = _run(content, actor=alpha_manager)
    assert job.status == ImportJob.Status.COMPLETED
    assert (job.created_count, job.error_count, job.total_rows) == (2, 3, 5)
    ada = Contact.objects.get(email="ada@example.com")
    assert ada.phone == "+15125550100" and ada.timezone == "America/Chicago"
    assert Contact.objects.get(last_name="Hopper").phone == "+442079460018"
    report = list(csv.reader(io.StringIO(import_error_report_csv(job=job))))
    assert report[0] == ["row", "reason", *HEADER]
    assert report[1][:2] == ["3", 'phone: "12" is not a valid phone number for US.']
    assert report[2][:2] == ["4", 'email: "not-an-email" is not a valid email address.']
    assert report[3][:2] == ["5", "A contact needs a name, an email, a phone or a PSID."]
    assert report[1][2:] == ["Bad", "Phone", "bad.phone@example.com", "12", "red"]
    assert job.warnings == ['Column "Favourite colour" is not mapped and will be ignored.']


def test_suggested_mapping_uses_headers_and_custom_fields(in_alpha):
    custom_field_define(entity="contact", label="Favourite colour", field_type="text")
    job = import_job_create(file_name="p.csv", content=csv_bytes([HEADER, ["a", "b", "", "", "x"]]))
    assert job.mapping == {
        "First Name": "contact.first_name",
        "Last Name": "contact.last_name",
        "Email": "contact.email",
        "Phone": "contact.phone",
        "Favourite colour": "contact.custom.favourite_colour",
    }


def test_wrong_custom_field_type_is_a_row_error(in_alpha):
    custom_field_define(entity="contact", label="Seats", field_type="number")
    content = csv_bytes([["email", "seats"], ["a@x.io", "12"], ["b@x.io", "twelve"]])
    job = _run(content)
    assert job.created_count == 1 and job.error_count == 1
    assert Contact.objects.get(email="a@x.io").custom == {"seats": 12}
    report = list(csv.reader(io.StringIO(import_error_report_csv(job=job))))
    assert report[1][:2] == ["3", 'custom.seats: Seats: "twelve" is not a number.']


@pytest.mark.parametrize(
    ("policy", "created", "updated", "skipped"),
    [("skip", 1, 0, 2), ("update", 1, 2, 0), ("create", 3, 0, 0)],
)
def test_duplicate_policies(in_alpha, policy, created, updated, skipped):
    Contact.objects.create(first_name="Old", email="dup@x.io", phone="+15125550100")
    content = csv_bytes([
        ["first name", "email", "phone"],
        ["New", "DUP@x.io", ""],            # matches the stored contact by email
        ["Newer", "", "512-555-0100"],      # … and by phone
        ["Fresh", "fresh@x.io", ""],
    ])  # fmt: skip
    job = _run(content, duplicates=policy)
    assert (job.created_count, job.updated_count, job.skipped_count) == (created, updated, skipped)
    first_names = sorted(Contact.objects.values_list("first_name", flat=True))
    if policy == "update":
        assert first_names == ["Fresh", "Newer"]
    elif policy == "skip":
        assert first_names == ["Fresh", "Old"]
    else:
        assert len(first_names) == 4


def test_duplicates_inside_one_file_are_caught(in_alpha):
    content = csv_bytes([["email", "name"], ["a@x.io", "A"], ["A@X.io", "A again"]])
    job = _run(content)
    assert (job.created_count, job.skipped_count) == (1, 1)


def test_mapping_missing_required_field_is_refused(in_alpha):
    job = import_job_create(file_name="p.csv", content=csv_bytes([["colour"], ["red"]]))
    with pytest.raises(ValidationError, match="misses a required field"):
        import_job_start(job=job)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.MAPPING and Contact.objects.count() == 0


def test_required_custom_field_must_be_mapped(in_alpha):
    custom_field_define(entity="contact", label="Region code", field_type="text", required=True)
    job = import_job_create(file_name="p.csv", content=csv_bytes([["email"], ["a@x.io"]]))
    with pytest.raises(ValidationError, match="Region code"):
        import_job_start(job=job)
