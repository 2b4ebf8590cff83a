"""GET /api/v1/customers/{id}/churn: churn risk and 3-year value of one customer.

`{id}` is a company id; `?type=contact` makes it a contact id (companies and contacts can both
be customers and their ids overlap, so the type is always explicit or the company default).
The key's scope follows the type: `companies:read` or `contacts:read`."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from crm.api.errors import Problem
from crm.api.views import ApiView

from .features import COMPANY, CONTACT
from .models import RiskBand
from .selectors import NotACustomer
from .services import customer_score_current


class CustomerChurnInput(serializers.Serializer):
    type = serializers.ChoiceField(
        choices=[COMPANY, CONTACT], default=COMPANY,
        help_text="what `{id}` is: a company (default) or a contact id",
    )  # fmt: skip


class ChurnFactorOutput(serializers.Serializer):
    label = serializers.CharField()
    weight = serializers.FloatField(help_text="> 0 raises the churn risk, < 0 lowers it")


class CustomerClvComponentsOutput(serializers.Serializer):
    method = serializers.CharField()
    monthly_revenue_rate = serializers.FloatField()
    own_monthly_rate = serializers.FloatField(allow_null=True)
    workspace_monthly_rate = serializers.FloatField()
    own_rate_weight = serializers.FloatField()
    revenue_to_date = serializers.FloatField()
    tenure_months = serializers.FloatField()
    churn_probability_90d = serializers.FloatField()
    monthly_churn_hazard = serializers.FloatField()
    survival_weighted_months = serializers.FloatField()
    horizon_months = serializers.IntegerField()
    monthly_discount_rate = serializers.FloatField()


class CustomerChurnOutput(serializers.Serializer):
    type = serializers.CharField(source="customer_kind")
    id = serializers.IntegerField(source="customer_id")
    horizon_days = serializers.IntegerField(help_text="churn_probability is over this horizon")
    churn_probability = serializers.FloatField()
    churn_score = serializers.IntegerField(help_text="0-100")
    band = serializers.ChoiceField(choices=RiskBand.choices)
    factors = ChurnFactorOutput(many=True)
    model_label = serializers.CharField(help_text='"rules" or "trained v2, AUC 0.78"')
    model_version = serializers.IntegerField(source="model_version.version", allow_null=True)
    clv_3y = serializers.DecimalField(max_digits=16, decimal_places=2)
    clv_label = serializers.CharField()
    clv_components = CustomerClvComponentsOutput()
    scored_at = serializers.DateTimeField()


class CustomerChurnApi(ApiView):
    @property
    def scope_resource(self) -> str:  # type: ignore[override]
        request = getattr(self, "request", None)
        kind = request.query_params.get("type") if request is not None else None
        return "contacts" if kind == CONTACT else "companies"

    @extend_schema(
        operation_id="customers_churn_retrieve",
        parameters=[CustomerChurnInput],
        responses={
            200: CustomerChurnOutput,
            404: OpenApiResponse(description="not a current customer of this workspace"),
        },
        description="Probability (0-1) and score (0-100) that the customer churns within the "
        "next 90 days, its top factors, the model that scored it, and its expected revenue "
        "over the next 36 months with the formula's components. Scored on first request if "
        "the customer has no score yet.",
    )
    def get(self, request: Request, id: int) -> Response:
        data = CustomerChurnInput(data=request.query_params)
        data.is_valid(raise_exception=True)
        try:
            score = customer_score_current(kind=data.validated_data["type"], pk=id)
        except NotACustomer as exc:
            raise Problem(str(exc), status_code=404, code="not_a_customer") from None
        return Response(CustomerChurnOutput(score).data)
