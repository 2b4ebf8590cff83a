from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """Who changed which field of which record, when, from what, to what. Append-only."""

    class Action(models.TextChoices):
        CREATE = "create", "Created"
        UPDATE = "update", "Updated"
        DELETE = "delete", "Deleted"
        MERGE = "merge", "Merged"
        TRANSITION = "transition", "Status change"

    entity_type = models.CharField(max_length=32)  # "contact", "lead", "deal", "company"
    entity_id = models.BigIntegerField()
    action = models.CharField(max_length=16, choices=Action.choices)
    field = models.CharField(max_length=64, blank=True)
    old_value = models.JSONField(null=True, blank=True)
    new_value = models.JSONField(null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    source = models.CharField(max_length=32, blank=True, help_text="ui, api, import, admin, system")
    occurred_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["entity_type", "entity_id", "-occurred_at"])]

    def __str__(self) -> str:
        return f"{self.entity_type}#{self.entity_id} {self.action} {self.field}".strip()
