"""Partner/manager API for webhooks, mounted at /api/v1/webhooks/.

    GET/POST          subscriptions/
    GET/PATCH/DELETE  subscriptions/<id>/          (DELETE deactivates; history is kept)
    POST              subscriptions/<id>/rotate-secret/
    POST              subscriptions/<id>/test/
    GET               deliveries/?status=&event=&subscription=
    GET               deliveries/<id>/
    POST              deliveries/<id>/redeliver/

The secret is in the response of create and rotate-secret only; elsewhere `secret_hint`.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.api.pagination import CursorPagination
from crm.api.permissions import HasResourceScope

from . import selectors, services
from .events import WEBHOOK_EVENTS
from .models import DeliveryStatus, WebhookDelivery, WebhookSubscription


class ManagersOrApiKeys(BasePermission):
    """Signed-in people must be managers or admins; API keys are judged by their scope."""

    message = "Only managers and admins manage webhooks."

    def has_permission(self, request: Request, view) -> bool:
        if request.auth is not None:  # an API key: HasResourceScope decides
            return True
        return bool(getattr(request.user, "is_manager", False))


def _call(service, **kwargs):
    """Service errors become 400s with field errors."""
    try:
        return service(**kwargs)
    except DjangoValidationError as exc:
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        raise ValidationError(detail) from exc


class _Base(APIView):
    scope_resource = "webhooks"
    permission_classes = [HasResourceScope, ManagersOrApiKeys]


# --- serializers ---------------------------------------------------------------------------


class SubscriptionOutput(serializers.ModelSerializer):
    class Meta:
        model = WebhookSubscription
        fields = ("id", "name", "url", "events", "is_active", "secret_hint", "created_at",
                  "updated_at")  # fmt: skip


class SubscriptionWithSecretOutput(SubscriptionOutput):
    class Meta(SubscriptionOutput.Meta):
        fields = (*SubscriptionOutput.Meta.fields, "secret")


class SubscriptionCreateInput(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    url = serializers.CharField(max_length=2000)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WEBHOOK_EVENTS), allow_empty=False
    )
    is_active = serializers.BooleanField(default=True)


class SubscriptionUpdateInput(serializers.Serializer):
    name = serializers.CharField(max_length=120, required=False)
    url = serializers.CharField(max_length=2000, required=False)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WEBHOOK_EVENTS), allow_empty=False, required=False
    )
    is_active = serializers.BooleanField(required=False)


class DeliveryOutput(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = (
            "id", "subscription", "event", "event_id", "status", "attempts", "next_attempt_at",
            "last_attempt_at", "last_status_code", "last_error", "response_excerpt",
            "delivered_at", "created_at", "updated_at",
        )  # fmt: skip


class DeliveryDetailOutput(DeliveryOutput):
    class Meta(DeliveryOutput.Meta):
        fields = (*DeliveryOutput.Meta.fields, "payload")


# --- subscriptions -------------------------------------------------------------------------


class SubscriptionListCreateApi(_Base):
    @extend_schema(
        operation_id="webhooks_subscriptions_list", responses=SubscriptionOutput(many=True)
    )
    def get(self, request: Request) -> Response:
        paginator = CursorPagination()
        page = paginator.paginate_queryset(selectors.subscription_list(), request, view=self)
        return paginator.get_paginated_response(SubscriptionOutput(page, many=True).data)

    @extend_schema(request=SubscriptionCreateInput, responses={201: SubscriptionWithSecretOutput})
    def post(self, request: Request) -> Response:
        data = SubscriptionCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        subscription = _call(
            services.subscription_create,
            # an API key's principal is not a team member: no creator to record
            created_by=request.user if request.auth is None else None,
            **data.validated_data,
        )
        return Response(SubscriptionWithSecretOutput(subscription).data, status.HTTP_201_CREATED)


class SubscriptionDetailApi(_Base):
    @extend_schema(responses=SubscriptionOutput)
    def get(self, request: Request, pk: int) -> Response:
        subscription = get_object_or_404(WebhookSubscription, pk=pk)
        return Response(SubscriptionOutput(subscription).data)

    @extend_schema(request=SubscriptionUpdateInput, responses=SubscriptionOutput)
    def patch(self, request: Request, pk: int) -> Response:
        subscription = get_object_or_404(WebhookSubscription, pk=pk)
        data = SubscriptionUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        subscription = _call(
            services.subscription_update, subscription=subscription, **data.validated_data
        )
        return Response(SubscriptionOutput(subscription).data)

    @extend_schema(responses={204: OpenApiResponse(description="Deactivated")})
    def delete(self, request: Request, pk: int) -> Response:
        subscription = get_object_or_404(WebhookSubscription, pk=pk)
        services.subscription_deactivate(subscription=subscription)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SubscriptionRotateSecretApi(_Base):
    @extend_schema(request=None, responses=SubscriptionWithSecretOutput)
    def post(self, request: Request, pk: int) -> Response:
        subscription = get_object_or_404(WebhookSubscription, pk=pk)
        subscription = services.subscription_rotate_secret(subscription=subscription)
        return Response(SubscriptionWithSecretOutput(subscription).data)


class SubscriptionTestApi(_Base):
    @extend_schema(request=None, responses={202: DeliveryOutput})
    def post(self, request: Request, pk: int) -> Response:
        subscription = get_object_or_404(WebhookSubscription, pk=pk)
        delivery = services.subscription_send_test(subscription=subscription)
        return Response(DeliveryOutput(delivery).data, status=status.HTTP_202_ACCEPTED)


# --- deliveries ----------------------------------------------------------------------------


class DeliveryFilter(serializers.Serializer):
    status = serializers.ChoiceField(choices=DeliveryStatus.choices, required=False)
    event = serializers.CharField(required=False)
    subscription = serializers.IntegerField(required=False)


class DeliveryListApi(_Base):
    @extend_schema(
        operation_id="webhooks_deliveries_list",
        parameters=[DeliveryFilter],
        responses=DeliveryOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        filters = DeliveryFilter(data=request.query_params)
        filters.is_valid(raise_exception=True)
        f = filters.validated_data
        deliveries = selectors.delivery_list(
            subscription_id=f.get("subscription"), status=f.get("status"), event=f.get("event")
        )
        paginator = CursorPagination()
        page = paginator.paginate_queryset(deliveries, request, view=self)
        return paginator.get_paginated_response(DeliveryOutput(page, many=True).data)


class DeliveryDetailApi(_Base):
    @extend_schema(responses=DeliveryDetailOutput)
    def get(self, request: Request, pk: int) -> Response:
        delivery = get_object_or_404(WebhookDelivery, pk=pk)
        return Response(DeliveryDetailOutput(delivery).data)


class DeliveryRedeliverApi(_Base):
    @extend_schema(request=None, responses={202: DeliveryOutput})
    def post(self, request: Request, pk: int) -> Response:
        delivery = get_object_or_404(WebhookDelivery, pk=pk)
        delivery = _call(services.delivery_retry_now, delivery=delivery)
        return Response(DeliveryOutput(delivery).data, status=status.HTTP_202_ACCEPTED)
