"""The import wizard's four steps: each renders and advances; preview writes nothing; run
starts the job; the status endpoint; bad files store nothing."""

from __future__ import annotations

from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django_tenants.utils import schema_context

from crm.contacts.models import Contact
from crm.imports.models import ImportJob, ImportRowError, MappingPreset
from crm.imports.services import import_job_run

from .conftest import PEOPLE, csv_upload

pytestmark = pytest.mark.django_db


def _upload(client, rows=PEOPLE, **extra):
    data = {"file": csv_upload(rows), "target": "contacts", "duplicates": "skip", **extra}
    return client.post("/imports/new/", data)


def _job(alpha) -> ImportJob:
    with schema_context(alpha.schema):
        return ImportJob.objects.get()


def _mapping_post(job: ImportJob, **overrides) -> dict:
    data = {f"col_{i}": job.mapping.get(h, "") for i, h in enumerate(job.headers)}
    return {**data, "duplicates": "skip", "save_as_preset": "", **overrides}


def test_list_and_upload_render(client):
    assert client.get("/imports/").status_code == 200
    page = client.get("/imports/new/")
    assert page.status_code == 200
    assert b'enctype="multipart/form-data"' in page.content
    assert b"Imports</a>" in page.content  # the nav link, for a manager


def test_upload_creates_a_job_and_suggests_the_mapping(alpha, client):
    response = _upload(client)
    job = _job(alpha)
    assert response.status_code == 302
    assert response.url == f"/imports/{job.pk}/mapping/"
    assert job.status == ImportJob.Status.MAPPING
    assert job.mapping == {
        "First Name": "contact.first_name", "Surname": "contact.last_name",
        "E-mail": "contact.email", "Mobile": "contact.phone",
    }  # fmt: skip

    page = client.get(response.url)
    assert page.status_code == 200
    html = page.content.decode()
    assert '<option value="contact.email" selected>' in html
    assert "Map the columns" in html


def test_mapping_saves_advances_and_saves_a_preset(alpha, client):
    _upload(client)
    job = _job(alpha)
    data = _mapping_post(job, col_3="", duplicates="update", save_as_preset="My people")
    response = client.post(f"/imports/{job.pk}/mapping/", data)
    assert response.status_code == 302
    assert response.url == f"/imports/{job.pk}/preview/"
    job = _job(alpha)
    assert job.mapping["Mobile"] == "" and job.duplicates == "update"
    with schema_context(alpha.schema):
        assert MappingPreset.objects.get(name="My people").mapping == job.mapping


def test_mapping_without_an_identity_field_shows_the_error(alpha, client):
    _upload(client)
    job = _job(alpha)
    data = _mapping_post(job, col_0="", col_1="", col_2="", col_3="")
    response = client.post(f"/imports/{job.pk}/mapping/", data)
    assert response.status_code == 422
    assert b"misses a required field" in response.content
    assert _job(alpha).mapping == job.mapping  # unchanged


def test_mapping_to_an_unknown_field_is_refused(alpha, client):
    _upload(client)
    job = _job(alpha)
    response = client.post(f"/imports/{job.pk}/mapping/", _mapping_post(job, col_0="contact.nope"))
    assert response.status_code == 422
    assert b"Select a valid choice" in response.content


def test_mapping_page_shows_required_field_problems_up_front(alpha, client):
    client.post("/imports/new/", {"file": csv_upload([["colour"], ["blue"]]),
                                  "target": "contacts", "duplicates": "skip"})  # fmt: skip
    job = _job(alpha)
    page = client.get(f"/imports/{job.pk}/mapping/")
    assert b'id="mapping-problems"' in page.content
    # And the preview refuses to show an unusable mapping: back to step 2.
    assert client.get(f"/imports/{job.pk}/preview/").url == f"/imports/{job.pk}/mapping/"


