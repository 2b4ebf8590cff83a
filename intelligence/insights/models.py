from django.db import models

from crm.activities.models import Activity


class Competitor(models.Model):
    """A competitor the workspace watches for in conversations (managers edit the list)."""

    name = models.CharField(max_length=120, unique=True)
    aliases = models.CharField(
        max_length=500, blank=True, help_text="other spellings, comma-separated (e.g. Acme Co)"
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def spellings(self) -> list[str]:
        extra = [a.strip() for a in self.aliases.split(",") if a.strip()]
        return list(dict.fromkeys([self.name.strip(), *extra]))


class ActivityInsight(models.Model):
    """What the last analysis of one call, meeting, note or message thread found. One per
    activity; re-running replaces it (tasks already made from its action items are kept)."""

    class Source(models.TextChoices):
        CALL = "call", "Call transcript"
        MEETING = "meeting", "Meeting notes"
        NOTE = "note", "Note"
        THREAD = "thread", "Message thread"

    activity = models.OneToOneField(Activity, on_delete=models.CASCADE, related_name="insight")
    source = models.CharField(max_length=16, choices=Source.choices)
    summary = models.TextField(blank=True)
    # [{"text": str, "task_id": int | None}]
    action_items = models.JSONField(default=list, blank=True)
    topics = models.JSONField(default=list, blank=True)
    # [{"category": str, "quote": str}]
    objections = models.JSONField(default=list, blank=True)
    # [{"competitor": str, "quote": str}]
    competitors = models.JSONField(default=list, blank=True)
    # Competitor names whose mention already alerted a manager (a re-run does not alert twice).
    alerted_competitors = models.JSONField(default=list, blank=True)
    sentiment = models.FloatField(null=True, blank=True, help_text="-1 … 1 over the whole text")
    sentiment_arc = models.JSONField(default=list, blank=True, help_text="start → end")
    coaching_tips = models.JSONField(default=list, blank=True)
    # Talk share, question counts… what the coaching rules measured.
    stats = models.JSONField(default=dict, blank=True)
    engine = models.CharField(max_length=120, blank=True)
    usage_id = models.BigIntegerField(null=True, blank=True)
    text_chars = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["-computed_at", "-id"]

    def __str__(self) -> str:
        return f"Insight on activity #{self.activity_id}"
