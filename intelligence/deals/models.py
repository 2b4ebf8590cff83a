from django.db import models

from crm.deals.models import Deal
from intelligence.models import ModelVersion


class DealScore(models.Model):
    """Score history: one row per scoring of a deal; the newest row is the deal's current win
    probability and health. `flags` are the named risks with their recommendations, `factors`
    the explanation of the win probability ({label, weight}, top positive then negative)."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="scores")
    win_probability = models.FloatField(help_text="0..1")
    health = models.PositiveSmallIntegerField(help_text="0 (at risk) .. 100 (healthy)")
    flags = models.JSONField(default=list, blank=True)
    factors = models.JSONField(default=list, blank=True)
    model_label = models.CharField(max_length=64, help_text='"rules" or "trained v3, AUC 0.81"')
    model_version = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    scored_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-scored_at", "-id"]
        indexes = [models.Index(fields=["deal", "-scored_at", "-id"], name="dealscore_latest")]

    def __str__(self) -> str:
        return f"deal {self.deal_id}: {round(self.win_probability * 100)} %, health {self.health}"

    @property
    def win_percent(self) -> int:
        return round(self.win_probability * 100)
