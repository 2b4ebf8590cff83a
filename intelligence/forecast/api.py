"""Partner API for the revenue forecast (scope `deals:read`).

    GET /api/v1/forecast?period=2026-11|2026-Q4&owner=&pipeline=&seed=
    GET /api/v1/forecast/accuracy?owner=&pipeline=

A signed-in rep (session) sees only their own figures; managers, admins and API keys see the
team and the per-owner breakdown.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from crm.api.serializers import StrictSerializer
from crm.api.views import ApiView
from crm.deals.models import Pipeline
from crm.team.models import ApiKey, User

from .models import Scope
from .periods import MONTH, PERIOD_HELP, period_containing, period_parse
from .selectors import MAX_DRAWS, forecast_accuracy, forecast_compute, workspace_today_and_zone

MONEY = {"max_digits": 16, "decimal_places": 2}

# --- input ---------------------------------------------------------------------------------


class ForecastScopeInput(StrictSerializer):
    owner = serializers.IntegerField(min_value=1, required=False, help_text="a team member's id")
    pipeline = serializers.IntegerField(min_value=1, required=False, help_text="a pipeline's id")

    def validate_owner(self, value: int) -> int:
        if not User.objects.filter(pk=value).exists():
            raise serializers.ValidationError("No team member with this id in this workspace.")
        return value

    def validate_pipeline(self, value: int) -> int:
        if not Pipeline.objects.filter(pk=value).exists():
            raise serializers.ValidationError("No pipeline with this id in this workspace.")
        return value


class ForecastInput(ForecastScopeInput):
    period = serializers.CharField(
        required=False, help_text=f"{PERIOD_HELP} Default: the current month."
    )
    seed = serializers.IntegerField(
        min_value=0, max_value=2**32 - 1, required=False,
        help_text="Monte Carlo seed; by default one derived from the query, so the same query "
        "gives the same figures.",
    )  # fmt: skip
    draws = serializers.IntegerField(min_value=100, max_value=MAX_DRAWS, required=False)

    def validate_period(self, value: str):
        try:
            return period_parse(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc


def _restrict_to_self(request: Request, owner: int | None) -> int | None:
    """Reps signed in to the UI see only themselves; keys and managers see everyone."""
    if isinstance(request.auth, ApiKey) or getattr(request.user, "is_manager", False):
        return owner
    if owner is not None and owner != request.user.pk:
        raise PermissionDenied("Reps see only their own forecast.")
    return request.user.pk


# --- output --------------------------------------------------------------------------------


class ForecastFiguresOutput(serializers.Serializer):
    currency = serializers.CharField()
    closed_won = serializers.DecimalField(**MONEY, help_text="won in the period so far")
    closed_won_count = serializers.IntegerField()
    open_count = serializers.IntegerField(help_text="open deals expected to close in the period")
    open_amount = serializers.DecimalField(**MONEY)
    weighted_stage = serializers.DecimalField(**MONEY, help_text="open amount x stage %")
    weighted_ml = serializers.DecimalField(**MONEY, help_text="open amount x win probability")
    p10 = serializers.DecimalField(**MONEY, help_text="closed-won + simulated, 10th percentile")
    p50 = serializers.DecimalField(**MONEY)
    p90 = serializers.DecimalField(**MONEY)
    mean = serializers.DecimalField(**MONEY)


class ForecastScopeOutput(serializers.Serializer):
    scope = serializers.ChoiceField(choices=Scope.choices)
    id = serializers.IntegerField(source="ref", allow_null=True, help_text="0: team/unassigned")
    label = serializers.CharField()
    figures = ForecastFiguresOutput(many=True, help_text="one entry per currency, largest first")


class ForecastQualityOutput(serializers.Serializer):
    open_without_close_date = serializers.IntegerField(help_text="left out: in no period")
    open_overdue = serializers.IntegerField(help_text="left out: close date already passed")
    open_without_amount = serializers.IntegerField(help_text="in the period, counted as 0")
    ml_fallback = serializers.IntegerField(help_text="no model probability; stage % used")


class ForecastOutput(serializers.Serializer):
    period = serializers.CharField(source="period.label")
    kind = serializers.CharField(source="period.kind")
    start = serializers.DateField(source="period.start")
    end = serializers.DateField(source="period.end")
    owner = serializers.IntegerField(source="owner_id", allow_null=True)
    pipeline = serializers.IntegerField(source="pipeline_id", allow_null=True)
    draws = serializers.IntegerField()
    seed = serializers.IntegerField()
    currencies = serializers.ListField(child=serializers.CharField())
    total = ForecastScopeOutput()
    owners = ForecastScopeOutput(many=True)
    pipelines = ForecastScopeOutput(many=True)
    quality = ForecastQualityOutput()
    notes = serializers.ListField(child=serializers.CharField())
    generated_at = serializers.DateTimeField()


class ForecastAccuracyRowOutput(serializers.Serializer):
    period = serializers.CharField(source="snapshot.period")
    label = serializers.CharField(source="snapshot.label")
    currency = serializers.CharField(source="snapshot.currency")
    snapshot_at = serializers.DateTimeField(source="snapshot.created_at")
    p10 = serializers.DecimalField(source="snapshot.p10", **MONEY)
    p50 = serializers.DecimalField(source="snapshot.p50", **MONEY)
    p90 = serializers.DecimalField(source="snapshot.p90", **MONEY)
    stage_forecast = serializers.DecimalField(**MONEY)
    ml_forecast = serializers.DecimalField(**MONEY)
    actual = serializers.DecimalField(**MONEY)
    ape_p50 = serializers.FloatField(allow_null=True, help_text="|actual - P50| / actual")
    ape_stage = serializers.FloatField(allow_null=True)
    ape_ml = serializers.FloatField(allow_null=True)
    within_band = serializers.BooleanField(help_text="P10 ≤ actual ≤ P90")


class ForecastAccuracySummaryOutput(serializers.Serializer):
    kind = serializers.CharField()
    currency = serializers.CharField()
    periods = serializers.IntegerField(help_text="periods with actual revenue (MAPE defined)")
    mape_p50 = serializers.FloatField(allow_null=True, help_text="fraction: 0.12 = 12 %")
    mape_stage = serializers.FloatField(allow_null=True)
    mape_ml = serializers.FloatField(allow_null=True)
    within_band = serializers.IntegerField()


class ForecastAccuracyOutput(serializers.Serializer):
    scope = serializers.ChoiceField(choices=Scope.choices)
    id = serializers.IntegerField(source="scope_ref")
    summaries = ForecastAccuracySummaryOutput(many=True)
    periods = ForecastAccuracyRowOutput(many=True, source="rows")


# --- views ---------------------------------------------------------------------------------


class ForecastApi(ApiView):
    scope_resource = "deals"

    @extend_schema(
        operation_id="forecast_retrieve",
        parameters=[ForecastInput],
        responses=ForecastOutput,
        description="Closed-won so far, open deals expected to close, weighted pipelines and "
        "a Monte Carlo distribution (P10/P50/P90, mean) of the period's closed-won revenue, "
        "per currency; with per-owner and per-pipeline breakdowns unless filtered.",
    )
    def get(self, request: Request) -> Response:
        data = ForecastInput(data=request.query_params)
        data.is_valid(raise_exception=True)
        params = data.validated_data
        owner = _restrict_to_self(request, params.get("owner"))
        period = params.get("period") or period_containing(
            day=workspace_today_and_zone()[0], kind=MONTH
        )
        forecast = forecast_compute(
            period=period,
            owner_id=owner,
            pipeline_id=params.get("pipeline"),
            seed=params.get("seed"),
            **({"draws": params["draws"]} if "draws" in params else {}),
        )
        return Response(ForecastOutput(forecast).data)


class ForecastAccuracyApi(ApiView):
    scope_resource = "deals"

    @extend_schema(
        operation_id="forecast_accuracy_retrieve",
        parameters=[ForecastScopeInput],
        responses=ForecastAccuracyOutput,
        description="Snapshots taken at the start of ended periods against the actual "
        "closed-won, with MAPE per period kind and currency.",
    )
    def get(self, request: Request) -> Response:
        data = ForecastScopeInput(data=request.query_params)
        data.is_valid(raise_exception=True)
        params = data.validated_data
        owner = _restrict_to_self(request, params.get("owner"))
        if owner is not None and params.get("pipeline") is not None:
            raise serializers.ValidationError(
                {"pipeline": ["Snapshots are per owner or per pipeline: give one of the two."]}
            )
        if owner is not None:
            scope, ref = Scope.OWNER, owner
        elif params.get("pipeline") is not None:
            scope, ref = Scope.PIPELINE, params["pipeline"]
        else:
            scope, ref = Scope.TEAM, 0
        return Response(ForecastAccuracyOutput(forecast_accuracy(scope=scope, scope_ref=ref)).data)
