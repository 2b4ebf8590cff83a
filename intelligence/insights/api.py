"""/api/v1/activities/{id}/insights: read, (re)compute, and turn an action item into a task.

Scopes: an API key needs `activities:read` to GET and `activities:write` to POST (the default
HasResourceScope with `scope_resource = "activities"`). A signed-in team member may read any
activity's insight; analysing and creating tasks need the same right as in the UI: the owner
of the activity's record or a manager (`crm.web.can_edit`)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from crm.activities.models import Activity
from crm.api.errors import NON_FIELD, Problem
from crm.api.serializers import StrictSerializer
from crm.api.views import ApiView, actor_of
from crm.web import can_edit

from .models import ActivityInsight
from .selectors import insight_get
from .services import (
    MIN_CHARS,
    activity_insight_compute,
    activity_record,
    insight_action_task_create,
)

SCOPE_RESOURCE = "activities"
_problem = OpenApiResponse(description="problem+json")


# --- serializers ---------------------------------------------------------------------------


class ActionItemOutput(serializers.Serializer):
    text = serializers.CharField()
    task_id = serializers.IntegerField(
        allow_null=True, help_text="the task made from this item, null until one is made"
    )


class ObjectionOutput(serializers.Serializer):
    category = serializers.CharField(
        help_text="price, timing, authority, need, competition or trust"
    )
    quote = serializers.CharField(help_text="the customer's own words")


class CompetitorMentionOutput(serializers.Serializer):
    competitor = serializers.CharField(help_text="a name from the workspace's competitor list")
    quote = serializers.CharField()


class InsightOutput(serializers.Serializer):
    activity_id = serializers.IntegerField()
    source = serializers.ChoiceField(choices=ActivityInsight.Source.choices)
    summary = serializers.CharField(allow_blank=True)
    action_items = ActionItemOutput(many=True)
    topics = serializers.ListField(child=serializers.CharField())
    objections = ObjectionOutput(many=True)
    competitors = CompetitorMentionOutput(many=True)
    sentiment = serializers.FloatField(
        allow_null=True, help_text="-1 (negative) .. 1 (positive) over the whole conversation"
    )
    sentiment_arc = serializers.ListField(
        child=serializers.FloatField(), help_text="start → end, up to five steps"
    )
    coaching_tips = serializers.ListField(child=serializers.CharField())
    engine = serializers.CharField(
        help_text='the engine that wrote it, e.g. "Built-in engine" or a provider\'s model'
    )
    computed_at = serializers.DateTimeField()
    usage_id = serializers.IntegerField(
        allow_null=True, help_text="the AI usage row (inputs, model, tokens, cost)"
    )


class ActionTaskInput(StrictSerializer):
    due_in_days = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=365, default=1,
        help_text="due this many days from now (default 1); null for no due date",
    )  # fmt: skip


class ActionTaskOutput(serializers.Serializer):
    task_id = serializers.IntegerField()
    index = serializers.IntegerField()
    text = serializers.CharField(help_text="the action item, now the task's title")


# --- views ---------------------------------------------------------------------------------


def _activity(activity_id: int) -> Activity:
    activity = (
        Activity.objects.select_related("lead", "deal", "contact", "company")
        .filter(pk=activity_id)
        .first()
    )
    if activity is None:
        raise NotFound(f"No activity {activity_id} in this workspace.")
    return activity


def _not_analysed(activity_id: int) -> Problem:
    return Problem(
        f"Activity {activity_id} has not been analysed; POST to "
        f"/api/v1/activities/{activity_id}/insights to analyse it.",
        status_code=status.HTTP_404_NOT_FOUND,
        code="not_analysed",
    )


def _insight(activity_id: int) -> ActivityInsight:
    """The stored insight; 404 for an unknown activity or one not analysed yet."""
    insight = insight_get(activity_id=activity_id)
    if insight is None:
        _activity(activity_id)  # unknown activity: its own 404
        raise _not_analysed(activity_id)
    return insight


class ActivityInsightApi(ApiView):
    scope_resource = SCOPE_RESOURCE

    @extend_schema(
        operation_id="activities_insights_retrieve",
        summary="The stored conversation insight of an activity",
        responses={200: InsightOutput, 403: _problem, 404: _problem},
    )
    def get(self, request: Request, id: int) -> Response:
        return Response(InsightOutput(_insight(id)).data)

    @extend_schema(
        operation_id="activities_insights_compute",
        summary="Analyse the activity now (again) and return its insight",
        request=None,
        responses={200: InsightOutput, 400: _problem, 403: _problem, 404: _problem},
    )
    def post(self, request: Request, id: int) -> Response:
        activity = _activity(id)
        actor = actor_of(request)
        if actor is not None and not can_edit(actor, activity_record(activity)):
            raise PermissionDenied("Only the record's owner or a manager can analyse it.")
        insight = activity_insight_compute(activity_id=activity.pk, actor=actor)
        if insight is None:
            message = (
                f"There is not enough text to analyse yet (at least {MIN_CHARS} characters "
                "of body, transcript or message thread)."
            )
            raise Problem(
                message, status_code=status.HTTP_400_BAD_REQUEST, code="not_enough_text",
                errors={NON_FIELD: [message]},
            )  # fmt: skip
        return Response(InsightOutput(insight).data)


class InsightActionTaskApi(ApiView):
    scope_resource = SCOPE_RESOURCE

    @extend_schema(
        operation_id="activities_insights_action_task_create",
        summary="Turn action item {index} (from 0) of an activity's insight into a task",
        request=ActionTaskInput,
        responses={201: ActionTaskOutput, 400: _problem, 403: _problem, 404: _problem},
    )
    def post(self, request: Request, id: int, index: int) -> Response:
        data = ActionTaskInput(data=request.data)
        data.is_valid(raise_exception=True)
        insight = _insight(id)
        actor = actor_of(request)
        # A key is allowed by its activities:write scope (checked before we got here); a
        # person must be the record's owner or a manager. ValidationError (bad index,
        # already a task) → 400; PermissionDenied → 403.
        task = insight_action_task_create(
            insight=insight, index=index, actor=actor,
            due_in_days=data.validated_data["due_in_days"], by_api_key=actor is None,
        )  # fmt: skip
        return Response(
            ActionTaskOutput({"task_id": task.pk, "index": index, "text": task.title}).data,
            status=status.HTTP_201_CREATED,
        )
