"""Job death: batches are atomic, the job records the last committed row, a re-run resumes."""

from __future__ import annotations

import pytest

from crm.audit.models import AuditEvent
from crm.contacts.models import Contact
from crm.imports import engine
from crm.imports.models import ImportJob
from crm.imports.services import import_job_create, import_job_run, import_job_start

from .conftest import csv_bytes


def test_a_failing_batch_leaves_nothing_and_resume_finishes_without_duplicates(
    in_alpha, monkeypatch
):
    rows = [["email", "first name"]] + [[f"p{i}@x.io", f"P{i}"] for i in range(25)]
    rows[12] = ["broken", "P11"]  # one row error in the batch that will die
    job = import_job_create(file_name="p.csv", content=csv_bytes(rows))
    import_job_start(job=job)

    real_audit, calls = engine._audit, []

    def dying_audit(audit_rows):
        calls.append(len(audit_rows))
        real_audit(audit_rows)  # this batch's contacts and audit rows are written …
        if len(calls) == 3:
            raise RuntimeError("worker lost")  # … and then the batch dies

    monkeypatch.setattr(engine, "_audit", dying_audit)
    with pytest.raises(RuntimeError, match="worker lost"):
        import_job_run(job_id=job.pk, batch_size=5)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and "worker lost" in job.last_error
    assert job.committed_rows == 10 and job.created_count == 10
    assert Contact.objects.count() == 10  # batch 3 (rows 12-16) left nothing behind
    assert job.row_errors.count() == 0 and AuditEvent.objects.count() == 10

    monkeypatch.setattr(engine, "_audit", real_audit)
    import_job_start(job=job)  # what the admin's "resume" action does
    job = import_job_run(job_id=job.pk, batch_size=5)
    assert job.status == ImportJob.Status.COMPLETED
    assert (job.committed_rows, job.created_count, job.error_count) == (25, 24, 1)
    emails = list(Contact.objects.values_list("email", flat=True))
    assert len(emails) == len(set(emails)) == 24
    assert list(job.row_errors.values_list("row_number", flat=True)) == [13]


def test_a_second_runner_cannot_import_the_same_rows(in_alpha):
    rows = [["email"]] + [[f"p{i}@x.io"] for i in range(4)]
    job = import_job_create(file_name="p.csv", content=csv_bytes(rows))
    import_job_start(job=job)
    stale = ImportJob.objects.get(pk=job.pk)
    import_job_run(job_id=job.pk, batch_size=2)
    with pytest.raises(engine.ConcurrentRunError):
        engine.commit_batch(job=stale, preparer=None, batch=[(2, ["p0@x.io"])], start=0)
    assert Contact.objects.count() == 4


def test_running_a_completed_job_again_does_nothing(in_alpha):
    job = import_job_create(file_name="p.csv", content=csv_bytes([["email"], ["a@x.io"]]))
    import_job_start(job=job)
    import_job_run(job_id=job.pk)
    import_job_run(job_id=job.pk)
    assert Contact.objects.count() == 1
