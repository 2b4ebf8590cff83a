from django.db import models


class Entity(models.TextChoices):
    CONTACT = "contact", "Contact"
    LEAD = "lead", "Lead"
    DEAL = "deal", "Deal"


class FieldType(models.TextChoices):
    TEXT = "text", "Text"
    NUMBER = "number", "Number"
    DATE = "date", "Date"
    CHOICE = "choice", "Choice"
    BOOLEAN = "boolean", "Yes / no"


class CustomFieldDefinition(models.Model):
    """A workspace's own field on contacts, leads or deals. Values live in the record's
    `custom` JSON column under `key`, validated by customfields.services."""

    entity = models.CharField(max_length=16, choices=Entity.choices)
    key = models.SlugField(max_length=64, help_text="used in the API, filters and CSV headers")
    label = models.CharField(max_length=120)
    field_type = models.CharField(max_length=16, choices=FieldType.choices)
    choices = models.JSONField(default=list, blank=True, help_text="allowed values for choice")
    required = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=0)
    archived = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["entity", "position", "key"]
        constraints = [
            models.UniqueConstraint(fields=["entity", "key"], name="customfield_unique_key")
        ]

    def __str__(self) -> str:
        return f"{self.get_entity_display()}: {self.label}"
