"""Partner API for leads: CRUD, bulk, explicit status transitions and conversion, CSV export.
The status never changes through PATCH: `transition/` and `convert/` are the only ways."""

from __future__ import annotations

from typing import Any

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from crm.api.crud import BulkInput, ServiceViewSet, bulk_rows, bulk_run
from crm.api.errors import Problem, django_errors
from crm.api.serializers import CustomValuesField, StrictSerializer, owner_field
from crm.api.views import ORIGIN, actor_of
from crm.contacts.api import ContactInput
from crm.contacts.models import Contact
from crm.contacts.services import contact_upsert
from crm.customfields.models import Entity
from crm.deals.models import Pipeline, Stage

from . import services
from .models import Lead, LeadStatus
from .selectors import lead_list
from .status import allowed_next

# --- serializers ------------------------------------------------------------------------


class LeadContactSummary(serializers.ModelSerializer):
    class Meta:
        model = Contact
        fields = ("id", "full_name", "email", "phone")
        read_only_fields = fields


class LeadOutput(serializers.ModelSerializer):
    contact = LeadContactSummary(read_only=True)
    allowed_transitions = serializers.SerializerMethodField()

    class Meta:
        model = Lead
        fields = (
            "id", "contact", "source", "campaign", "attribution", "estimated_value", "interest",
            "status", "allowed_transitions", "lost_reason", "owner", "first_response_at",
            "first_response_seconds", "converted_deal", "status_changed_at", "custom",
            "created_at", "updated_at",
        )  # fmt: skip
        read_only_fields = fields

    def get_allowed_transitions(self, lead: Lead) -> list[str]:
        return sorted(allowed_next(lead.status))


@extend_schema_field({"oneOf": [{"type": "integer"}, {"type": "object"}]})
class ContactRefField(serializers.Field):
    """A contact id, or the contact's fields (matched by email / phone / PSID, else created)."""

    def to_internal_value(self, data: Any) -> Contact | dict[str, Any]:
        if isinstance(data, int) and not isinstance(data, bool):
            contact = Contact.objects.filter(pk=data).first()
            if contact is None:
                raise serializers.ValidationError(f"No contact {data}.")
            return contact
        if isinstance(data, dict):
            nested = ContactInput(data=data, context=self.context)
            if not nested.is_valid():
                raise serializers.ValidationError(nested.errors)
            return dict(nested.validated_data)
        raise serializers.ValidationError("Give a contact id or an object of contact fields.")

    def to_representation(self, value: Contact) -> int:
        return value.pk


class LeadUpdate(StrictSerializer):
    source = serializers.CharField(max_length=64, required=False, allow_blank=True)
    campaign = serializers.CharField(max_length=120, required=False, allow_blank=True)
    attribution = serializers.DictField(required=False)
    estimated_value = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    interest = serializers.CharField(max_length=255, required=False, allow_blank=True)
    owner = owner_field()
    custom = CustomValuesField()

    field_hints = {
        "status": "Change the status with POST /api/v1/leads/{id}/transition/.",
        "converted_deal": "Convert with POST /api/v1/leads/{id}/convert/.",
        "contact": "A lead's contact cannot change.",
    }


class LeadInput(LeadUpdate):
    contact = ContactRefField()


class TransitionInput(StrictSerializer):
    to = serializers.ChoiceField(choices=LeadStatus.choices)
    reason = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class ConvertInput(StrictSerializer):
    deal_name = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    pipeline = serializers.PrimaryKeyRelatedField(queryset=Pipeline.objects.all(), required=False)
    stage = serializers.PrimaryKeyRelatedField(queryset=Stage.objects.all(), required=False)
    expected_close_date = serializers.DateField(required=False, allow_null=True)


class LeadBulkRow(LeadUpdate):
    id = serializers.IntegerField(required=False, min_value=1)
    contact = ContactRefField(required=False)


# --- filters ------------------------------------------------------------------------------


class LeadFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=LeadStatus.choices)
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    updated_after = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    estimated_value_min = django_filters.NumberFilter(
        field_name="estimated_value", lookup_expr="gte"
    )
    estimated_value_max = django_filters.NumberFilter(
        field_name="estimated_value", lookup_expr="lte"
    )

    class Meta:
        model = Lead
        fields = ("source", "campaign", "owner", "contact", "converted_deal")


# --- views --------------------------------------------------------------------------------