def test_preview_shows_rows_as_stored_and_row_errors_without_writing(alpha, client):
    _upload(client)
    job = _job(alpha)
    with schema_context(alpha.schema):
        contacts_before = Contact.objects.count()
    page = client.get(f"/imports/{job.pk}/preview/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "+14155550101" in html  # the phone as it would be stored (E.164)
    assert 'class="row-error" data-row="3"' in html
    assert "1 of these row" in html
    assert "not-an-email" in html
    with schema_context(alpha.schema):
        assert Contact.objects.count() == contacts_before
        assert not ImportRowError.objects.exists()
        job = ImportJob.objects.get()
        assert job.status == ImportJob.Status.MAPPING and job.committed_rows == 0


def test_preview_shows_at_most_20_rows(alpha, client):
    rows = [["email"]] + [[f"p{n}@example.com"] for n in range(30)]
    _upload(client, rows=rows)
    job = _job(alpha)
    html = client.get(f"/imports/{job.pk}/preview/").content.decode()
    assert "p19@example.com" in html and "p20@example.com" not in html


def test_run_starts_the_job_and_it_completes(alpha, client, django_capture_on_commit_callbacks):
    _upload(client)
    job = _job(alpha)

    def run_now(*, job_id):  # the worker, inline: the same service the task calls
        with schema_context(alpha.schema):
            import_job_run(job_id=job_id)

    with (
        mock.patch("crm.imports.tasks.import_job_run_task.delay", side_effect=run_now) as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(f"/imports/{job.pk}/run/")
    assert response.status_code == 302 and response.url == f"/imports/{job.pk}/"
    delay.assert_called_once_with(job_id=job.pk)
    job = _job(alpha)
    assert job.status == ImportJob.Status.COMPLETED
    assert (job.created_count, job.error_count) == (2, 1)

    page = client.get(f"/imports/{job.pk}/")
    assert page.status_code == 200
    assert b'data-finished="true"' in page.content
    assert f'href="/imports/{job.pk}/errors.csv"'.encode() in page.content
    assert b"js/import_progress.js" in page.content

    status = client.get(f"/imports/{job.pk}/status/").json()
    assert status == {
        "type": "import.progress", "job_id": job.pk, "status": "completed",
        "status_display": "Completed", "processed": 3, "total": 3, "percent": 100,
        "created": 2, "updated": 0, "skipped": 0, "errors": 1, "last_error": "",
        "finished": True, "error_report_url": f"/imports/{job.pk}/errors.csv",
    }  # fmt: skip
    report = client.get(f"/imports/{job.pk}/errors.csv")
    body = b"".join(report.streaming_content).decode()
    assert report["Content-Type"].startswith("text/csv")
    assert body.splitlines()[1].startswith("3,")
    # After the run, the mapping and preview steps lead to the progress page.
    assert client.get(f"/imports/{job.pk}/mapping/").url == f"/imports/{job.pk}/"


def test_status_while_queued(alpha, client):
    _upload(client)
    job = _job(alpha)
    with mock.patch("crm.imports.tasks.import_job_run_task.delay"):
        client.post(f"/imports/{job.pk}/run/")
    state = client.get(f"/imports/{job.pk}/status/").json()
    assert (state["status"], state["processed"], state["finished"]) == ("queued", 0, False)
    assert client.get(f"/imports/{job.pk}/status/")["Cache-Control"] == "no-store"


def test_running_twice_shows_a_message_not_an_error(alpha, client):
    _upload(client)
    job = _job(alpha)
    with mock.patch("crm.imports.tasks.import_job_run_task.delay"):
        client.post(f"/imports/{job.pk}/run/")
        response = client.post(f"/imports/{job.pk}/run/", follow=True)
    assert response.status_code == 200
    assert b"The import is queued." in response.content


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty (0 bytes)."),
        (b"\x89PNG\r\n\x1a\nrest", "This is a PNG image, not a CSV file."),
        (b"name,email\x00\n", "binary file"),
        (b"email\n", "The file has a header row but no data rows."),
        (b"email,Email\na,b\n", "appears twice"),
    ],
)
def test_bad_files_show_the_engines_error_and_store_nothing(alpha, client, content, message):
    upload = SimpleUploadedFile("bad.csv", content, content_type="text/csv")
    response = client.post("/imports/new/", {"file": upload, "target": "contacts",
                                              "duplicates": "skip"})  # fmt: skip
    assert response.status_code == 422
    assert message in response.content.decode()
    with schema_context(alpha.schema):
        assert not ImportJob.objects.exists()


@override_settings(LODESTAR_IMPORT_MAX_BYTES=10)
def test_too_large_file_is_refused(alpha, client):
    response = _upload(client)
    assert response.status_code == 422
    assert "the limit is 10 bytes" in response.content.decode()
    with schema_context(alpha.schema):
        assert not ImportJob.objects.exists()


def test_missing_file_and_bad_choices(alpha, client):
    response = client.post("/imports/new/", {"target": "deals", "duplicates": "skip"})
    assert response.status_code == 422
    assert b"This field is required." in response.content
    assert b"Select a valid choice" in response.content
