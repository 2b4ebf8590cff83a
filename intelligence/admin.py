"""The manager's view of predictive intelligence: model versions with their model card
(activate = rollback, retrain), the training runs and why each ended as it did, and the
workspace's thresholds. An active model whose artifact cannot be used raises an alert on
these pages and on the admin index. The artifact bytes are never shown or editable."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from crm.adminkit import NotFoundMixin, ReadOnlyAdminMixin
from crm.tenancy.admin_sites import workspace_admin

from . import rescoring, services
from .models import IntelligenceSettings, ModelKind, ModelVersion, TrainingRun
from .registry import trainable_kinds
from .selectors import model_version_problems, training_run_latest


def problems_alert(request: HttpRequest) -> None:
    """An error banner per active model that cannot be used (scores fall back to the rules)."""
    try:
        problems = model_version_problems()
    except Exception:  # the alert must never break the page it sits on
        return
    for version in problems:
        messages.error(
            request,
            f"The active {version.get_kind_display().lower()} model ({version.label}) cannot be "
            f"used: {version.problem}. Scores use the rules scorecard until you activate "
            "another version or retrain.",
        )


def _importance_rows(raw) -> list[tuple[str, object, object]]:
    """(feature, weight, the tree corrections' share or "") rows whatever shape a kind's
    trainer stored them in."""
    rows = []
    for item in (raw or [])[:25]:
        if isinstance(item, dict):
            name = item.get("feature") or item.get("name") or item.get("label") or "?"
            weight = next((item[k] for k in ("coefficient", "importance", "weight") if k in item),
                          "")  # fmt: skip
            rows.append((str(name), weight, item.get("corrections", "")))
        elif isinstance(item, list | tuple) and len(item) == 2:
            rows.append((str(item[0]), item[1], ""))
    return rows


def _retrain(request: HttpRequest, kind: str) -> None:
    try:
        rescoring.training_request(kind=kind, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return
    label = ModelKind(kind).label.lower() if kind in ModelKind.values else kind
    messages.success(
        request, f"Training of the {label} queued; its outcome appears under Training runs."
    )


@admin.register(ModelVersion, site=workspace_admin)
class ModelVersionAdmin(NotFoundMixin, admin.ModelAdmin):
    list_display = ("kind", "version", "status", "trained_at", "rows_used", "auc", "label",
                    "problem_flag")  # fmt: skip
    list_display_links = ("kind", "version")
    list_filter = ("kind", "status")
    ordering = ("kind", "-version")
    actions = ("activate_selected", "retrain_selected_kinds")
    change_form_template = "admin/intelligence/modelversion/model_card.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).defer("artifact")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # versions come from training only

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # history: runs and scores point at it

    @admin.display(description="AUC")
    def auc(self, obj: ModelVersion) -> str:
        value = (obj.metrics or {}).get("auc")
        return f"{value:.3f}" if value is not None else "—"

    @admin.display(description="problem")
    def problem_flag(self, obj: ModelVersion) -> str:
        if not obj.problem:
            return "—"
        return format_html('<strong class="errornote">{}</strong>', obj.problem)

    def changelist_view(self, request: HttpRequest, extra_context=None):
        problems_alert(request)
        extra = {"trainable_kinds": trainable_kinds(), **(extra_context or {})}
        return super().changelist_view(request, extra)

    # --- the model card (instead of a form: nothing here is edited by hand) -------------------

    def change_view(self, request: HttpRequest, object_id: str, form_url="", extra_context=None):
        if request.method != "GET":
            raise PermissionDenied("Use the activate or retrain buttons.")
        version = self.get_object(request, object_id)
        if version is None:
            raise Http404(f"No model version with id {object_id!r} here.")
        if not self.has_view_or_change_permission(request, version):
            raise PermissionDenied
        if version.status == ModelVersion.Status.ACTIVE:
            problems_alert(request)
        elif version.problem:
            messages.warning(request, f"This version's artifact cannot be used: {version.problem}")
        metrics = version.metrics or {}
        context = {
            **self.admin_site.each_context(request),
            "title": f"Model card: {version.get_kind_display()} v{version.version}",
            "opts": self.opts,
            "version": version,
            "metrics": metrics,
            "calibration": metrics.get("calibration") or [],
            "importance": _importance_rows(version.feature_importance),
            "run": training_run_latest(version=version),
            "can_change": self.has_change_permission(request, version),
            "can_retrain": version.kind in trainable_kinds(),
            "other_metrics": {
                k: v
                for k, v in metrics.items()
                if k
                not in (
                    "auc",
                    "brier",
                    "precision_at_hot",
                    "recall_at_hot",
                    "hot_threshold",
                    "calibration",
                )
                and not isinstance(v, dict | list)
            },
            "activate_url": reverse(
                f"{self.admin_site.name}:intelligence_modelversion_activate", args=[version.pk]
            ),
            "retrain_url": reverse(
                f"{self.admin_site.name}:intelligence_modelversion_retrain", args=[version.kind]
            ),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.change_form_template, context)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:version_id>/activate/", wrap(self.activate_view),
                 name="intelligence_modelversion_activate"),
            path("retrain/<slug:kind>/", wrap(self.retrain_view),
                 name="intelligence_modelversion_retrain"),
            *super().get_urls(),
        ]  # fmt: skip

    def _card_url(self, version: ModelVersion) -> str:
        return reverse(
            f"{self.admin_site.name}:intelligence_modelversion_change", args=[version.pk]
        )

    def activate_view(self, request: HttpRequest, version_id: int) -> HttpResponse:
        if request.method != "POST":
            return HttpResponse(status=405)
        version = self.get_queryset(request).filter(pk=version_id).first()
        if version is None:
            raise Http404("No such model version here.")
        if not self.has_change_permission(request, version):
            raise PermissionDenied
        self._activate(request, version)
        return HttpResponseRedirect(self._card_url(version))

    def retrain_view(self, request: HttpRequest, kind: str) -> HttpResponse:
        if request.method != "POST":
            return HttpResponse(status=405)
        if not self.has_change_permission(request):
            raise PermissionDenied
        _retrain(request, kind)
        back = request.POST.get("next", "")
        if back.startswith("/") and not back.startswith("//"):
            return HttpResponseRedirect(back)
        return redirect(f"{self.admin_site.name}:intelligence_modelversion_changelist")

    def _activate(self, request: HttpRequest, version: ModelVersion) -> None:
        if version.status == ModelVersion.Status.ACTIVE:
            messages.info(request, f"{version.label} is already the active version.")
            return
        rescoring.model_version_activate_for(version=version)
        messages.success(
            request,
            f"{version.get_kind_display()} {version.label} is active now; scores are being "
            "recomputed with it.",
        )

    @admin.action(description="Activate the selected version (rollback)", permissions=["change"])
    def activate_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        versions = list(queryset[:2])
        if len(versions) != 1:
            messages.error(request, "Select exactly one version to activate.")
            return
        self._activate(request, versions[0])

    @admin.action(description="Retrain the selected versions' kinds", permissions=["change"])
    def retrain_selected_kinds(self, request: HttpRequest, queryset: QuerySet) -> None:
        for kind in sorted(set(queryset.values_list("kind", flat=True))):
            _retrain(request, kind)


@admin.register(TrainingRun, site=workspace_admin)
class TrainingRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("started_at", "kind", "status", "reason", "rows", "positives",
                    "model_version", "requested_by", "finished_at")  # fmt: skip
    list_filter = ("kind", "status")
    list_select_related = ("requested_by", "model_version")
    search_fields = ("reason",)
    date_hierarchy = "started_at"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).defer("model_version__artifact")

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        return [f.name for f in self.model._meta.fields]

    def changelist_view(self, request: HttpRequest, extra_context=None):
        problems_alert(request)
        return super().changelist_view(request, extra_context)


class IntelligenceSettingsForm(forms.ModelForm):
    class Meta:
        model = IntelligenceSettings
        fields = ("hot_threshold", "warm_threshold", "nightly_training", "deal_inactive_days",
                  "deal_amount_outlier_ratio")  # fmt: skip

    def clean(self) -> dict:
        cleaned = super().clean()
        hot, warm = cleaned.get("hot_threshold"), cleaned.get("warm_threshold")
        if hot is not None and warm is not None and warm >= hot:
            self.add_error("warm_threshold", f"Warm must be below hot ({hot}).")
        ratio = cleaned.get("deal_amount_outlier_ratio")
        if ratio is not None and ratio <= 1:
            self.add_error("deal_amount_outlier_ratio", "Use a ratio above 1 (e.g. 3).")
        return cleaned


@admin.register(IntelligenceSettings, site=workspace_admin)
class IntelligenceSettingsAdmin(NotFoundMixin, admin.ModelAdmin):
    """One row per workspace: the list goes straight to it."""

    form = IntelligenceSettingsForm

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context=None):
        row = services.intelligence_settings_get()
        return redirect(f"{self.admin_site.name}:intelligence_intelligencesettings_change", row.pk)

    def change_view(self, request: HttpRequest, object_id: str, form_url="", extra_context=None):
        if request.method == "GET":
            problems_alert(request)
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request: HttpRequest, obj, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if {"hot_threshold", "warm_threshold"} & set(form.changed_data):
            # Temperatures follow the thresholds: recompute the current scores.
            rescoring.rescore_all_request(kind=ModelKind.LEAD_SCORE)
            messages.info(request, "Thresholds changed: lead scores are being recomputed.")


# --- the admin index shows the same alert ------------------------------------------------------
# The workspace site lives in crm (which must not import intelligence), so the alert is added
# by wrapping its index view here, once, before its URLs are built.

if not getattr(workspace_admin.index, "intelligence_alert", False):
    _site_index = workspace_admin.index

    def _index_with_alert(request: HttpRequest, extra_context=None):
        problems_alert(request)
        return _site_index(request, extra_context)

    _index_with_alert.intelligence_alert = True  # type: ignore[attr-defined]
    workspace_admin.index = _index_with_alert  # type: ignore[method-assign]
