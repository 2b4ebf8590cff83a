"""The AI gateway's tables, all in the workspace's schema: which providers the workspace uses,
its budget and redaction policy, feature flags, prompt versions and their test cases, and one
usage row per gateway call."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


class ConfigQuerySet(models.QuerySet):
    """For the models the gateway caches per process: bulk writes (which send no save/delete
    signals) also move the workspace's config generation, so no cached copy outlives them."""

    def update(self, **kwargs):
        from .state import config_changed

        rows = super().update(**kwargs)
        if rows:
            config_changed()
        return rows

    def bulk_create(self, *args, **kwargs):
        from .state import config_changed

        created = super().bulk_create(*args, **kwargs)
        config_changed()
        return created

    def bulk_update(self, *args, **kwargs):
        from .state import config_changed

        rows = super().bulk_update(*args, **kwargs)
        config_changed()
        return rows


ConfigManager = models.Manager.from_queryset(ConfigQuerySet)


class ProviderKind(models.TextChoices):
    ANTHROPIC = "anthropic", "Anthropic (Claude)"
    OPENAI = "openai", "OpenAI"
    OPENAI_COMPATIBLE = "openai_compatible", "OpenAI-compatible server (Ollama, vLLM, llama.cpp)"


class KeySource(models.TextChoices):
    STORED = "stored", "Stored (encrypted) in this workspace"
    ENVIRONMENT = "environment", "Server environment (ANTHROPIC_API_KEY / OPENAI_API_KEY)"
    NONE = "none", "No key (local server)"


class ProviderConnection(models.Model):
    """One way to reach a model: provider, model, base URL and a key (encrypted, never shown)."""

    name = models.CharField(max_length=80, unique=True)
    kind = models.CharField(max_length=24, choices=ProviderKind.choices)
    model = models.CharField(
        max_length=120, help_text="e.g. claude-sonnet-4-6, gpt-5-mini, llama3.1"
    )
    base_url = models.URLField(
        max_length=500,
        blank=True,
        help_text="Empty for the provider's own API (or OPENAI_BASE_URL from the environment). "
        "A local Llama: http://localhost:11434/v1 (Ollama), http://localhost:8000/v1 (vLLM).",
    )
    key_source = models.CharField(
        max_length=16, choices=KeySource.choices, default=KeySource.STORED
    )
    # Fernet token (intelligence.ai.crypto); the clear key is never stored nor displayed.
    api_key_encrypted = models.TextField(blank=True, editable=False)
    api_key_hint = models.CharField(max_length=16, blank=True, editable=False)
    timeout_seconds = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(0.5), MaxValueValidator(300)]
    )
    is_active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ConfigManager()

    class Meta:
        ordering = ["name"]
        verbose_name = "AI provider"

    def __str__(self) -> str:
        return f"{self.name} ({self.model})"


