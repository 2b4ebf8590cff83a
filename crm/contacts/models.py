from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models.functions import Lower


class LifecycleStage(models.TextChoices):
    PROSPECT = "prospect", "Prospect"
    CUSTOMER = "customer", "Customer"
    CHURNED = "churned", "Churned"


class Address(models.Model):
    street = models.CharField(max_length=255, blank=True)
    city = models.CharField(max_length=120, blank=True)
    region = models.CharField(max_length=120, blank=True, help_text="state / province")
    postal_code = models.CharField(max_length=32, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166 alpha-2")

    class Meta:
        abstract = True


class Lifecycle(models.Model):
    lifecycle_stage = models.CharField(
        max_length=16, choices=LifecycleStage.choices, default=LifecycleStage.PROSPECT
    )
    became_customer_at = models.DateTimeField(null=True, blank=True)
    churned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True


class Company(Address, Lifecycle):
    name = models.CharField(max_length=255)
    domain = models.CharField(max_length=255, blank=True, db_index=True)
    industry = models.CharField(max_length=120, blank=True)
    employee_count = models.PositiveIntegerField(null=True, blank=True)
    annual_revenue = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="companies",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name_plural = "companies"
        indexes = [models.Index(Lower("name"), name="company_name_lower")]

    def __str__(self) -> str:
        return self.name


class Contact(Address, Lifecycle):
    class TimezoneSource(models.TextChoices):
        ADDRESS = "address", "From the address"
        PHONE = "phone", "From the phone's area code"
        WORKSPACE = "workspace", "Workspace default"
        MANUAL = "manual", "Set by hand"

    first_name = models.CharField(max_length=120, blank=True)
    last_name = models.CharField(max_length=120, blank=True)
    email = models.EmailField(blank=True, db_index=True, help_text="stored lowercase")
    phone = models.CharField(max_length=20, blank=True, db_index=True, help_text="E.164")
    messenger_psid = models.CharField(max_length=64, blank=True, db_index=True)
    company = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts"
    )
    timezone = models.CharField(max_length=64, blank=True)
    timezone_source = models.CharField(
        max_length=16, choices=TimezoneSource.choices, default=TimezoneSource.WORKSPACE
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contacts",
    )
    source = models.CharField(max_length=64, blank=True)
    tags = ArrayField(models.CharField(max_length=64), default=list, blank=True)
    custom = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["last_name", "first_name", "id"]

    def __str__(self) -> str:
        return self.full_name or self.email or self.phone or f"Contact #{self.pk}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Channel(models.TextChoices):
    SMS = "sms", "SMS"
    EMAIL = "email", "Email"
    CALL = "call", "Phone call"


class ConsentRecord(models.Model):
    """Proof of consent or of its withdrawal for one channel. Append-only: the newest record
    per (contact, channel) is the current status; older ones are the history a regulator asks
    for."""

    class Status(models.TextChoices):
        GRANTED = "granted", "Granted"
        REVOKED = "revoked", "Revoked (opted out)"

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="consents")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    status = models.CharField(max_length=8, choices=Status.choices)
    source = models.CharField(max_length=64, help_text="web form, import, api, sms keyword…")
    method = models.CharField(max_length=64, blank=True, help_text="how: STOP reply, link, call…")
    wording = models.TextField(blank=True, help_text="the exact consent text shown")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    evidence = models.JSONField(default=dict, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    occurred_at = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["contact", "channel", "-occurred_at"])]

    def __str__(self) -> str:
        return f"{self.contact_id} {self.channel} {self.status}"


class DoNotContact(models.Model):
    """A workspace-wide block on a phone number or email, whoever holds it."""

    class Kind(models.TextChoices):
        PHONE = "phone", "Phone"
        EMAIL = "email", "Email"

    kind = models.CharField(max_length=8, choices=Kind.choices)
    value = models.CharField(max_length=255, help_text="E.164 phone or lowercase email")
    reason = models.CharField(max_length=255, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "do-not-contact entry"
        verbose_name_plural = "do-not-contact list"
        constraints = [models.UniqueConstraint(fields=["kind", "value"], name="dnc_unique_value")]

    def __str__(self) -> str:
        return self.value
