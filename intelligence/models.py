from django.db import models

from crm.leads.models import Lead


class ModelKind(models.TextChoices):
    LEAD_SCORE = "lead_score", "Lead conversion score"


class Temperature(models.TextChoices):
    HOT = "hot", "Hot"
    WARM = "warm", "Warm"
    COLD = "cold", "Cold"


class ModelVersion(models.Model):
    """One trained model of a workspace (rows live in the workspace's schema, so artifacts
    are per workspace). The artifact is a joblib dump; `sha256` is checked on every load."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        RETIRED = "retired", "Retired"

    kind = models.CharField(max_length=32, choices=ModelKind.choices)
    version = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RETIRED)
    trained_at = models.DateTimeField(auto_now_add=True)
    rows_used = models.PositiveIntegerField(default=0)
    metrics = models.JSONField(default=dict, blank=True)
    feature_importance = models.JSONField(default=list, blank=True)
    artifact = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    problem = models.TextField(blank=True, help_text="why the artifact could not be used")

    class Meta:
        ordering = ["kind", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "version"], name="modelversion_unique"),
            models.UniqueConstraint(
                fields=["kind"],
                condition=models.Q(status="active"),
                name="modelversion_one_active_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} v{self.version} ({self.status})"

    @property
    def label(self) -> str:
        auc = self.metrics.get("auc")
        return f"trained v{self.version}" + (f", AUC {auc:.2f}" if auc is not None else "")


class LeadScore(models.Model):
    """Score history: one row per scoring; the latest row per lead is the current score."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="scores")
    score = models.PositiveSmallIntegerField()
    probability = models.FloatField()
    temperature = models.CharField(max_length=8, choices=Temperature.choices)
    model_label = models.CharField(max_length=64, help_text='"rules" or "trained v3, AUC 0.81"')
    model_version = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    factors = models.JSONField(default=list, blank=True)
    scored_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-scored_at", "-id"]
        indexes = [models.Index(fields=["lead", "-scored_at", "-id"], name="leadscore_latest")]

    def __str__(self) -> str:
        return f"lead {self.lead_id}: {self.score} ({self.temperature})"
