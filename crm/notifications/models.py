from django.conf import settings
from django.db import models


class Notification(models.Model):
    """One thing a user should know about. Stored first, pushed live second, so nothing is lost
    while the browser is closed."""

    class Kind(models.TextChoices):
        LEAD_ASSIGNED = "lead.assigned", "Lead assigned"
        TASK_DUE = "task.due", "Task due soon"
        IMPORT_COMPLETED = "import.completed", "Import finished"
        # Sent by the intelligence apps (crm only names the kinds).
        LEAD_HOT = "lead.hot", "Lead turned hot"
        AI_BUDGET = "ai.budget", "AI budget alert"
        COMPETITOR_MENTIONED = "insight.competitor", "Competitor mentioned"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=40, choices=Kind.choices)
    title = models.CharField(max_length=255)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    # The record the notification is about; with `dedupe` it makes a producer idempotent.
    object_id = models.BigIntegerField(null=True, blank=True)
    dedupe = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["recipient", "-created_at"],
                condition=models.Q(read_at__isnull=True),
                name="notification_unread_idx",
            ),
            models.Index(fields=["recipient", "-created_at"], name="notification_user_idx"),
        ]
        constraints = [
            # "Task due in 15 minutes" is sent once per task and person, however often the
            # sweep runs (a task reassigned after its reminder reminds the new assignee too).
            models.UniqueConstraint(
                fields=["recipient", "kind", "object_id"],
                condition=models.Q(dedupe=True),
                name="notification_once_per_recipient_object",
            )
        ]

    def __str__(self) -> str:
        return self.title
