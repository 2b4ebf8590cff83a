"""Partner API for contacts and companies: CRUD, bulk upsert, merge, CSV export."""

from __future__ import annotations

from typing import Any

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from crm.api.crud import BulkInput, ServiceViewSet, bulk_rows, bulk_run
from crm.api.serializers import CustomValuesField, StrictSerializer, owner_field
from crm.api.views import ORIGIN, actor_of
from crm.contacts.identity import company_merge, contact_merge
from crm.customfields.models import Entity

from . import services
from .models import Company, Contact, LifecycleStage
from .selectors import company_list, contact_list

# --- serializers ------------------------------------------------------------------------


class ContactOutput(serializers.ModelSerializer):
    class Meta:
        model = Contact
        fields = (
            "id", "first_name", "last_name", "full_name", "email", "phone", "messenger_psid",
            "company", "street", "city", "region", "postal_code", "country", "timezone",
            "timezone_source", "owner", "source", "tags", "custom", "lifecycle_stage",
            "became_customer_at", "churned_at", "created_at", "updated_at",
        )  # fmt: skip
        read_only_fields = fields


class ContactInput(StrictSerializer):
    # Email and phone stay plain text here: the service normalises them (E.164, lowercase)
    # and says exactly what is wrong.
    first_name = serializers.CharField(max_length=120, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=120, required=False, allow_blank=True)
    email = serializers.CharField(max_length=254, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    messenger_psid = serializers.CharField(max_length=64, required=False, allow_blank=True)
    company = serializers.PrimaryKeyRelatedField(
        queryset=Company.objects.all(), required=False, allow_null=True
    )
    street = serializers.CharField(max_length=255, required=False, allow_blank=True)
    city = serializers.CharField(max_length=120, required=False, allow_blank=True)
    region = serializers.CharField(max_length=120, required=False, allow_blank=True)
    postal_code = serializers.CharField(max_length=32, required=False, allow_blank=True)
    country = serializers.CharField(max_length=2, required=False, allow_blank=True)
    timezone = serializers.CharField(max_length=64, required=False, allow_blank=True)
    owner = owner_field()
    source = serializers.CharField(max_length=64, required=False, allow_blank=True)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False, max_length=100
    )
    custom = CustomValuesField()
    lifecycle_stage = serializers.ChoiceField(choices=LifecycleStage.choices, required=False)


class CompanyOutput(serializers.ModelSerializer):
    class Meta:
        model = Company
        fields = (
            "id", "name", "domain", "industry", "employee_count", "annual_revenue", "street",
            "city", "region", "postal_code", "country", "latitude", "longitude", "owner",
            "lifecycle_stage", "became_customer_at", "churned_at", "created_at", "updated_at",
        )  # fmt: skip
        read_only_fields = fields


class CompanyInput(StrictSerializer):
    name = serializers.CharField(max_length=255)
    domain = serializers.CharField(max_length=255, required=False, allow_blank=True)
    industry = serializers.CharField(max_length=120, required=False, allow_blank=True)
    employee_count = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    annual_revenue = serializers.DecimalField(
        max_digits=16, decimal_places=2, required=False, allow_null=True
    )
    street = serializers.CharField(max_length=255, required=False, allow_blank=True)
    city = serializers.CharField(max_length=120, required=False, allow_blank=True)
    region = serializers.CharField(max_length=120, required=False, allow_blank=True)
    postal_code = serializers.CharField(max_length=32, required=False, allow_blank=True)
    country = serializers.CharField(max_length=2, required=False, allow_blank=True)
    latitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, required=False, allow_null=True
    )
    longitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, required=False, allow_null=True
    )
    owner = owner_field()
    lifecycle_stage = serializers.ChoiceField(choices=LifecycleStage.choices, required=False)


class MergeInput(StrictSerializer):
    duplicate_id = serializers.IntegerField(min_value=1)


# --- filters ------------------------------------------------------------------------------


class ContactFilter(django_filters.FilterSet):
    email = django_filters.CharFilter(field_name="email", lookup_expr="iexact")
    tag = django_filters.CharFilter(field_name="tags", lookup_expr="contains", method="_tag")
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    updated_after = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Contact
        fields = ("phone", "messenger_psid", "company", "owner", "lifecycle_stage", "source")

    def _tag(self, queryset, name, value):
        return queryset.filter(tags__contains=[value.strip().lower()])


class CompanyFilter(django_filters.FilterSet):
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    updated_after = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Company
        fields = ("domain", "industry", "owner", "lifecycle_stage", "country")


# --- views --------------------------------------------------------------------------------


