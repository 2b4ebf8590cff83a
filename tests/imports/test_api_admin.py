"""Upload through the API and the admin, the task and its progress, and two-workspace
isolation: a job of alpha is invisible from beta and its rows land only in alpha."""

from __future__ import annotations

import json
from unittest import mock

from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context

from crm.contacts.models import Contact
from crm.imports.models import ImportJob
from crm.imports.services import import_job_create
from crm.imports.tasks import import_job_run_task

from .conftest import csv_bytes

CONTENT = csv_bytes([["Name", "E-mail", "Mobile"], ["Ada Lovelace", "ada@x.io", "512 555 0100"],
                     ["Bad Row", "nope", ""]])  # fmt: skip


def _upload(client, **data):
    return client.post(
        "/api/v1/imports/",
        {"file": SimpleUploadedFile("people.csv", CONTENT, "text/csv"), **data},
    )


def test_api_upload_map_start_and_report(alpha, alpha_manager, django_capture_on_commit_callbacks):
    client = alpha.logged_in_client(alpha_manager)
    response = _upload(client)
    assert response.status_code == 201, response.content
    job = response.json()
    assert job["status"] == "mapping"
    assert job["mapping"] == {"Name": "contact.full_name", "E-mail": "contact.email",
                              "Mobile": "contact.phone"}  # fmt: skip
    bad = client.post(
        f"/api/v1/imports/{job['id']}/mapping/",
        {"mapping": {"Name": "contact.shoe_size"}},
        content_type="application/json",
    )
    assert bad.status_code == 400 and "unknown field" in json.dumps(bad.json())
    with mock.patch("crm.imports.services.notify_user") as notify:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            started = client.post(f"/api/v1/imports/{job['id']}/start/")
        assert started.status_code == 202 and started.json()["status"] == "queued"
        with schema_context(alpha.schema):  # what the worker does with the queued task
            import_job_run_task.apply(kwargs={"job_id": job["id"]}, headers={
                "lodestar_schema": alpha.schema})  # fmt: skip
    assert len(callbacks) == 1  # the task is sent only after the commit
    done = client.get(f"/api/v1/imports/{job['id']}/").json()
    assert (done["status"], done["created_count"], done["error_count"]) == ("completed", 1, 1)
    payloads = [c.kwargs["payload"] for c in notify.call_args_list]
    assert payloads[-1]["status"] == "completed" and payloads[-1]["processed"] == 2
    assert all(c.kwargs["user_id"] == alpha_manager.pk for c in notify.call_args_list)
    report = client.get(done["error_report_url"])
    assert report.status_code == 200 and report.streaming
    body = b"".join(report.streaming_content)
    assert b'3,"email: ""nope"" is not a valid' in body


def test_api_refuses_bad_files_with_400(alpha, alpha_manager):
    client = alpha.logged_in_client(alpha_manager)
    empty = client.post("/api/v1/imports/", {"file": SimpleUploadedFile("e.csv", b"x")})
    assert empty.status_code == 400
    png = client.post("/api/v1/imports/",
                      {"file": SimpleUploadedFile("a.csv", b"\x89PNG\r\n\x1a\nrest")})  # fmt: skip
    assert png.status_code == 400 and "PNG" in json.dumps(png.json())
    with schema_context(alpha.schema):
        assert ImportJob.objects.count() == 0


def test_api_requires_authentication(alpha):
    assert alpha.client().get("/api/v1/imports/").status_code in (401, 403)


def test_admin_upload_mapping_and_report(alpha, alpha_manager):
    client = alpha.logged_in_client(alpha_manager)
    assert client.get("/admin/imports/importjob/add/").status_code == 200
    response = client.post("/admin/imports/importjob/add/", {
        "file": SimpleUploadedFile("people.csv", CONTENT), "target": "contacts",
        "duplicates": "skip",
    })  # fmt: skip
    assert response.status_code == 302, response.content
    mapping_url = response["Location"]
    page = client.get(mapping_url)
    assert page.status_code == 200 and b"contact.full_name" in page.content
    with mock.patch("crm.imports.tasks.import_job_run_task.delay") as delay:
        with schema_context(alpha.schema):
            job = ImportJob.objects.get()
        done = client.post(mapping_url, {"col_0": "contact.full_name", "col_1": "contact.email",
                                         "col_2": "", "duplicates": "update",
                                         "save_as_preset": "People"})  # fmt: skip
    assert done.status_code == 302
    with schema_context(alpha.schema):
        job.refresh_from_db()
        assert job.status == "queued" and job.preset.name == "People"
        assert job.warnings == ['Column "Mobile" is not mapped and will be ignored.']
    page = client.get(f"/admin/imports/importjob/{job.pk}/change/")
    assert page.status_code == 200 and b"0 / 2 rows" in page.content
    report = client.get(f"/admin/imports/importjob/{job.pk}/report.csv")
    assert report.status_code == 200 and report.streaming
    assert b"".join(report.streaming_content).startswith(b"row,reason,Name,E-mail,Mobile\r\n")
    del delay


