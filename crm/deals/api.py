"""Partner API for pipelines (with their stages) and deals. A deal changes stage only through
`move/`, which records who moved it and when."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import MethodNotAllowed, NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from crm.api.crud import ServiceViewSet
from crm.api.serializers import CustomValuesField, StrictSerializer, owner_field
from crm.api.views import ORIGIN, actor_of
from crm.contacts.models import Company, Contact
from crm.customfields.models import Entity

from . import services
from .models import Deal, Pipeline, Stage

# --- pipelines ------------------------------------------------------------------------------


class StageOutput(serializers.ModelSerializer):
    class Meta:
        model = Stage
        fields = ("id", "name", "position", "probability", "is_won", "is_lost")
        read_only_fields = fields


class PipelineOutput(serializers.ModelSerializer):
    stages = StageOutput(many=True, read_only=True)

    class Meta:
        model = Pipeline
        fields = ("id", "name", "is_default", "position", "archived", "created_at", "stages")
        read_only_fields = fields


class StageInput(StrictSerializer):
    name = serializers.CharField(max_length=120)
    probability = serializers.IntegerField(min_value=0, max_value=100)
    is_won = serializers.BooleanField(default=False)
    is_lost = serializers.BooleanField(default=False)


class PipelineInput(StrictSerializer):
    name = serializers.CharField(max_length=120)
    is_default = serializers.BooleanField(default=False)
    stages = StageInput(many=True, required=False, allow_empty=False)


class PipelineUpdate(StrictSerializer):
    field_hints = {
        "stages": "Change stages with /api/v1/pipelines/{id}/stages/… (add, PATCH, DELETE, "
        "order/).",
    }
    name = serializers.CharField(max_length=120, required=False)
    position = serializers.IntegerField(min_value=0, required=False)
    is_default = serializers.BooleanField(required=False)
    archived = serializers.BooleanField(required=False)


class StageUpdate(StrictSerializer):
    field_hints = {"position": "Reorder with POST /api/v1/pipelines/{id}/stages/order/."}
    name = serializers.CharField(max_length=120, required=False)
    probability = serializers.IntegerField(min_value=0, max_value=100, required=False)
    is_won = serializers.BooleanField(required=False)
    is_lost = serializers.BooleanField(required=False)


class StageOrderInput(StrictSerializer):
    stages = serializers.ListField(child=serializers.IntegerField(min_value=1), allow_empty=False)


@extend_schema_view(
    create=extend_schema(request=PipelineInput, responses={201: PipelineOutput}),
    partial_update=extend_schema(request=PipelineUpdate, responses=PipelineOutput),
)
class PipelineViewSet(ServiceViewSet):
    """Pipelines are changed field by field (PATCH); there is no PUT, and no DELETE: a
    pipeline that is no longer used is archived, which keeps its deals and their history."""

    scope_resource = "pipelines"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]  # delete: stages
    output_serializer_class = PipelineOutput
    input_serializer_class = PipelineInput
    update_serializer_class = PipelineUpdate
    filter_backends: list = []
    pagination_class = None  # a workspace has a handful of pipelines

    def get_queryset(self):
        stages = Prefetch("stages", queryset=Stage.objects.order_by("position", "id"))
        return Pipeline.objects.prefetch_related(stages)

    def service_create(self, data: dict[str, Any]) -> Pipeline:
        stages = [
            (s["name"], s["probability"], s["is_won"], s["is_lost"])
            for s in data.get("stages") or []
        ]
        return services.pipeline_create(
            name=data["name"], stages=stages or None, is_default=data["is_default"]
        )

    @extend_schema(exclude=True)
    def destroy(self, request: Request, pk: str) -> Response:
        raise MethodNotAllowed(
            "DELETE",
            detail='Pipelines are not deleted: archive one with PATCH {"archived": true}; '
            "its deals and their history stay.",
        )

    def service_update(self, instance: Pipeline, data: dict[str, Any]) -> Pipeline:
        return services.pipeline_update(
            pipeline=instance, changes=data, actor=actor_of(self.request), origin=ORIGIN
        )

    @extend_schema(request=StageInput, responses={201: StageOutput})
    @action(detail=True, methods=["post"])
    def stages(self, request: Request, pk: str) -> Response:
        """Add a stage at the end of the pipeline."""
        pipeline = self.get_object()
        data = self.validated(StageInput, request.data)
        stage = services.stage_add(pipeline=pipeline, **data)
        return Response(StageOutput(stage).data, status=status.HTTP_201_CREATED)

    def _stage(self, pipeline: Pipeline, stage_id: str) -> Stage:
        stage = pipeline.stages.filter(pk=stage_id).first()
        if stage is None:
            raise NotFound(f"No stage {stage_id} in this pipeline.")
        return stage

    @extend_schema(methods=["PATCH"], request=StageUpdate, responses=StageOutput)
    @extend_schema(methods=["DELETE"], request=None, responses={204: None})
    @action(detail=True, methods=["patch", "delete"], url_path=r"stages/(?P<stage_id>[0-9]+)")
    def stage(self, request: Request, pk: str, stage_id: str) -> Response:
        """PATCH: rename a stage, change its probability or won/lost flags (not of a stage
        that holds deals). DELETE: only a stage no deal is in and no history mentions (409)."""
        stage = self._stage(self.get_object(), stage_id)
        actor = actor_of(request)
        if request.method == "DELETE":
            services.stage_delete(stage=stage, actor=actor, origin=ORIGIN)
            return Response(status=status.HTTP_204_NO_CONTENT)
        data = self.validated(StageUpdate, request.data)
        stage = services.stage_update(stage=stage, changes=data, actor=actor, origin=ORIGIN)
        return Response(StageOutput(stage).data)

    @extend_schema(request=StageOrderInput, responses=PipelineOutput)
    @action(detail=True, methods=["post"], url_path="stages/order")
    def stage_order(self, request: Request, pk: str) -> Response:
        """Reorder the stages: `{"stages": [ids in the new order]}`, every stage once."""
        pipeline = self.get_object()
        data = self.validated(StageOrderInput, request.data)
        services.stage_reorder(
            pipeline=pipeline, stage_ids=data["stages"], actor=actor_of(request), origin=ORIGIN
        )
        return self.output(pipeline)


# --- deals ----------------------------------------------------------------------------------


class DealOutput(serializers.ModelSerializer):
    class Meta:
        model = Deal
        fields = (
            "id", "name", "company", "primary_contact", "amount", "currency",
            "expected_close_date", "pipeline", "stage", "owner", "lost_reason", "closed_at",
            "custom", "stage_changed_at", "created_at", "updated_at",
        )  # fmt: skip
        read_only_fields = fields


class DealUpdate(StrictSerializer):
    field_hints = {
        "stage": "Move a deal with POST /api/v1/deals/{id}/move/.",
        "pipeline": "Move a deal with POST /api/v1/deals/{id}/move/.",
    }
    name = serializers.CharField(max_length=255, required=False)
    company = serializers.PrimaryKeyRelatedField(
        queryset=Company.objects.all(), required=False, allow_null=True
    )
    primary_contact = serializers.PrimaryKeyRelatedField(
        queryset=Contact.objects.all(), required=False, allow_null=True
    )
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, required=False)
    currency = serializers.CharField(min_length=3, max_length=3, required=False)
    expected_close_date = serializers.DateField(required=False, allow_null=True)
    owner = owner_field()
    custom = CustomValuesField()


class DealReplace(DealUpdate):
    """PUT: the whole deal (its stage still moves only through `move/`)."""

    name = serializers.CharField(max_length=255)


class DealInput(DealUpdate):
    field_hints: dict[str, str] = {}
    name = serializers.CharField(max_length=255)
    pipeline = serializers.PrimaryKeyRelatedField(queryset=Pipeline.objects.all(), required=False)
    stage = serializers.PrimaryKeyRelatedField(queryset=Stage.objects.all(), required=False)


class MoveInput(StrictSerializer):
    stage = serializers.PrimaryKeyRelatedField(queryset=Stage.objects.select_related("pipeline"))
    lost_reason = serializers.CharField(
        max_length=255, required=False, allow_blank=True, default=""
    )


class DealFilter(django_filters.FilterSet):
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    updated_after = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    close_after = django_filters.DateFilter(field_name="expected_close_date", lookup_expr="gte")
    close_before = django_filters.DateFilter(field_name="expected_close_date", lookup_expr="lte")
    is_open = django_filters.BooleanFilter(field_name="closed_at", lookup_expr="isnull")

    class Meta:
        model = Deal
        fields = ("pipeline", "stage", "owner", "company", "primary_contact", "currency")


@extend_schema_view(
    create=extend_schema(request=DealInput, responses={201: DealOutput}),
    update=extend_schema(request=DealReplace, responses=DealOutput),
    partial_update=extend_schema(request=DealUpdate, responses=DealOutput),
)
class DealViewSet(ServiceViewSet):
    scope_resource = "deals"
    custom_entity = Entity.DEAL
    csv_entity = "deal"
    output_serializer_class = DealOutput
    input_serializer_class = DealInput
    update_serializer_class = DealUpdate
    replace_serializer_class = DealReplace
    filterset_class = DealFilter
    search_fields = ("name",)
    ordering_fields = ("id", "created_at", "updated_at", "amount", "expected_close_date")

    def get_queryset(self):
        return Deal.objects.all()

    def service_create(self, data: dict[str, Any]) -> Deal:
        return services.deal_create(actor=actor_of(self.request), origin=ORIGIN, **data)

    def service_update(self, instance: Deal, data: dict[str, Any]) -> Deal:
        return services.deal_update(
            deal=instance, changes=data, actor=actor_of(self.request), origin=ORIGIN
        )

    def service_replace(self, instance: Deal, data: dict[str, Any]) -> Deal:
        return services.deal_update(
            deal=instance, changes=data, actor=actor_of(self.request), origin=ORIGIN,
            partial=False,
        )  # fmt: skip

    def service_delete(self, instance: Deal) -> None:
        services.deal_delete(deal=instance, actor=actor_of(self.request), origin=ORIGIN)

    @extend_schema(request=MoveInput, responses=DealOutput)
    @action(detail=True, methods=["post"])
    def move(self, request: Request, pk: str) -> Response:
        """Move the deal to a stage (of any pipeline); a lost stage needs `lost_reason`."""
        deal = self.get_object()
        data = self.validated(MoveInput, request.data)
        deal = services.deal_move_stage(
            deal=deal, stage=data["stage"], lost_reason=data["lost_reason"],
            actor=actor_of(request), origin=ORIGIN,
        )  # fmt: skip
        return self.output(deal)
