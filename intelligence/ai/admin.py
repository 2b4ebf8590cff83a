"""The workspace admin for the AI gateway. Access follows the role (as webhooks do): admins
configure providers, keys and the budget; managers see them, and edit feature flags, prompts
and test cases; both read the usage reports. API keys are write-only: only a hint is shown."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from crm.adminkit import add_service_errors
from crm.tenancy.admin_sites import workspace_admin

from . import breaker
from .budget import month_spend, month_start
from .models import (
    AIFeature,
    AISettings,
    AIUsage,
    KeySource,
    Prompt,
    PromptTestCase,
    ProviderConnection,
    ProviderKind,
)
from .prompts import PromptError, prompt_resolve, prompt_specs
from .providers import Provider, ProviderCall, ProviderFailure, ProviderNotConfigured
from .selectors import usage_months, usage_report
from .services import (
    ai_settings_get,
    prompt_default_restore,
    prompt_tests_run,
    prompt_version_activate,
    prompt_version_create,
    provider_api_key_set,
)


def _role(request: HttpRequest) -> str:
    user = request.user
    if not (user.is_active and user.is_staff):
        return ""
    return "admin" if user.is_superuser else getattr(user, "role", "")


class _RoleAccess:
    """Managers and admins may view; `edit_roles` may add, change and delete."""

    edit_roles: tuple[str, ...] = ("admin",)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _role(request) in ("admin", "manager")

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return _role(request) in ("admin", "manager")

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return _role(request) in self.edit_roles

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return _role(request) in self.edit_roles

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return _role(request) in self.edit_roles

    def get_object(self, request: HttpRequest, object_id: str, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404("No such AI record in this workspace.")
        return obj


# --- providers --------------------------------------------------------------------------------


class ProviderForm(forms.ModelForm):
    # Local servers (Ollama, vLLM, llama.cpp) usually speak plain http.
    base_url = forms.URLField(
        required=False,
        max_length=500,
        assume_scheme="http",
        help_text=ProviderConnection._meta.get_field("base_url").help_text,
    )
    api_key = forms.CharField(
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Stored encrypted and never shown again. Leave empty to keep the stored key.",
    )
    clear_api_key = forms.BooleanField(required=False, label="Remove the stored key")

    class Meta:
        model = ProviderConnection
        fields = ("name", "kind", "model", "base_url", "key_source", "timeout_seconds", "is_active")

    def clean(self) -> dict:
        cleaned = super().clean()
        kind, source = cleaned.get("kind"), cleaned.get("key_source")
        has_key = bool(cleaned.get("api_key")) or (
            bool(self.instance.api_key_encrypted) and not cleaned.get("clear_api_key")
        )
        if source == KeySource.STORED and not has_key:
            self.add_error("api_key", "Enter the API key (or read it from the environment).")
        if kind == ProviderKind.OPENAI_COMPATIBLE and not cleaned.get("base_url"):
            self.add_error(
                "base_url", "A local server needs its URL, e.g. http://localhost:11434/v1"
            )
        if source == KeySource.NONE and kind != ProviderKind.OPENAI_COMPATIBLE:
            self.add_error(
                "key_source", "Only a local OpenAI-compatible server works without a key."
            )
        return cleaned


@admin.register(ProviderConnection, site=workspace_admin)
class ProviderConnectionAdmin(_RoleAccess, admin.ModelAdmin):
    form = ProviderForm
    list_display = ("name", "kind", "model", "base_url", "key_status", "circuit", "is_active")
    list_filter = ("kind", "is_active")
    readonly_fields = ("key_status", "circuit", "engine_label")
    actions = ("check_connection", "reset_breaker")

    @admin.display(description="API key")
    def key_status(self, obj: ProviderConnection) -> str:
        if obj.key_source == KeySource.ENVIRONMENT:
            return "from the environment"
        if obj.key_source == KeySource.NONE:
            return "none (local server)"
        return f"stored {obj.api_key_hint}" if obj.api_key_encrypted else "missing"

    @admin.display(description="circuit breaker")
    def circuit(self, obj: ProviderConnection) -> str:
        return breaker.breaker_state(provider_id=obj.pk) if obj.pk else "-"

    @admin.display(description="label shown on outputs")
    def engine_label(self, obj: ProviderConnection) -> str:
        return Provider(obj).label if obj.pk else "-"

    def save_model(self, request: HttpRequest, obj, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if form.cleaned_data.get("api_key"):
            provider_api_key_set(connection=obj, api_key=form.cleaned_data["api_key"])
        elif form.cleaned_data.get("clear_api_key"):
            provider_api_key_set(connection=obj, api_key="")
        breaker.breaker_reset(provider_id=obj.pk)

    @admin.action(description="Check the connection (one tiny request)")
    def check_connection(self, request: HttpRequest, queryset: QuerySet) -> None:
        for connection in queryset:
            call = ProviderCall(system="", user="Reply with the single word: ready", max_tokens=16)
            try:
                reply = Provider(connection).complete(call)
            except (ProviderFailure, ProviderNotConfigured) as exc:
                self.message_user(request, f"{connection.name}: {exc}", messages.ERROR)
                continue
            self.message_user(
                request,
                f"{connection.name}: answered “{reply.text.strip()[:40]}” "
                f"({reply.tokens_in}+{reply.tokens_out} tokens, model {reply.model}).",
                messages.SUCCESS,
            )

    @admin.action(description="Close the circuit breaker now")
    def reset_breaker(self, request: HttpRequest, queryset: QuerySet) -> None:
        for connection in queryset:
            breaker.breaker_reset(provider_id=connection.pk)
        self.message_user(request, f"{queryset.count()} circuit breaker(s) closed.")


# --- workspace settings (one row) -----------------------------------------------------------


@admin.register(AISettings, site=workspace_admin)
class AISettingsAdmin(_RoleAccess, admin.ModelAdmin):
    fields = ("primary", "secondary", "monthly_budget_usd", "redact_pii", "this_month")
    readonly_fields = ("this_month",)

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context=None):
        config = ai_settings_get()
        return HttpResponseRedirect(
            reverse("workspace_admin:intelligence_ai_aisettings_change", args=[config.pk])
        )

    @admin.display(description="spent this month")
    def this_month(self, obj: AISettings) -> str:
        spent = month_spend()
        if obj.monthly_budget_usd:
            share = int(spent / obj.monthly_budget_usd * 100)
            return f"${spent:.2f} of ${obj.monthly_budget_usd:.2f} ({share} %)"
        return f"${spent:.2f} (no budget set)"


# --- feature flags ----------------------------------------------------------------------------


def _feature_choices() -> list[tuple[str, str]]:
    features = sorted(
        {s.feature for s in prompt_specs()} | set(AIFeature.objects.values_list("key", flat=True))
    )
    return [(f, f) for f in features]


class FeatureForm(forms.ModelForm):
    key = forms.ChoiceField(choices=_feature_choices)

    class Meta:
        model = AIFeature
        fields = ("key", "enabled", "rollout_percent", "builtin_only", "primary", "secondary")


@admin.register(AIFeature, site=workspace_admin)
class AIFeatureAdmin(_RoleAccess, admin.ModelAdmin):
    edit_roles = ("admin", "manager")
    form = FeatureForm
    list_display = ("key", "enabled", "rollout_percent", "builtin_only", "primary", "secondary")
    list_editable = ("enabled", "rollout_percent")
    list_filter = ("enabled", "builtin_only")


# --- prompts ----------------------------------------------------------------------------------


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


class PromptForm(forms.ModelForm):
    key = forms.ChoiceField(
        choices=lambda: [(s.key, f"{s.key} — {s.description}") for s in prompt_specs()]
    )
    variables_text = forms.CharField(
        label="Variables",
        required=False,
        help_text="Comma-separated; every {{ name }} used must "
        "be declared and every declared one used. Empty = the code default's variables.",
    )
    activate = forms.BooleanField(required=False, initial=True, label="Make it the active version")

    class Meta:
        model = Prompt
        fields = ("key", "system", "template", "notes")


@admin.register(Prompt, site=workspace_admin)
class PromptAdmin(_RoleAccess, admin.ModelAdmin):
    """Versions are immutable: "add" creates the next version (pre-filled from the active one
    with ?key=…); a version's page is read-only."""

    edit_roles = ("admin", "manager")
    form = PromptForm
    list_display = ("__str__", "key", "version", "is_active", "notes", "created_by", "created_at")
    list_filter = ("key", "is_active")
    actions = ("activate_version", "run_tests", "restore_default")
    change_list_template = "admin/intelligence_ai/prompt/change_list.html"

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        if obj is not None:
            return (
                "key",
                "version",
                "is_active",
                "system",
                "template",
                "variables",
                "notes",
                "created_by",
                "created_at",
            )
        return ()

    def get_fields(self, request: HttpRequest, obj=None):
        if obj is not None:
            return self.get_readonly_fields(request, obj)
        return ("key", "system", "template", "variables_text", "notes", "activate")

    def get_changeform_initial_data(self, request: HttpRequest) -> dict:
        key = request.GET.get("key")
        if not key:
            return {}
        try:
            current = prompt_resolve(key)
        except PromptError:
            return {}
        return {
            "key": key,
            "system": current.system,
            "template": current.template,
            "variables_text": ", ".join(current.variables),
        }

    def get_form(self, request: HttpRequest, obj=None, change: bool = False, **kwargs):
        base = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None:
            return base

        class CreateForm(base):
            def clean(self) -> dict:
                cleaned = super().clean()
                if self.errors:
                    return cleaned
                names = [
                    n.strip() for n in cleaned.get("variables_text", "").split(",") if n.strip()
                ]
                from .prompts import prompt_check, prompt_spec

                try:
                    spec = prompt_spec(cleaned["key"])
                    prompt_check(
                        system=cleaned.get("system", ""),
                        template=cleaned["template"],
                        variables=names or list(spec.variables),
                    )
                except PromptError as exc:
                    add_service_errors(self, ValidationError({"template": str(exc)}))
                return cleaned

        return CreateForm

    def save_model(self, request: HttpRequest, obj, form, change: bool) -> None:
        data = form.cleaned_data
        names = [n.strip() for n in data.get("variables_text", "").split(",") if n.strip()]
        created = prompt_version_create(
            key=data["key"],
            system=data.get("system", ""),
            template=data["template"],
            variables=names or None,
            notes=data.get("notes", ""),
            activate=data.get("activate", False),
            actor=request.user,
        )
        obj.pk = created.pk
        obj._state.adding = False
        obj.refresh_from_db()

    def changelist_view(self, request: HttpRequest, extra_context=None):
        registry = []
        for spec in prompt_specs():
            current = prompt_resolve(spec.key)
            registry.append({"spec": spec, "active": current.version_label})
        return super().changelist_view(request, {**(extra_context or {}), "registry": registry})

    def get_urls(self):
        return [
            path(
                "run-tests/<str:key>/",
                self.admin_site.admin_view(self.run_tests_view),
                name="intelligence_ai_prompt_run_tests",
            ),
            *super().get_urls(),
        ]

    def _tests_page(self, request: HttpRequest, runs: list[tuple[str, list]]) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": "Prompt test cases",
            "opts": self.model._meta,
            "runs": runs,
        }
        return TemplateResponse(request, "admin/intelligence_ai/prompt_tests.html", context)

    def run_tests_view(self, request: HttpRequest, key: str):
        if not self.has_view_permission(request):
            raise Http404
        try:
            current = prompt_resolve(key)
        except PromptError as exc:
            raise Http404(str(exc)) from exc
        outcomes = prompt_tests_run(key=key, user=request.user)
        return self._tests_page(request, [(f"{key} {current.version_label} (active)", outcomes)])

    @admin.action(description="Run the test cases against the selected versions")
    def run_tests(self, request: HttpRequest, queryset: QuerySet):
        runs = [(str(p), prompt_tests_run(prompt=p, user=request.user)) for p in queryset[:10]]
        return self._tests_page(request, runs)

    @admin.action(description="Make the selected version active")
    def activate_version(self, request: HttpRequest, queryset: QuerySet) -> None:
        if len({p.key for p in queryset}) != queryset.count():
            self.message_user(request, "Select at most one version per prompt.", messages.ERROR)
            return
        for prompt in queryset:
            prompt_version_activate(prompt=prompt)
        self.message_user(request, f"{queryset.count()} version(s) active.")

    @admin.action(description="Go back to the code default for these prompts")
    def restore_default(self, request: HttpRequest, queryset: QuerySet) -> None:
        keys = sorted({p.key for p in queryset})
        for key in keys:
            prompt_default_restore(key=key)
        self.message_user(request, f"Code default in use for: {', '.join(keys)}.")