@extend_schema_view(
    create=extend_schema(request=ContactInput, responses={201: ContactOutput}),
    update=extend_schema(request=ContactInput, responses=ContactOutput),
    partial_update=extend_schema(request=ContactInput, responses=ContactOutput),
)
class ContactViewSet(ServiceViewSet):
    scope_resource = "contacts"
    custom_entity = Entity.CONTACT
    csv_entity = "contact"
    output_serializer_class = ContactOutput
    input_serializer_class = ContactInput
    filterset_class = ContactFilter
    search_fields = ("first_name", "last_name", "email", "phone")
    ordering_fields = ("id", "created_at", "updated_at", "last_name")

    def get_queryset(self):
        return contact_list()

    def service_create(self, data: dict[str, Any]) -> Contact:
        return services.contact_create(actor=actor_of(self.request), origin=ORIGIN, **data)

    def service_update(self, instance: Contact, data: dict[str, Any]) -> Contact:
        return services.contact_update(
            contact=instance, changes=data, actor=actor_of(self.request), origin=ORIGIN
        )

    def service_replace(self, instance: Contact, data: dict[str, Any]) -> Contact:
        return services.contact_update(
            contact=instance, changes=data, actor=actor_of(self.request), origin=ORIGIN,
            partial=False,
        )  # fmt: skip

    def service_delete(self, instance: Contact) -> None:
        services.contact_delete(contact=instance, actor=actor_of(self.request), origin=ORIGIN)

    @extend_schema(request=BulkInput, responses=None)
    @action(detail=False, methods=["post"])
    def bulk(self, request: Request) -> Response:
        """Create or update up to 1,000 contacts, matched by email, phone or PSID."""
        actor = actor_of(request)

        def handle(row: Any) -> tuple[str, Contact]:
            fields = self.validated(ContactInput, row)
            contact, created = services.contact_upsert(fields=fields, actor=actor, origin=ORIGIN)
            return ("created" if created else "updated"), contact

        return bulk_run(bulk_rows(request.data), handle)

    @extend_schema(request=MergeInput, responses=ContactOutput)
    @action(detail=True, methods=["post"])
    def merge(self, request: Request, pk: str) -> Response:
        """Merge another contact (`duplicate_id`) into this one; the duplicate is removed."""
        survivor = self.get_object()
        duplicate_id = self.validated(MergeInput, request.data)["duplicate_id"]
        duplicate = self.get_queryset().filter(pk=duplicate_id).first()
        if duplicate is None:
            raise serializers.ValidationError({"duplicate_id": [f"No contact {duplicate_id}."]})
        if duplicate.pk == survivor.pk:
            raise serializers.ValidationError(
                {"duplicate_id": ["Cannot merge a contact into itself."]}
            )
        merged = contact_merge(survivor=survivor, duplicate=duplicate, actor=actor_of(request))
        return self.output(merged)


@extend_schema_view(
    create=extend_schema(request=CompanyInput, responses={201: CompanyOutput}),
    update=extend_schema(request=CompanyInput, responses=CompanyOutput),
    partial_update=extend_schema(request=CompanyInput, responses=CompanyOutput),
)
class CompanyViewSet(ServiceViewSet):
    scope_resource = "companies"
    csv_entity = "company"
    output_serializer_class = CompanyOutput
    input_serializer_class = CompanyInput
    filterset_class = CompanyFilter
    search_fields = ("name", "domain")
    ordering_fields = ("id", "name", "created_at", "updated_at")

    def get_queryset(self):
        return company_list()

    def service_create(self, data: dict[str, Any]) -> Company:
        return services.company_create(actor=actor_of(self.request), origin=ORIGIN, **data)

    def service_update(self, instance: Company, data: dict[str, Any]) -> Company:
        return services.company_update(
            company=instance, changes=data, actor=actor_of(self.request), origin=ORIGIN
        )

    def service_replace(self, instance: Company, data: dict[str, Any]) -> Company:
        return self.service_update(instance, data)  # companies have no custom fields

    def service_delete(self, instance: Company) -> None:
        services.company_delete(company=instance, actor=actor_of(self.request), origin=ORIGIN)

    @extend_schema(request=MergeInput, responses=CompanyOutput)
    @action(detail=True, methods=["post"])
    def merge(self, request: Request, pk: str) -> Response:
        survivor = self.get_object()
        duplicate_id = self.validated(MergeInput, request.data)["duplicate_id"]
        duplicate = self.get_queryset().filter(pk=duplicate_id).first()
        if duplicate is None:
            raise serializers.ValidationError({"duplicate_id": [f"No company {duplicate_id}."]})
        if duplicate.pk == survivor.pk:
            raise serializers.ValidationError(
                {"duplicate_id": ["Cannot merge a company into itself."]}
            )
        return self.output(
            company_merge(survivor=survivor, duplicate=duplicate, actor=actor_of(request))
        )
