"""The UCI bank-marketing file imports as leads through its preset."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Count

from crm.contacts.models import Contact
from crm.customfields.models import CustomFieldDefinition
from crm.customfields.services import custom_field_define
from crm.imports.models import ImportJob
from crm.imports.presets import BANK_FIELDS, bank_marketing_preset_install
from crm.imports.services import import_job_create, import_job_run, import_job_start
from crm.leads.models import Lead, LeadStatusChange

BANK = Path(__file__).resolve().parents[3] / "shared/data/bank-marketing/bank-additional-full.csv"
pytestmark = pytest.mark.skipif(not BANK.exists(), reason="bank-marketing data not present")


def _head(lines: int) -> bytes:
    with BANK.open("rb") as handle:
        return b"".join(itertools.islice(handle, lines + 1))


def test_bank_marketing_preset_imports_leads_with_outcomes(in_alpha, alpha_manager):
    preset = bank_marketing_preset_install(actor=alpha_manager)
    assert bank_marketing_preset_install().pk == preset.pk  # idempotent
    fields = {d.key: d for d in CustomFieldDefinition.objects.filter(entity="lead")}
    assert fields["bank_age"].field_type == "number"
    assert fields["bank_job"].field_type == "choice" and "blue-collar" in fields["bank_job"].choices
    assert len(fields) == len(BANK_FIELDS) == 20

    job = import_job_create(file_name="bank.csv", content=_head(1200), preset=preset)
    assert (job.delimiter, job.target, job.total_rows) == (";", "leads", 1200)
    import_job_start(job=job)
    job = import_job_run(job_id=job.pk)
    assert job.status == ImportJob.Status.COMPLETED
    assert (job.created_count, job.error_count) == (1200, 0)
    assert job.warnings == []  # every column, duration included, is kept

    first = Lead.objects.select_related("contact").get(contact__last_name="#1")
    assert (first.contact.first_name, first.contact.source) == ("Bank client", "bank-marketing")
    assert first.custom["bank_age"] == 56 and first.custom["bank_job"] == "housemaid"
    assert first.custom["bank_emp_var_rate"] == 1.1 and first.custom["bank_duration"] == 261
    assert first.status == "lost" and "y=no" in first.lost_reason
    statuses = dict(Lead.objects.values_list("status").annotate(n=Count("id")))
    assert sum(statuses.values()) == 1200 and set(statuses) <= {"lost", "converted"}
    # every historical outcome is recorded as a status change, no deal is made
    assert LeadStatusChange.objects.count() == 1200
    assert not Lead.objects.filter(converted_deal__isnull=False).exists()
    assert Contact.objects.count() == 1200


def test_preset_refuses_a_conflicting_field_and_changes_nothing(in_alpha):
    custom_field_define(entity="lead", key="bank_age", label="Age band", field_type="text")
    with pytest.raises(ValidationError, match="bank_age"):
        bank_marketing_preset_install()
    assert CustomFieldDefinition.objects.filter(entity="lead").count() == 1


def test_bad_outcome_and_wrong_types_are_row_errors(in_alpha):
    preset = bank_marketing_preset_install()
    lines = _head(3).decode().splitlines()
    lines[1] = lines[1].replace("56;", "fifty-six;", 1)
    lines[2] = lines[2].rsplit(";", 1)[0] + ';"maybe"'
    job = import_job_create(file_name="b.csv", content="\n".join(lines).encode(), preset=preset)
    import_job_start(job=job)
    job = import_job_run(job_id=job.pk)
    errors = {e.row_number: e.errors for e in job.row_errors.all()}
    assert errors[2] == {"lead.custom.bank_age": 'Age: "fifty-six" is not a number.'}
    assert "maybe" in errors[3]["lead.outcome"]
    assert job.created_count == 1