class TestCaseForm(forms.ModelForm):
    key = forms.ChoiceField(choices=lambda: [(s.key, s.key) for s in prompt_specs()])
    variables = forms.JSONField(help_text='e.g. {"text": "…", "max_sentences": 2}')
    must_contain_text = forms.CharField(
        label="Must contain",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One per line (case-insensitive).",
    )
    must_not_contain_text = forms.CharField(
        label="Must not contain", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    class Meta:
        model = PromptTestCase
        fields = ("key", "name", "variables", "max_chars")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["must_contain_text"] = "\n".join(self.instance.must_contain)
            self.initial["must_not_contain_text"] = "\n".join(self.instance.must_not_contain)

    def clean_variables(self) -> dict:
        value = self.cleaned_data["variables"]
        if not isinstance(value, dict):
            raise ValidationError("Give the variables as a JSON object.")
        return value

    def save(self, commit: bool = True):
        self.instance.must_contain = _lines(self.cleaned_data.get("must_contain_text", ""))
        self.instance.must_not_contain = _lines(self.cleaned_data.get("must_not_contain_text", ""))
        return super().save(commit)


@admin.register(PromptTestCase, site=workspace_admin)
class PromptTestCaseAdmin(_RoleAccess, admin.ModelAdmin):
    edit_roles = ("admin", "manager")
    form = TestCaseForm
    list_display = ("key", "name", "max_chars")
    list_filter = ("key",)
    fields = ("key", "name", "variables", "must_contain_text", "must_not_contain_text", "max_chars")


# --- usage and reports --------------------------------------------------------------------------


@admin.register(AIUsage, site=workspace_admin)
class AIUsageAdmin(_RoleAccess, admin.ModelAdmin):
    list_display = (
        "created_at",
        "feature",
        "user",
        "engine",
        "prompt_version",
        "tokens_in",
        "tokens_out",
        "cost_usd",
        "latency_ms",
        "fallback_reason",
        "outcome",
    )
    list_filter = ("feature", "provider", "outcome", "fallback_reason", "mode")
    date_hierarchy = "created_at"
    search_fields = ("feature", "prompt_key", "model", "user__email")
    list_select_related = ("user",)
    change_list_template = "admin/intelligence_ai/aiusage/change_list.html"

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_urls(self):
        return [
            path(
                "report/",
                self.admin_site.admin_view(self.report_view),
                name="intelligence_ai_aiusage_report",
            ),
            *super().get_urls(),
        ]

    def report_view(self, request: HttpRequest):
        if not self.has_view_permission(request):
            raise Http404
        month = month_start()
        if value := request.GET.get("month"):
            try:
                month = dt.date.fromisoformat(f"{value}-01")
            except ValueError:
                self.message_user(request, f"Not a month: {value!r} (use YYYY-MM).", messages.ERROR)
        context = {
            **self.admin_site.each_context(request),
            "title": f"AI usage — {month:%B %Y}",
            "opts": self.model._meta,
            "report": usage_report(month=month),
            "months": usage_months(),
        }
        return TemplateResponse(request, "admin/intelligence_ai/usage_report.html", context)
