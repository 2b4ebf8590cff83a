"""Import jobs, saved column mappings and the rejected rows of each job."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Target(models.TextChoices):
    CONTACTS = "contacts", "Contacts"
    LEADS = "leads", "Leads (each row creates or matches its contact)"


class DuplicatePolicy(models.TextChoices):
    SKIP = "skip", "Skip rows that match an existing contact"
    UPDATE = "update", "Update the matching contact"
    CREATE = "create", "Create a new contact anyway"


class MappingPreset(models.Model):
    """A saved column mapping (`{header: target}`) plus options, reusable across files."""

    name = models.CharField(max_length=120, unique=True)
    target = models.CharField(max_length=16, choices=Target.choices, default=Target.CONTACTS)
    mapping = models.JSONField(default=dict, blank=True)
    options = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ImportJob(models.Model):
    class Status(models.TextChoices):
        MAPPING = "mapping", "Waiting for a column mapping"
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        FAILED = "failed", "Stopped (resumable)"
        COMPLETED = "completed", "Completed"

    target = models.CharField(max_length=16, choices=Target.choices, default=Target.CONTACTS)
    duplicates = models.CharField(
        max_length=8, choices=DuplicatePolicy.choices, default=DuplicatePolicy.SKIP
    )
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.MAPPING, db_index=True
    )
    file_name = models.CharField(max_length=255)
    file_size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    # Kept in the database (not on disk) so any worker can resume the job, and so the
    # upload lives and dies with the workspace schema.
    content = models.BinaryField(editable=False)
    encoding = models.CharField(max_length=16)
    delimiter = models.CharField(max_length=4)
    headers = models.JSONField(default=list)
    total_rows = models.PositiveIntegerField(default=0)
    mapping = models.JSONField(default=dict, blank=True, help_text="{header: target}")
    options = models.JSONField(default=dict, blank=True)
    preset = models.ForeignKey(
        MappingPreset, null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs"
    )
    warnings = models.JSONField(default=list, blank=True)
    # Progress. Every batch commits its rows together with these counters, so after a crash
    # `committed_rows` says exactly where to resume.
    committed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Import #{self.pk} {self.file_name}"

    @property
    def progress_percent(self) -> int:
        return 100 if not self.total_rows else int(100 * self.committed_rows / self.total_rows)


class ImportRowError(models.Model):
    """One rejected row: its number in the file (the header is row 1) and every reason."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="row_errors")
    row_number = models.PositiveIntegerField()
    errors = models.JSONField(default=dict, help_text="{column or field: message}")
    values = models.JSONField(default=list, help_text="the raw cells, for the report")

    class Meta:
        ordering = ["job", "row_number"]
        constraints = [
            models.UniqueConstraint(fields=["job", "row_number"], name="import_row_error_unique")
        ]

    def __str__(self) -> str:
        return f"row {self.row_number} of import #{self.job_id}"
