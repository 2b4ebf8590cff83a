"""The import wizard in chromium: upload, accept the suggested mapping, preview, run, and
watch the progress bar reach 100 % as the batches are announced on the websocket.

There is no Celery worker in the live-server test, so the task's `delay` is replaced by a
test-only stand-in that runs the very service the task calls (import_job_run) on a thread, in
the schema the request sent it from, exactly as a worker would. Progress therefore travels
the production path: import_job_run → notify_user → channel layer (Redis) → the uvicorn
websocket consumer → import_progress.js. The run waits until the page's socket has said hello,
so every batch is delivered over the socket (the page records the transport it used)."""

from __future__ import annotations

import threading
from unittest import mock

import pytest
from django.db import connection, connections
from django_tenants.utils import schema_context

from crm.contacts.models import Contact
from crm.imports.models import ImportJob
from crm.imports.services import import_job_run
from crm.team.models import Role

pytestmark = pytest.mark.django_db(transaction=True)

CSV = (
    b"First Name,Surname,E-mail,Mobile\n"
    b"Grace,Hopper,grace@example.com,(415) 555-0111\n"
    b"Bad,Row,not-an-email,\n"
    b"Katherine,Johnson,kj@example.com,415-555-0112\n"
    b"Dorothy,Vaughan,dv@example.com,415.555.0113\n"
    b"Mary,Jackson,mj@example.com,4155550114\n"
)


class ThreadWorker:
    """Stands in for a Celery worker: `delay(job_id=…)` runs import_job_run on a thread once
    `go` is set, two rows per batch so the bar moves in several steps."""

    def __init__(self) -> None:
        self.go = threading.Event()
        self.threads: list[threading.Thread] = []

    def delay(self, *, job_id: int) -> None:
        schema = connection.schema_name  # what TenantTask puts in the message's headers

        def work() -> None:
            try:
                self.go.wait(timeout=10)
                with schema_context(schema):
                    import_job_run(job_id=job_id, batch_size=2)
            finally:
                connections.close_all()

        thread = threading.Thread(target=work, daemon=True, name=f"import-{job_id}")
        self.threads.append(thread)
        thread.start()


def test_run_an_import_and_watch_the_progress_reach_100(
    alpha, page, login, live_server_url, screenshot
):
    manager = alpha.make_user(email="importing.manager@alpha.test", role=Role.MANAGER)
    worker = ThreadWorker()
    login(page, alpha, manager.email)
    with mock.patch("crm.imports.tasks.import_job_run_task.delay", side_effect=worker.delay):
        page.goto(f"{live_server_url(alpha)}/")
        page.get_by_role("link", name="Imports").click()
        page.get_by_role("link", name="Import a CSV file").click()

        # 1. Upload (from memory, no file on disk).
        page.set_input_files(
            "#id_file", files=[{"name": "people.csv", "mimeType": "text/csv", "buffer": CSV}]
        )
        page.get_by_role("button", name="Upload and map columns").click()

        # 2. The suggested mapping is pre-filled: accept it.
        page.get_by_role("heading", name="Map the columns of people.csv").wait_for()
        assert page.locator("select#id_col_2").input_value() == "contact.email"
        assert page.locator("select#id_col_3").input_value() == "contact.phone"
        page.get_by_role("button", name="Preview the rows").click()

        # 3. Preview: rows as stored, the bad one highlighted; nothing written yet.
        page.locator("#preview-table").wait_for()
        assert page.locator("tr.row-error").count() == 1
        assert page.locator('tr[data-row="2"]').inner_text().count("+14155550111") == 1
        with schema_context(alpha.schema):
            assert not Contact.objects.filter(email="grace@example.com").exists()
        screenshot(page, "import-preview")

        # 4. Run, and watch the bar.
        page.get_by_role("button", name="Import 5 rows").click()
        card = page.locator("#import-progress")
        page.wait_for_selector('#import-progress[data-synced="true"]')
        assert card.get_attribute("data-transport") == "socket"
        worker.go.set()
        page.wait_for_selector('#import-progress[data-finished="true"]', timeout=15_000)

        bar = page.get_by_role("progressbar")
        assert bar.get_attribute("aria-valuenow") == "100"
        assert card.get_attribute("data-source") == "socket"  # the last update came live
        assert card.locator('[data-field="created"]').inner_text() == "4"
        assert card.locator('[data-field="errors"]').inner_text() == "1"
        report = page.locator("#error-report")
        assert report.is_visible()
        screenshot(page, "import-finished")

        with page.expect_download() as download:
            report.click()
        assert "not-an-email" in download.value.path().read_text()

    for thread in worker.threads:
        thread.join(timeout=10)
    with schema_context(alpha.schema):
        job = ImportJob.objects.get(created_by=manager)
        assert (job.status, job.created_count, job.error_count) == ("completed", 4, 1)
