"""Reply intents of inbound messages and the corrections reps make to them (a workspace's
own training labels). Rows live in the workspace's schema, like everything else."""

from django.conf import settings
from django.db import models

from crm.activities.models import Activity


class Intent(models.TextChoices):
    OPT_OUT = "opt_out", "Opt-out"
    INTERESTED = "interested", "Interested"
    NOT_INTERESTED = "not_interested", "Not interested"
    QUESTION = "question", "Question"
    APPOINTMENT_REQUEST = "appointment_request", "Appointment request"
    WRONG_NUMBER = "wrong_number", "Wrong number"
    UNKNOWN = "unknown", "Unknown"


class ReplyIntent(models.Model):
    """The intent read from one inbound reply (SMS, Messenger, web chat). A rep's correction
    or confirmation replaces the reading and is never overwritten by a later analysis."""

    activity = models.OneToOneField(Activity, on_delete=models.CASCADE, related_name="reply_intent")
    intent = models.CharField(max_length=32, choices=Intent.choices)
    confidence = models.FloatField()
    needs_confirmation = models.BooleanField(
        default=False, help_text="a possible opt-out: treated as one until a rep decides"
    )
    engine = models.CharField(max_length=64, help_text='"rules", "classifier", "rep", …')
    reason = models.CharField(max_length=255, blank=True)
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    corrected_at = models.DateTimeField(null=True, blank=True)
    classified_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["intent", "needs_confirmation"])]

    def __str__(self) -> str:
        return f"activity {self.activity_id}: {self.intent} ({self.confidence:.2f})"


class IntentLabel(models.Model):
    """A rep's one-click correction: the text and the intent it really has. Training data
    for this workspace's classifier; the text is copied so the label outlives the activity."""

    text = models.TextField()
    text_key = models.CharField(max_length=64, db_index=True, help_text="sha256 of the text")
    intent = models.CharField(max_length=32, choices=Intent.choices)
    previous_intent = models.CharField(max_length=32, blank=True)
    activity = models.ForeignKey(
        Activity, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.intent}: {self.text[:40]}"
