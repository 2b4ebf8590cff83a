from django.db import models


class Scope(models.TextChoices):
    TEAM = "team", "Team"
    OWNER = "owner", "Owner"
    PIPELINE = "pipeline", "Pipeline"


class ForecastSnapshot(models.Model):
    """The forecast as it stood at the start of a period, for one scope and one currency, kept
    to measure accuracy once the period has ended. One row per period + scope + currency.

    `scope_ref` is the owner's or pipeline's id (0 for the team, and for unassigned deals under
    the owner scope); not a foreign key, so removing a user or archiving a pipeline keeps the
    history. `label` is the name at the time."""

    period = models.CharField(max_length=7, help_text='"2026-11" or "2026-Q4"')
    period_start = models.DateField()
    period_end = models.DateField(help_text="last day, inclusive")
    scope = models.CharField(max_length=16, choices=Scope.choices)
    scope_ref = models.PositiveIntegerField(default=0)
    label = models.CharField(max_length=255, blank=True)
    currency = models.CharField(max_length=3)
    closed_won = models.DecimalField(max_digits=16, decimal_places=2)
    open_count = models.PositiveIntegerField()
    open_amount = models.DecimalField(max_digits=16, decimal_places=2)
    weighted_stage = models.DecimalField(max_digits=16, decimal_places=2)
    weighted_ml = models.DecimalField(max_digits=16, decimal_places=2)
    p10 = models.DecimalField(max_digits=16, decimal_places=2)
    p50 = models.DecimalField(max_digits=16, decimal_places=2)
    p90 = models.DecimalField(max_digits=16, decimal_places=2)
    mean = models.DecimalField(max_digits=16, decimal_places=2)
    draws = models.PositiveIntegerField()
    seed = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-period_start", "scope", "label", "currency"]
        constraints = [
            models.UniqueConstraint(
                fields=["period", "scope", "scope_ref", "currency"],
                name="forecast_snapshot_once_per_period_scope",
            )
        ]
        indexes = [models.Index(fields=["scope", "scope_ref", "period_start"])]

    def __str__(self) -> str:
        return f"{self.period} {self.scope} {self.label or self.scope_ref} {self.currency}"
