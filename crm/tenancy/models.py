from django.db import models
from django_tenants.models import DomainMixin, TenantMixin


class Workspace(TenantMixin):
    """One customer company. Its data lives in its own PostgreSQL schema (`schema_name`)."""

    class Plan(models.TextChoices):
        FREE = "free", "Free"
        TEAM = "team", "Team"
        BUSINESS = "business", "Business"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=30, unique=True)
    timezone = models.CharField(max_length=64, default="UTC")
    locale = models.CharField(max_length=16, default="en-us")
    default_phone_region = models.CharField(
        max_length=2, default="US", help_text="ISO country used to read phone numbers without +"
    )
    plan = models.CharField(max_length=16, choices=Plan.choices, default=Plan.FREE)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    suspended_at = models.DateTimeField(null=True, blank=True)
    suspended_reason = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    # Schemas are created by the provisioning service (cloned from the template), never dropped
    # implicitly: deleting a row must not destroy a customer's data.
    auto_create_schema = True
    auto_drop_schema = False

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.slug})"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class Domain(DomainMixin):
    """A host name that routes to a workspace, e.g. `acme.localhost`."""

    def __str__(self) -> str:
        return self.domain