class AISettings(models.Model):
    """The workspace's AI policy (one row). No primary provider = the built-in engine only."""

    singleton = models.BooleanField(default=True, unique=True, editable=False)
    primary = models.ForeignKey(
        ProviderConnection, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    secondary = models.ForeignKey(
        ProviderConnection, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    monthly_budget_usd = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Empty = no limit. At 80 % admins are alerted; at 100 % the built-in engine "
        "answers until the month ends.",
    )
    redact_pii = models.BooleanField(
        default=True,
        help_text="Replace email addresses and phone numbers before text leaves for an "
        "external provider (never needed for the built-in engine).",
    )
    # "YYYY-MM" of the last 80 % alert: one alert per month.
    budget_alerted_month = models.CharField(max_length=7, blank=True, editable=False)

    objects = ConfigManager()

    class Meta:
        verbose_name = "AI settings"
        verbose_name_plural = "AI settings"

    def __str__(self) -> str:
        return "AI settings"


class AIFeature(models.Model):
    """A flag per AI feature: on/off, a rollout percentage (stable per user) and optional
    provider overrides. No row = on for everyone with the workspace's providers."""

    key = models.CharField(max_length=64, unique=True)
    enabled = models.BooleanField(default=True)
    rollout_percent = models.PositiveSmallIntegerField(
        default=100, validators=[MaxValueValidator(100)]
    )
    primary = models.ForeignKey(
        ProviderConnection,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Overrides the workspace's primary provider for this feature.",
    )
    secondary = models.ForeignKey(
        ProviderConnection, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    builtin_only = models.BooleanField(
        default=False, help_text="Always answer with the built-in engine (no external call)."
    )

    objects = ConfigManager()

    class Meta:
        ordering = ["key"]
        verbose_name = "AI feature"

    def __str__(self) -> str:
        return self.key


class Prompt(models.Model):
    """One version of a prompt. Versions are immutable; one is active per key. With no row the
    code default (intelligence.ai.prompts) is used."""

    key = models.CharField(max_length=64)
    version = models.PositiveIntegerField()
    system = models.TextField(blank=True)
    template = models.TextField()
    variables = models.JSONField(default=list, help_text="Declared variable names.")
    is_active = models.BooleanField(default=False)
    notes = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ConfigManager()

    class Meta:
        ordering = ["key", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["key", "version"], name="ai_prompt_key_version"),
            models.UniqueConstraint(
                fields=["key"], condition=models.Q(is_active=True), name="ai_prompt_one_active"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} v{self.version}"


class PromptTestCase(models.Model):
    """Variables to render a prompt with and what a good answer must (not) contain."""

    key = models.CharField(max_length=64, db_index=True)
    name = models.CharField(max_length=120)
    variables = models.JSONField(default=dict)
    must_contain = models.JSONField(default=list, blank=True)
    must_not_contain = models.JSONField(default=list, blank=True)
    max_chars = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["key", "name"]
        verbose_name = "prompt test case"

    def __str__(self) -> str:
        return f"{self.key}: {self.name}"


class Outcome(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    EDITED = "edited", "Edited"
    DISCARDED = "discarded", "Discarded"


class AIUsage(models.Model):
    """One gateway call: who, which feature and prompt, which engine answered, at what cost."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    feature = models.CharField(max_length=64, db_index=True)
    prompt_key = models.CharField(max_length=64)
    prompt_version = models.CharField(max_length=24, help_text="vN, or default-rN for code")
    mode = models.CharField(max_length=12)  # complete / stream / structured
    provider = models.CharField(max_length=24)  # a ProviderKind, or "builtin"
    model = models.CharField(max_length=120, blank=True)
    engine = models.CharField(max_length=120)  # the label shown beside the output
    tokens_in = models.PositiveIntegerField(default=0)
    tokens_out = models.PositiveIntegerField(default=0)
    latency_ms = models.PositiveIntegerField(default=0)
    cost_usd = models.DecimalField(max_digits=12, decimal_places=6, default=Decimal("0"))
    # Why the built-in engine or the secondary answered ("" = the first choice answered).
    fallback_reason = models.CharField(max_length=32, blank=True)
    error = models.TextField(blank=True)
    attempts = models.JSONField(default=list, blank=True)  # failed provider attempts
    redacted = models.BooleanField(default=False)
    outcome = models.CharField(max_length=12, choices=Outcome.choices, default=Outcome.PENDING)
    record_type = models.CharField(max_length=32, blank=True)
    record_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "AI usage"
        verbose_name_plural = "AI usage"
        indexes = [models.Index(fields=["feature", "created_at"], name="ai_usage_feature_day")]

    def __str__(self) -> str:
        return f"{self.feature} via {self.engine}"


class AISpend(models.Model):
    """Running monthly totals, so the budget check is one row read rather than a SUM."""

    month = models.DateField(unique=True)  # first day of the month (UTC)
    cost_usd = models.DecimalField(max_digits=12, decimal_places=6, default=Decimal("0"))
    calls = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-month"]
        verbose_name = "AI monthly spend"

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}: ${self.cost_usd}"


class AIConfigVersion(models.Model):
    """The workspace's config generation (one row): a fresh random token written in the same
    transaction as any change to providers, AI settings, feature flags or prompts. The gateway
    reads it on every call and keys its in-process copy of that config by it (intelligence.ai
    .state), so a change is seen on the next call in every process, and a rolled-back change
    rolls the token back with it."""

    singleton = models.BooleanField(default=True, unique=True, editable=False)
    generation = models.CharField(max_length=32)

    class Meta:
        verbose_name = "AI config version"

    def __str__(self) -> str:
        return self.generation
