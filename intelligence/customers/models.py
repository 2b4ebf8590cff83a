from django.db import models

from crm.contacts.models import Company, Contact
from intelligence.models import ModelVersion


class RiskBand(models.TextChoices):
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


class CustomerScore(models.Model):
    """Churn risk and 3-year value history of one customer, a company or a contact (exactly one
    of the two foreign keys is set). The latest row per customer is the current score."""

    company = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.CASCADE, related_name="customer_scores"
    )
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.CASCADE, related_name="customer_scores"
    )
    horizon_days = models.PositiveSmallIntegerField(
        default=90, help_text="churn_probability is the chance of churning within this many days"
    )
    churn_probability = models.FloatField()
    churn_score = models.PositiveSmallIntegerField(help_text="churn probability x 100")
    band = models.CharField(max_length=8, choices=RiskBand.choices, db_index=True)
    factors = models.JSONField(default=list, blank=True)
    model_label = models.CharField(max_length=64, help_text='"rules" or "trained v2, AUC 0.78"')
    model_version = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    clv_3y = models.DecimalField(max_digits=16, decimal_places=2)
    clv_components = models.JSONField(default=dict, blank=True)
    clv_label = models.CharField(max_length=96, help_text='"formula" or "trained v1, MAE …"')
    clv_model_version = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    scored_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-scored_at", "-id"]
        indexes = [
            models.Index(fields=["company", "-scored_at", "-id"], name="customerscore_company"),
            models.Index(fields=["contact", "-scored_at", "-id"], name="customerscore_contact"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(company__isnull=False, contact__isnull=True)
                    | models.Q(company__isnull=True, contact__isnull=False)
                ),
                name="customerscore_one_customer",
            ),
            models.CheckConstraint(
                condition=models.Q(churn_probability__gte=0, churn_probability__lte=1),
                name="customerscore_probability_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_kind} {self.customer_id}: churn {self.churn_score}"

    @property
    def customer_kind(self) -> str:
        return "company" if self.company_id else "contact"

    @property
    def customer_id(self) -> int:
        return self.company_id or self.contact_id


class CustomerAtRisk(CustomerScore):
    """The admin's view of the scores: each current customer's latest one, riskiest first."""

    class Meta:
        proxy = True
        verbose_name = "customer at risk"
        verbose_name_plural = "customers most at risk"