@extend_schema_view(
    create=extend_schema(request=LeadInput, responses={201: LeadOutput}),
    update=extend_schema(request=LeadUpdate, responses=LeadOutput),
    partial_update=extend_schema(request=LeadUpdate, responses=LeadOutput),
)
class LeadViewSet(ServiceViewSet):
    scope_resource = "leads"
    custom_entity = Entity.LEAD
    csv_entity = "lead"
    output_serializer_class = LeadOutput
    input_serializer_class = LeadInput
    update_serializer_class = LeadUpdate
    filterset_class = LeadFilter
    search_fields = (
        "contact__first_name", "contact__last_name", "contact__email", "contact__phone",
        "interest", "campaign",
    )  # fmt: skip
    ordering_fields = ("id", "created_at", "updated_at", "status_changed_at", "estimated_value")

    def get_queryset(self):
        return lead_list()

    def _contact(self, ref: Contact | dict[str, Any]) -> Contact:
        if isinstance(ref, Contact):
            return ref
        try:
            contact, _ = contact_upsert(fields=ref, actor=actor_of(self.request), origin=ORIGIN)
        except DjangoValidationError as exc:  # name the nested fields: "contact.phone"
            raise serializers.ValidationError({"contact": django_errors(exc)}) from exc
        return contact

    def service_create(self, data: dict[str, Any]) -> Lead:
        contact = self._contact(data.pop("contact"))
        return services.lead_create(
            contact=contact, actor=actor_of(self.request), origin=ORIGIN, **data
        )

    def service_update(self, instance: Lead, data: dict[str, Any]) -> Lead:
        return services.lead_update(
            lead=instance, changes=data, actor=actor_of(self.request), origin=ORIGIN
        )

    def service_replace(self, instance: Lead, data: dict[str, Any]) -> Lead:
        return services.lead_update(
            lead=instance, changes=data, actor=actor_of(self.request), origin=ORIGIN,
            partial=False,
        )  # fmt: skip

    def service_delete(self, instance: Lead) -> None:
        services.lead_delete(lead=instance, actor=actor_of(self.request), origin=ORIGIN)

    def create(self, request: Request) -> Response:
        # One transaction: a lead that fails validation leaves no contact behind.
        with transaction.atomic():
            return super().create(request)

    @extend_schema(request=TransitionInput, responses=LeadOutput)
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, pk: str) -> Response:
        """Move the lead along its status machine (`allowed_transitions` lists the moves)."""
        lead = self.get_object()
        data = self.validated(TransitionInput, request.data)
        try:
            lead = services.lead_transition(
                lead=lead, to_status=data["to"], reason=data["reason"],
                actor=actor_of(request), origin=ORIGIN,
            )  # fmt: skip
        except services.IllegalTransition as exc:
            raise _illegal(lead, exc) from exc
        return self.output(lead)

    @extend_schema(request=ConvertInput, responses={201: LeadOutput})
    @action(detail=True, methods=["post"])
    def convert(self, request: Request, pk: str) -> Response:
        """Turn a qualified lead into a deal; answers the lead with `converted_deal` set."""
        lead = self.get_object()
        data = self.validated(ConvertInput, request.data)
        try:
            services.lead_convert(lead=lead, actor=actor_of(request), origin=ORIGIN, **data)
        except services.IllegalTransition as exc:
            raise _illegal(lead, exc) from exc
        return self.output(lead, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=BulkInput, responses=None)
    @action(detail=False, methods=["post"])
    def bulk(self, request: Request) -> Response:
        """Create (or, with `id`, update) up to 1,000 leads; contacts given as objects are
        matched by email, phone or PSID before a new one is made."""
        actor = actor_of(request)

        def handle(row: Any) -> tuple[str, Lead]:
            data = self.validated(LeadBulkRow, row)
            lead_id = data.pop("id", None)
            if lead_id is not None:
                if "contact" in data:
                    raise serializers.ValidationError(
                        {"contact": ["Cannot change a lead's contact."]}
                    )
                lead = self.get_queryset().filter(pk=lead_id).first()
                if lead is None:
                    raise serializers.ValidationError({"id": [f"No lead {lead_id}."]})
                return "updated", services.lead_update(
                    lead=lead, changes=data, actor=actor, origin=ORIGIN
                )
            if "contact" not in data:
                raise serializers.ValidationError({"contact": ["This field is required."]})
            contact = self._contact(data.pop("contact"))
            lead = services.lead_create(contact=contact, actor=actor, origin=ORIGIN, **data)
            return "created", lead

        return bulk_run(bulk_rows(request.data), handle)


def _illegal(lead: Lead, exc: Exception) -> Problem:
    lead.refresh_from_db(fields=["status"])
    errors = getattr(exc, "message_dict", {})
    allowed = sorted(allowed_next(lead.status))
    return Problem(
        errors.get("status", [str(exc)])[0],
        status_code=status.HTTP_409_CONFLICT,
        code="illegal_transition",
        errors=errors,
        current_status=lead.status,
        allowed=allowed,
    )
