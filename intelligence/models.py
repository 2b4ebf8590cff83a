from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from crm.leads.models import Lead


class ModelKind(models.TextChoices):
    LEAD_SCORE = "lead_score", "Lead conversion score"
    DEAL_WIN = "deal_win", "Deal win probability"
    CHURN = "churn", "Customer churn risk"
    CLV = "clv", "Customer lifetime value (3 years)"
    INTENT = "intent", "Reply intent classifier"


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


class IntelligenceSettings(models.Model):
    """The workspace's knobs for scores and health flags (one row; `intelligence_settings_get`
    creates it with these defaults)."""

    hot_threshold = models.PositiveSmallIntegerField(
        default=70,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="a score at or above this is hot",
    )
    warm_threshold = models.PositiveSmallIntegerField(
        default=40,
        validators=[MinValueValidator(0), MaxValueValidator(99)],
        help_text="a score at or above this (and below hot) is warm",
    )
    deal_inactive_days = models.PositiveSmallIntegerField(
        default=14, help_text="deal health: flag a deal with no activity for this many days"
    )
    deal_amount_outlier_ratio = models.FloatField(
        default=3.0, help_text="deal health: flag an amount this many times the median won amount"
    )
    nightly_training = models.BooleanField(
        default=True, help_text="retrain the models every night (beat)"
    )

    class Meta:
        verbose_name = "intelligence settings"
        verbose_name_plural = "intelligence settings"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(warm_threshold__lt=models.F("hot_threshold")),
                name="intelligencesettings_warm_below_hot",
            )
        ]

    def __str__(self) -> str:
        return f"hot ≥ {self.hot_threshold}, warm ≥ {self.warm_threshold}"


class TrainingRun(models.Model):
    """Every training request, with its outcome: why a workspace stayed on the rules scorecard
    ("only 12 conversions, need 20"), or which version it produced, or why it failed."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        TRAINED = "trained", "Trained"
        COLD_START = "cold_start", "Stayed on rules"
        REFUSED = "refused", "Refused (another training running)"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=32, choices=ModelKind.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    reason = models.TextField(blank=True)
    rows = models.PositiveIntegerField(default=0)
    positives = models.PositiveIntegerField(default=0)
    model_version = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} training {self.started_at:%Y-%m-%d %H:%M} ({self.status})"
