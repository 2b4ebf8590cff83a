"""The manager's view of webhooks: subscriptions (with "send test event") and a read-only
delivery log (with "retry now"). Access follows the role (managers and admins), since the
role groups' permissions do not list this app."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from crm.tenancy.admin_sites import workspace_admin

from .events import WEBHOOK_EVENTS
from .models import WebhookDelivery, WebhookSubscription
from .services import (
    delivery_retry_now,
    subscription_create,
    subscription_rotate_secret,
    subscription_send_test,
    subscription_update,
)


def _is_manager(request: HttpRequest) -> bool:
    user = request.user
    return bool(user.is_active and user.is_staff and getattr(user, "is_manager", False))


class _ManagersOnly:
    def has_module_permission(self, request: HttpRequest) -> bool:
        return _is_manager(request)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return _is_manager(request)

    def get_object(self, request: HttpRequest, object_id: str, from_field=None):
        # Another workspace's id (or a stale link) is a plain 404, not a redirect with a hint.
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404("No such webhook record in this workspace.")
        return obj


class SubscriptionForm(forms.ModelForm):
    url = forms.URLField(max_length=2000, assume_scheme="https")
    events = forms.MultipleChoiceField(
        choices=[(e, e) for e in WEBHOOK_EVENTS], widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WebhookSubscription
        fields = ("name", "url", "events", "is_active")

    def clean(self) -> dict:
        cleaned = super().clean()
        # The service's checks (SSRF guard included), shown on the form rather than as a 500.
        if not self.errors:
            from .ssrf import destination_check

            try:
                destination_check(cleaned["url"])
            except ValidationError as exc:
                self.add_error("url", exc.message_dict["url"])
        return cleaned


class WebhookSubscriptionAdmin(_ManagersOnly, admin.ModelAdmin):
    form = SubscriptionForm
    list_display = ("name", "url", "is_active", "created_by", "created_at")
    list_filter = ("is_active",)
    search_fields = ("name", "url")
    readonly_fields = ("secret_hint", "created_by", "created_at")
    actions = ("send_test_event", "rotate_secret")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _is_manager(request)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return _is_manager(request)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return _is_manager(request)

    @admin.display(description="secret")
    def secret_hint(self, obj: WebhookSubscription) -> str:
        return obj.secret_hint

    def save_model(self, request: HttpRequest, obj, form, change: bool) -> None:
        data = form.cleaned_data
        if change:
            subscription_update(
                subscription=obj, name=data["name"], url=data["url"],
                events=list(data["events"]), is_active=data["is_active"],
            )  # fmt: skip
            return
        created = subscription_create(
            name=data["name"], url=data["url"], events=list(data["events"]),
            is_active=data["is_active"], created_by=request.user,
        )  # fmt: skip
        obj.pk, obj.secret = created.pk, created.secret
        obj._state.adding = False
        self._show_secret(request, created)

    def _show_secret(self, request: HttpRequest, subscription: WebhookSubscription) -> None:
        messages.warning(
            request,
            f'Signing secret for "{subscription.name}": {subscription.secret} — copy it now; '
            "it is not shown again (rotate it if lost).",
        )

    @admin.action(description="Send a test event")
    def send_test_event(self, request: HttpRequest, queryset: QuerySet) -> None:
        for subscription in queryset:
            subscription_send_test(subscription=subscription)
        self.message_user(request, f"Test event queued for {queryset.count()} subscription(s).")

    @admin.action(description="Rotate the signing secret")
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet) -> None:
        for subscription in queryset:
            self._show_secret(request, subscription_rotate_secret(subscription=subscription))


class WebhookDeliveryAdmin(_ManagersOnly, admin.ModelAdmin):
    list_display = (
        "event", "subscription", "status", "attempts", "last_status_code",
        "next_attempt_at", "created_at",
    )  # fmt: skip
    list_filter = ("status", "event", "subscription")
    search_fields = ("event_id",)
    list_select_related = ("subscription",)
    actions = ("retry_now",)

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.action(description="Retry now", permissions=["view"])
    def retry_now(self, request: HttpRequest, queryset: QuerySet) -> None:
        queued, refused = 0, 0
        for delivery in queryset:
            try:
                delivery_retry_now(delivery=delivery)
                queued += 1
            except ValidationError:
                refused += 1
        self.message_user(request, f"{queued} delivery(ies) queued for another attempt.")
        if refused:
            self.message_user(
                request, f"{refused} already succeeded and were not resent.", messages.WARNING
            )


workspace_admin.register(WebhookSubscription, WebhookSubscriptionAdmin)
workspace_admin.register(WebhookDelivery, WebhookDeliveryAdmin)
