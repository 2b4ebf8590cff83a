"""The manager's "customers most at risk": each current customer's latest churn score,
riskiest first, filterable by band and model. Read-only (scores come from the services)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from crm.adminkit import ReadOnlyAdminMixin
from crm.tenancy.admin_sites import workspace_admin

from .models import CustomerAtRisk, CustomerScore
from .selectors import customer_scores_at_risk


@admin.register(CustomerAtRisk, site=workspace_admin)
class CustomerAtRiskAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("customer", "churn_score", "band", "clv_3y", "top_factor", "model_label",
                    "scored_at")  # fmt: skip
    list_filter = ("band", "model_label")
    search_fields = ("company__name", "contact__first_name", "contact__last_name", "contact__email")
    ordering = ("-churn_score", "-clv_3y", "-id")
    readonly_fields = ("company", "contact", "horizon_days", "churn_probability", "churn_score",
                       "band", "factors", "model_label", "model_version", "clv_3y",
                       "clv_components", "clv_label", "scored_at")  # fmt: skip

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return customer_scores_at_risk()

    @admin.display(description="customer")
    def customer(self, obj: CustomerScore) -> str:
        if obj.company_id:
            url = reverse("contacts:company", args=[obj.company_id])
            return format_html('<a href="{}">{}</a> <small>(company)</small>', url, obj.company)
        url = reverse("contacts:contact", args=[obj.contact_id])
        return format_html('<a href="{}">{}</a> <small>(contact)</small>', url, obj.contact)

    @admin.display(description="top risk factor")
    def top_factor(self, obj: CustomerScore) -> str:
        risky = [f for f in obj.factors or [] if f.get("weight", 0) > 0]
        return f"{risky[0]['label']} (+{risky[0]['weight']:.2f})" if risky else "—"
