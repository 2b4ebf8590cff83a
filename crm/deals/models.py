from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from crm.contacts.models import Company, Contact


class Pipeline(models.Model):
    name = models.CharField(max_length=120)
    is_default = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=0)
    archived = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="one_default_pipeline",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Stage(models.Model):
    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="stages")
    name = models.CharField(max_length=120)
    position = models.PositiveIntegerField(default=0)
    probability = models.PositiveSmallIntegerField(
        default=10, validators=[MaxValueValidator(100)], help_text="% chance to win from here"
    )
    is_won = models.BooleanField(default=False)
    is_lost = models.BooleanField(default=False)

    class Meta:
        ordering = ["pipeline", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~(models.Q(is_won=True) & models.Q(is_lost=True)),
                name="stage_not_won_and_lost",
            )
        ]

    def __str__(self) -> str:
        return f"{self.pipeline.name}: {self.name}"

    @property
    def is_closed(self) -> bool:
        return self.is_won or self.is_lost


class Deal(models.Model):
    name = models.CharField(max_length=255)
    company = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.SET_NULL, related_name="deals"
    )
    primary_contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="primary_deals"
    )
    contacts = models.ManyToManyField(Contact, through="DealContact", related_name="deals")
    amount = models.DecimalField(
        max_digits=14, decimal_places=2, default=0, validators=[MinValueValidator(0)]
    )
    currency = models.CharField(max_length=3, default="USD")
    expected_close_date = models.DateField(null=True, blank=True, db_index=True)
    pipeline = models.ForeignKey(Pipeline, on_delete=models.PROTECT, related_name="deals")
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="deals")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deals",
    )
    lost_reason = models.CharField(max_length=255, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    custom = models.JSONField(default=dict, blank=True)
    stage_changed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["pipeline", "stage"])]

    def __str__(self) -> str:
        return self.name


class DealContact(models.Model):
    class Role(models.TextChoices):
        DECISION_MAKER = "decision_maker", "Decision maker"
        CHAMPION = "champion", "Champion"
        INFLUENCER = "influencer", "Influencer"
        USER = "user", "User"
        OTHER = "other", "Other"

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="contact_roles")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="deal_roles")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.OTHER)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["deal", "contact"], name="deal_contact_unique")
        ]

    def __str__(self) -> str:
        return f"{self.contact_id} as {self.role} on deal {self.deal_id}"


class DealStageChange(models.Model):
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.ForeignKey(
        Stage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
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
        return f"deal {self.deal_id}: {self.from_stage_id} → {self.to_stage_id}"