def test_admin_bad_file_shows_the_error(alpha, alpha_manager):
    client = alpha.logged_in_client(alpha_manager)
    page = client.post("/admin/imports/importjob/add/", {
        "file": SimpleUploadedFile("a.csv", b"a,b\n\x00\x01\n"), "target": "contacts",
        "duplicates": "skip",
    })  # fmt: skip
    assert page.status_code == 200 and b"NUL bytes" in page.content


def test_jobs_are_isolated_between_workspaces(alpha, beta, alpha_manager, beta_manager):
    with schema_context(alpha.schema):
        job = import_job_create(file_name="a.csv", content=CONTENT, actor=alpha_manager)
        from crm.imports.services import import_job_run, import_job_start

        import_job_start(job=job)
        import_job_run(job_id=job.pk)
    beta_client = beta.logged_in_client(beta_manager)
    assert beta_client.get(f"/api/v1/imports/{job.pk}/").status_code == 404
    assert beta_client.get("/api/v1/imports/").json()["results"] == []
    assert beta_client.get(f"/api/v1/imports/{job.pk}/errors.csv").status_code == 404
    assert beta_client.get(f"/admin/imports/importjob/{job.pk}/change/").status_code in (302, 404)
    assert beta_client.get(f"/admin/imports/importjob/{job.pk}/report.csv").status_code == 404
    assert b"a.csv" not in beta_client.get("/admin/imports/importjob/").content
    with schema_context(beta.schema):
        assert not Contact.objects.filter(email="ada@x.io").exists()
    with schema_context(alpha.schema):
        assert Contact.objects.filter(email="ada@x.io").count() == 1
    alpha_client = alpha.logged_in_client(alpha_manager)
    assert alpha_client.get(f"/api/v1/imports/{job.pk}/").status_code == 200


def test_task_refuses_to_run_without_a_workspace(alpha):
    import pytest

    from crm.tenancy.celery import MissingTenantError

    with pytest.raises(MissingTenantError):
        import_job_run_task.delay(job_id=1)


def test_error_report_streams_every_row_in_order_and_defuses_formulas(
    alpha, alpha_manager, monkeypatch
):
    """Both downloads stream (StreamingHttpResponse over a chunked .iterator()), in file
    order, with spreadsheet formulas neutralised as in the CSV export."""
    import csv
    import io

    from crm.imports.services import import_job_run, import_job_start

    rows = [["name", "=cmd|' /C calc'!A0", "email"]]
    rows += [[f"P{i}", "+1 512 555 0100", f"bad{i}@"] for i in range(2500)]
    rows.append(["@SUM(1+1)", "-2", "still-bad@"])
    with schema_context(alpha.schema):
        job = import_job_create(
            file_name="f.csv", content=csv_bytes(rows), actor=alpha_manager,
            mapping={"name": "contact.full_name", "email": "contact.email"},
        )  # fmt: skip
        import_job_start(job=job)
        import_job_run(job_id=job.pk)
    client = alpha.logged_in_client(alpha_manager)
    for url in (f"/api/v1/imports/{job.pk}/errors.csv",
                f"/admin/imports/importjob/{job.pk}/report.csv"):  # fmt: skip
        response = client.get(url)
        assert response.status_code == 200 and response.streaming, url
        assert response["Content-Type"].startswith("text/csv")
        assert 'filename="import-' in response["Content-Disposition"]
        report = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
        assert report[0] == ["row", "reason", "name", "'=cmd|' /C calc'!A0", "email"]
        assert [int(r[0]) for r in report[1:]] == list(range(2, 2503))
        assert report[1] == ["2", 'email: "bad0@" is not a valid email address.', "P0",
                             "'+1 512 555 0100", "bad0@"]  # fmt: skip
        assert report[-1][2:] == ["'@SUM(1+1)", "'-2", "still-bad@"]
