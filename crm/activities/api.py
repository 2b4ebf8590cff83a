"""Partner API for the activity timeline and tasks. A logged activity's subject, body, time
and duration can be corrected and a mistaken one deleted; system activities (status and stage
changes) are history and never change."""

from __future__ import annotations

from typing import Any

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from crm.api.crud import ServiceViewSet
from crm.api.serializers import StrictSerializer, owner_field
from crm.api.views import ORIGIN, actor_of
from crm.contacts.models import Company, Contact
from crm.deals.models import Deal
from crm.leads.models import Lead

from . import services
from .models import Activity, Task

LINKS = ("contact", "lead", "deal", "company")


def _links() -> dict[str, serializers.Field]:
    querysets = {
        "contact": Contact.objects.all(),
        "lead": Lead.objects.select_related("contact"),
        "deal": Deal.objects.all(),
        "company": Company.objects.all(),
    }
    return {
        name: serializers.PrimaryKeyRelatedField(queryset=qs, required=False, allow_null=True)
        for name, qs in querysets.items()
    }


class ActivityOutput(serializers.ModelSerializer):
    class Meta:
        model = Activity
        fields = (
            "id", "kind", "direction", "subject", "body", "contact", "lead", "deal", "company",
            "actor", "duration_seconds", "metadata", "occurred_at", "created_at",
        )  # fmt: skip
        read_only_fields = fields


class ActivityInput(StrictSerializer):
    kind = serializers.ChoiceField(choices=Activity.Kind.choices)
    direction = serializers.ChoiceField(
        choices=Activity.Direction.choices, default=Activity.Direction.INTERNAL
    )
    subject = serializers.CharField(max_length=255, required=False, allow_blank=True)
    body = serializers.CharField(required=False, allow_blank=True, max_length=100_000)
    occurred_at = serializers.DateTimeField(required=False, allow_null=True)
    duration_seconds = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    metadata = serializers.DictField(required=False)

    def get_fields(self):
        return {**super().get_fields(), **_links()}


class ActivityUpdate(StrictSerializer):
    field_hints = dict.fromkeys(
        ("kind", "direction", "metadata", *LINKS),
        "Fixed once logged; delete the activity and log a new one.",
    )
    subject = serializers.CharField(max_length=255, required=False, allow_blank=True)
    body = serializers.CharField(required=False, allow_blank=True, max_length=100_000)
    occurred_at = serializers.DateTimeField(required=False)
    duration_seconds = serializers.IntegerField(min_value=0, required=False, allow_null=True)


class ActivityFilter(django_filters.FilterSet):
    occurred_after = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    occurred_before = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="lt")

    class Meta:
        model = Activity
        fields = ("kind", "direction", "contact", "lead", "deal", "company", "actor")


@extend_schema_view(
    create=extend_schema(request=ActivityInput, responses={201: ActivityOutput}),
    partial_update=extend_schema(request=ActivityUpdate, responses=ActivityOutput),
)
class ActivityViewSet(ServiceViewSet):
    """PATCH only, no PUT: an activity's kind, direction and links are fixed once logged, so
    a "full replace" would be a different activity."""

    scope_resource = "activities"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    output_serializer_class = ActivityOutput
    input_serializer_class = ActivityInput
    update_serializer_class = ActivityUpdate
    filterset_class = ActivityFilter
    search_fields = ("subject", "body")
    ordering_fields = ("id", "occurred_at")

    def get_queryset(self):
        return Activity.objects.all()

    def service_create(self, data: dict[str, Any]) -> Activity:
        return services.activity_log(actor=actor_of(self.request), **data)

    def service_update(self, instance: Activity, data: dict[str, Any]) -> Activity:
        return services.activity_update(
            activity=instance, changes=data, actor=actor_of(self.request), origin=ORIGIN
        )

    def service_delete(self, instance: Activity) -> None:
        services.activity_delete(activity=instance, actor=actor_of(self.request), origin=ORIGIN)


class TaskOutput(serializers.ModelSerializer):
    class Meta:
        model = Task
        fields = (
            "id", "title", "notes", "due_at", "assignee", "priority", "done", "completed_at",
            "contact", "lead", "deal", "company", "created_by", "created_at",
        )  # fmt: skip
        read_only_fields = fields


class TaskInput(StrictSerializer):
    title = serializers.CharField(max_length=255)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=100_000)
    due_at = serializers.DateTimeField(required=False, allow_null=True)
    assignee = owner_field()
    priority = serializers.ChoiceField(choices=Task.Priority.choices, default=Task.Priority.NORMAL)

    def get_fields(self):
        return {**super().get_fields(), **_links()}


class TaskUpdate(TaskInput):
    field_hints = {
        "done": "Complete a task with POST /api/v1/tasks/{id}/complete/.",
        "completed_at": "Complete a task with POST /api/v1/tasks/{id}/complete/.",
    }
    title = serializers.CharField(max_length=255, required=False)
    priority = serializers.ChoiceField(choices=Task.Priority.choices, required=False)


class TaskReplace(TaskUpdate):
    """PUT: the whole task; left-out fields are cleared (links, assignee, due time, notes)
    and the priority goes back to normal."""

    title = serializers.CharField(max_length=255)


class CompleteInput(StrictSerializer):
    done = serializers.BooleanField(default=True)


class TaskFilter(django_filters.FilterSet):
    due_before = django_filters.IsoDateTimeFilter(field_name="due_at", lookup_expr="lt")
    due_after = django_filters.IsoDateTimeFilter(field_name="due_at", lookup_expr="gte")

    class Meta:
        model = Task
        fields = ("done", "assignee", "priority", "contact", "lead", "deal", "company")


@extend_schema_view(
    create=extend_schema(request=TaskInput, responses={201: TaskOutput}),
    update=extend_schema(request=TaskReplace, responses=TaskOutput),
    partial_update=extend_schema(request=TaskUpdate, responses=TaskOutput),
)
class TaskViewSet(ServiceViewSet):
    scope_resource = "tasks"
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]
    output_serializer_class = TaskOutput
    input_serializer_class = TaskInput
    update_serializer_class = TaskUpdate
    replace_serializer_class = TaskReplace
    filterset_class = TaskFilter
    search_fields = ("title", "notes")
    ordering_fields = ("id", "due_at", "priority", "created_at")

    def get_queryset(self):
        return Task.objects.all()

    def service_create(self, data: dict[str, Any]) -> Task:
        return services.task_create(actor=actor_of(self.request), **data)

    def service_update(self, instance: Task, data: dict[str, Any]) -> Task:
        return services.task_update(
            task=instance, changes=data, actor=actor_of(self.request), origin=ORIGIN
        )

    def service_replace(self, instance: Task, data: dict[str, Any]) -> Task:
        return self.service_update(instance, data)

    def service_delete(self, instance: Task) -> None:
        services.task_delete(task=instance, actor=actor_of(self.request), origin=ORIGIN)

    @extend_schema(request=CompleteInput, responses=TaskOutput)
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str) -> Response:
        """Mark the task done (or, with `{"done": false}`, open again)."""
        task = self.get_object()
        data = self.validated(CompleteInput, request.data)
        task = services.task_complete(task=task, actor=actor_of(request), done=data["done"])
        return self.output(task)
