from django.conf import settings
from django.db import models

from crm.contacts.models import Contact
from crm.deals.models import Deal


class LeadStatus(models.TextChoices):
    NEW = "new", "New"
    CONTACTED = "contacted", "Contacted"
    ENGAGED = "engaged", "Engaged"
    QUALIFIED = "qualified", "Qualified"
    CONVERTED = "converted", "Converted"
    LOST = "lost", "Lost"
    DISQUALIFIED = "disqualified", "Disqualified"


class Lead(models.Model):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="leads")
    source = models.CharField(max_length=64, blank=True)
    campaign = models.CharField(max_length=120, blank=True)
    attribution = models.JSONField(default=dict, blank=True, help_text="utm_* and click ids")
    estimated_value = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    interest = models.CharField(max_length=255, blank=True, help_text="product or service")
    status = models.CharField(max_length=16, choices=LeadStatus.choices, default=LeadStatus.NEW)
    lost_reason = models.CharField(max_length=255, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
        db_index=False,  # (owner, status) below serves owner lookups too
    )
    first_response_at = models.DateTimeField(null=True, blank=True)
    first_response_seconds = models.PositiveIntegerField(null=True, blank=True)
    converted_deal = models.OneToOneField(
        Deal, null=True, blank=True, on_delete=models.SET_NULL, related_name="source_lead"
    )
    status_changed_at = models.DateTimeField(null=True, blank=True)
    custom = models.JSONField(default=dict, blank=True)
    # The current score, kept here by intelligence (history lives in its own tables) so lists
    # can sort and filter by it without reaching into the layer above.
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    temperature = models.CharField(max_length=8, blank=True, help_text="hot / warm / cold")
    score_label = models.CharField(max_length=64, blank=True, help_text='"rules" or "trained v3"')
    # When score, temperature or label last changed (the history rows say when it was last
    # computed): rescoring leaves an unchanged lead's row alone, which keeps nightly runs cheap.
    score_changed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        # Every index is rewritten when a lead's score changes (bulk rescoring rewrites
        # thousands): no duplicates. Plain indexes for source and status (a CharField's
        # db_index adds a second, LIKE-only one), created_at served by lead_created_desc.
        indexes = [
            models.Index(fields=["owner", "status"]),
            models.Index(fields=["status"], name="lead_status"),
            models.Index(fields=["source"], name="lead_source"),
            models.Index(fields=["-created_at", "-id"], name="lead_created_desc"),
            models.Index(fields=["-score", "-id"], name="lead_score_desc"),
        ]

    def __str__(self) -> str:
        return f"{self.contact} ({self.get_status_display()})"


class LeadStatusChange(models.Model):
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=16, choices=LeadStatus.choices)
    to_status = models.CharField(max_length=16, choices=LeadStatus.choices)
    reason = models.CharField(max_length=255, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    changed_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"lead {self.lead_id}: {self.from_status} → {self.to_status}"


class LeadSavedView(models.Model):
    """A rep's named set of leads-list filters: the list's query string, replayed as is."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lead_saved_views"
    )
    name = models.CharField(max_length=80)
    query = models.CharField(max_length=2000, blank=True, help_text="the list's query string")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="lead_saved_view_unique_name")
        ]

    def __str__(self) -> str:
        return self.name
