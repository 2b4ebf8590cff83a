from django.conf import settings
from django.db import models

from crm.contacts.models import Company, Contact
from crm.deals.models import Deal
from crm.leads.models import Lead


class Linked(models.Model):
    """What an activity or task is about: any of contact, lead, deal, company."""

    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.CASCADE, related_name="%(class)ss"
    )
    lead = models.ForeignKey(
        Lead, null=True, blank=True, on_delete=models.CASCADE, related_name="%(class)ss"
    )
    deal = models.ForeignKey(
        Deal, null=True, blank=True, on_delete=models.CASCADE, related_name="%(class)ss"
    )
    company = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.CASCADE, related_name="%(class)ss"
    )

    class Meta:
        abstract = True


class Activity(Linked):
    class Kind(models.TextChoices):
        CALL = "call", "Call"
        EMAIL = "email", "Email"
        SMS = "sms", "SMS"
        MESSENGER = "messenger", "Messenger"
        CHAT = "chat", "Web chat"
        MEETING = "meeting", "Meeting"
        NOTE = "note", "Note"
        SYSTEM = "system", "System"

    class Direction(models.TextChoices):
        INBOUND = "inbound", "Inbound"
        OUTBOUND = "outbound", "Outbound"
        INTERNAL = "internal", "Internal"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    direction = models.CharField(
        max_length=16, choices=Direction.choices, default=Direction.INTERNAL
    )
    subject = models.CharField(max_length=255, blank=True)
    body = models.TextField(blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="activities",
    )
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    # -1 (negative) … 1 (positive) for inbound messages and notes; filled after commit by the
    # language app (intelligence.language), null until analysed or when there is no text.
    sentiment = models.FloatField(null=True, blank=True)
    occurred_at = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name_plural = "activities"
        indexes = [
            models.Index(fields=["contact", "-occurred_at"]),
            models.Index(fields=["lead", "-occurred_at"]),
            models.Index(fields=["deal", "-occurred_at"]),
            models.Index(fields=["company", "-occurred_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(contact__isnull=False)
                | models.Q(lead__isnull=False)
                | models.Q(deal__isnull=False)
                | models.Q(company__isnull=False),
                name="activity_linked_to_something",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject or self.body[:40]}"


class Task(Linked):
    class Priority(models.IntegerChoices):
        LOW = 1, "Low"
        NORMAL = 2, "Normal"
        HIGH = 3, "High"
        URGENT = 4, "Urgent"

    title = models.CharField(max_length=255)
    notes = models.TextField(blank=True)
    due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tasks",
    )
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.NORMAL)
    done = models.BooleanField(default=False, db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["done", "due_at", "-priority", "id"]
        indexes = [models.Index(fields=["assignee", "done", "due_at"])]

    def __str__(self) -> str:
        return self.title
