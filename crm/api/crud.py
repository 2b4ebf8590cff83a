"""CRUD plumbing shared by the resource viewsets: input serializer → service → output
serializer, plus bulk rows and CSV export. Each resource's api.py says which services to call."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models, transaction
from django.http import StreamingHttpResponse
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import serializers, status
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.request import Request
from rest_framework.response import Response

from crm.csvexport import csv_export

from .conf import bulk_max_rows
from .errors import Problem, django_errors, flatten
from .filters import CustomFieldFilterBackend
from .views import ApiViewSet


def replace_changes(
    serializer: serializers.Serializer, data: dict[str, Any], model: type[models.Model]
) -> dict[str, Any]:
    """A full replace (PUT): every writable field of `serializer`, the given value or, when
    left out, the value a new record gets (the model field's default: "", None, [], {})."""
    changes: dict[str, Any] = {}
    for name, field in serializer.fields.items():
        if field.read_only:
            continue
        if name in data:
            changes[name] = data[name]
            continue
        try:
            changes[name] = model._meta.get_field(name).get_default()
        except FieldDoesNotExist:
            continue
    return changes


class ServiceViewSet(ApiViewSet):
    """list / retrieve / create / update (PUT) / partial_update / destroy through the domain
    services. A resource allows PUT by listing "put" in `http_method_names` and implementing
    `service_replace`."""

    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]
    filter_backends = [DjangoFilterBackend, CustomFieldFilterBackend, SearchFilter, OrderingFilter]
    output_serializer_class: type[serializers.Serializer]
    input_serializer_class: type[serializers.Serializer] | None = None
    update_serializer_class: type[serializers.Serializer] | None = None
    replace_serializer_class: type[serializers.Serializer] | None = None  # PUT
    custom_entity: str | None = None
    csv_entity: str | None = None

    def get_serializer_class(self):
        if self.action == "create" and self.input_serializer_class:
            return self.input_serializer_class
        if self.action == "partial_update":
            return self.update_serializer_class or self.input_serializer_class
        if self.action == "update":
            return self.put_serializer_class()
        return self.output_serializer_class

    def put_serializer_class(self) -> type[serializers.Serializer]:
        return (
            self.replace_serializer_class
            or self.update_serializer_class
            or self.input_serializer_class
        )

    def output(self, instance, *, status_code: int = status.HTTP_200_OK) -> Response:
        instance = self.get_queryset().get(pk=instance.pk)  # reload with the list's joins
        serializer = self.output_serializer_class(instance, context=self.get_serializer_context())
        return Response(serializer.data, status=status_code)

    def validated(self, serializer_class, data, *, partial: bool = False) -> dict[str, Any]:
        serializer = serializer_class(
            data=data, partial=partial, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    # --- services, per resource -------------------------------------------------------
    def service_create(self, data: dict[str, Any]) -> models.Model:
        raise NotImplementedError

    def service_update(self, instance: models.Model, data: dict[str, Any]) -> models.Model:
        raise NotImplementedError

    def service_replace(self, instance: models.Model, data: dict[str, Any]) -> models.Model:
        """PUT: `data` holds every editable field (see replace_changes)."""
        raise NotImplementedError

    def service_delete(self, instance: models.Model) -> None:
        raise NotImplementedError

    # --- actions ----------------------------------------------------------------------
    def list(self, request: Request) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        serializer = self.output_serializer_class(
            queryset if page is None else page, many=True, context=self.get_serializer_context()
        )
        if page is None:  # an unpaginated resource (pipelines)
            return Response(serializer.data)
        return self.get_paginated_response(serializer.data)

    def retrieve(self, request: Request, pk: str) -> Response:
        serializer = self.output_serializer_class(
            self.get_object(), context=self.get_serializer_context()
        )
        return Response(serializer.data)

    def create(self, request: Request) -> Response:
        data = self.validated(self.input_serializer_class, request.data)
        return self.output(self.service_create(data), status_code=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str) -> Response:
        instance = self.get_object()
        serializer_class = self.update_serializer_class or self.input_serializer_class
        data = self.validated(serializer_class, request.data, partial=True)
        return self.output(self.service_update(instance, data))

    def update(self, request: Request, pk: str) -> Response:
        """PUT: the whole editable record. Required fields must be given; fields left out go
        back to the value a new record gets (blank, null, empty list or object)."""
        instance = self.get_object()
        serializer_class = self.put_serializer_class()
        data = self.validated(serializer_class, request.data)
        serializer = serializer_class(context=self.get_serializer_context())
        changes = replace_changes(serializer, data, type(instance))
        return self.output(self.service_replace(instance, changes))

    def destroy(self, request: Request, pk: str) -> Response:
        self.service_delete(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    def export(self, request: Request) -> StreamingHttpResponse:
        """The filtered list as CSV, streamed row by row."""
        queryset = self.filter_queryset(self.get_queryset())
        lines = csv_export(entity=self.csv_entity, queryset=queryset)
        response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
        filename = f"{self.scope_resource}.csv"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


class BulkInput(serializers.Serializer):
    rows = serializers.ListField(child=serializers.JSONField(), allow_empty=False)


def bulk_rows(data: Any) -> list[Any]:
    """The rows of a bulk request: `{"rows": [...]}` or a bare list."""
    rows = data.get("rows") if isinstance(data, dict) else data
    if not isinstance(rows, list):
        raise serializers.ValidationError({"rows": ['Send the rows as {"rows": [{...}, ...]}.']})
    if not rows:
        raise serializers.ValidationError({"rows": ["Send at least one row."]})
    limit = bulk_max_rows()
    if len(rows) > limit:
        raise Problem(
            f"At most {limit} rows per request; this one has {len(rows)}. "
            "Split it into smaller batches.",
            status_code=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            code="too_many_rows",
            errors={"rows": [f"At most {limit} rows per request."]},
            max_rows=limit,
        )
    return rows


def bulk_run(rows: list[Any], handle: Callable[[Any], tuple[str, models.Model]]) -> Response:
    """Run `handle(row)` for each row in its own savepoint: a bad row rolls back only its own
    writes and never blocks the good ones."""
    results: list[dict[str, Any]] = []
    counts = {"created": 0, "updated": 0, "error": 0}
    for index, row in enumerate(rows):
        try:
            with transaction.atomic():
                outcome, instance = handle(row)
        except serializers.ValidationError as exc:
            outcome, instance, errors = "error", None, flatten(exc.detail)
        except DjangoValidationError as exc:
            outcome, instance, errors = "error", None, django_errors(exc)
        else:
            errors = {}
        counts[outcome] += 1
        results.append(
            {"index": index, "status": outcome, "id": instance.pk if instance else None,
             "errors": errors}
        )  # fmt: skip
    return Response({**counts, "results": results}, status=status.HTTP_200_OK)
