"""The import wizard's permissions: sign-in, managers only, tenant isolation, CSRF, XSS."""

from __future__ import annotations

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from crm.imports.models import ImportJob
from crm.imports.services import import_job_create
from crm.team.models import Role

from .conftest import PEOPLE, csv_upload

pytestmark = pytest.mark.django_db

PAGES = ["/imports/", "/imports/new/"]


def _job_pages(job_id: int) -> list[str]:
    return [f"/imports/{job_id}/{p}" for p in ("mapping/", "preview/", "", "status/", "errors.csv")]


@pytest.fixture
def beta_job(beta):
    with schema_context(beta.schema):
        return import_job_create(file_name="b.csv", content=b"email\nb@example.com\n")


def test_anonymous_is_sent_to_sign_in(alpha, beta_job):
    client = alpha.client()
    for url in [*PAGES, *_job_pages(beta_job.pk)]:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response.url, url
    assert client.post(f"/imports/{beta_job.pk}/run/").status_code == 302


def test_reps_may_not_import(alpha, rep_client):
    with schema_context(alpha.schema):
        job = import_job_create(file_name="a.csv", content=b"email\na@example.com\n")
    for url in [*PAGES, *_job_pages(job.pk)]:
        assert rep_client.get(url).status_code == 403, url
    assert rep_client.post(f"/imports/{job.pk}/run/").status_code == 403
    assert b'href="/imports/"' not in rep_client.get("/").content  # no nav link either


def test_another_workspaces_job_is_a_404(alpha, beta, client, beta_job):
    with schema_context(alpha.schema):
        assert not ImportJob.objects.filter(pk=beta_job.pk).exists()
    for url in _job_pages(beta_job.pk):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/imports/{beta_job.pk}/run/").status_code == 404
    assert client.post(f"/imports/{beta_job.pk}/mapping/", {}).status_code == 404
    with schema_context(beta.schema):
        assert ImportJob.objects.get(pk=beta_job.pk).status == ImportJob.Status.MAPPING


def test_csrf_is_enforced(alpha):
    manager = alpha.make_user(email="csrf.importer@alpha.test", role=Role.MANAGER)
    client = Client(HTTP_HOST=alpha.host, enforce_csrf_checks=True)
    with schema_context(alpha.schema):
        client.force_login(manager)
        job = import_job_create(file_name="a.csv", content=b"email\na@example.com\n")
    data = {"file": csv_upload(PEOPLE), "target": "contacts", "duplicates": "skip"}
    assert client.post("/imports/new/", data).status_code == 403
    assert client.post(f"/imports/{job.pk}/mapping/", {"col_0": ""}).status_code == 403
    assert client.post(f"/imports/{job.pk}/run/").status_code == 403
    with schema_context(alpha.schema):
        assert ImportJob.objects.count() == 1
        assert ImportJob.objects.get().status == ImportJob.Status.MAPPING


def test_xss_in_a_cell_and_a_header_is_shown_escaped(alpha, client):
    payload = "<script>alert(1)</script>"
    rows = [["First Name", "Email", f"x{payload}"], [payload, "x@example.com", payload],
            ["Ok", "not-an-email", "<img src=x onerror=alert(2)>"]]  # fmt: skip
    client.post("/imports/new/", {"file": csv_upload(rows), "target": "contacts",
                                  "duplicates": "skip"})  # fmt: skip
    with schema_context(alpha.schema):
        job = ImportJob.objects.get()
    for url in (f"/imports/{job.pk}/mapping/", f"/imports/{job.pk}/preview/"):
        html = client.get(url).content.decode()
        assert payload not in html and "<img src=x" not in html, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, url
