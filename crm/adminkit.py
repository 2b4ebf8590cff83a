"""Shared pieces of the managers' admin for the CRM records.

The admin is a thin surface: every save goes through the app's service (with the manager as
actor and origin "admin"), so the audit trail, domain events and validation are the same as
in the UI and the API. A service's ValidationError becomes a form error: the form is checked by
running the service inside a savepoint that is always rolled back (on_commit callbacks
registered in it are discarded with it), then the real call happens in save_model.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django_tenants.utils import schema_context

from crm.audit.models import AuditEvent
from crm.audit.services import audit_event

ORIGIN = "admin"
HISTORY_ROWS = 30


class _RolledBack(Exception):
    """Raised to undo a dry run."""


def add_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Put a service's errors on the matching form fields (unknown keys on the form)."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for key, errors in exc.message_dict.items():
        name = key.split(".", 1)[0]  # "custom.budget" → the "custom" field
        if name in form.fields:
            form.add_error(name, [f"{key}: {e}" if key != name else e for e in errors])
        else:
            label = "" if key == "__all__" else f"{key}: "
            form.add_error(None, [f"{label}{e}" for e in errors])


def refusal_text(exc: ValidationError) -> str:
    return "; ".join(exc.messages)


class NotFoundMixin:
    """Fail closed and plainly: an id from another workspace (or a deleted one) is a 404,
    not Django's redirect to the index with "perhaps it was deleted?"."""

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        raise Http404(f"No {opts.verbose_name} with id {object_id!r} here.")


class ServiceModelAdmin(NotFoundMixin, admin.ModelAdmin):
    """A ModelAdmin whose add/change forms save through services.

    Subclasses set `service_fields` (what the service accepts) and implement `service_create`
    and `service_update`; where the app has a delete service they implement `service_delete`
    too (it audits). `audit_entity` adds a read-only History panel on change pages.
    """

    service_fields: tuple[str, ...] = ()
    audit_entity: str = ""
    owner_field = "owner"
    # The record's own history tables ("app_label.model"), read-only in the admin, whose rows
    # the delete service removes with the record: they must not block the delete page.
    deleted_with_record: tuple[str, ...] = ()

    # --- saving through services ----------------------------------------------------------

    def service_create(self, request: HttpRequest, data: dict[str, Any]) -> Model:
        raise NotImplementedError

    def service_update(self, request: HttpRequest, obj: Model, changes: dict[str, Any]) -> Model:
        raise NotImplementedError

    def form_changes(self, form: forms.ModelForm) -> dict[str, Any]:
        changes = {
            name: form.cleaned_data[name]
            for name in form.changed_data
            if name in self.service_fields and name in form.cleaned_data
        }
        if "custom" in changes:
            # Services merge custom values over the stored ones; a key the manager removed
            # must be sent as None to be cleared.
            old = form.initial.get("custom") or {}
            new = changes["custom"] or {}
            changes["custom"] = {**dict.fromkeys(k for k in old if k not in new), **new}
        return changes

    def form_data(self, form: forms.ModelForm) -> dict[str, Any]:
        return {n: v for n, v in form.cleaned_data.items() if n in self.service_fields}

    def _call_service(self, request: HttpRequest, form: forms.ModelForm) -> Model:
        if form.instance.pk is None:
            return self.service_create(request, self.form_data(form))
        # The form has already written its data onto form.instance; the service must see the
        # stored record to audit the right "before" values.
        fresh = self.model._default_manager.get(pk=form.instance.pk)
        return self.service_update(request, fresh, self.form_changes(form))

    def _dry_run(self, request: HttpRequest, form: forms.ModelForm) -> None:
        try:
            with transaction.atomic():
                self._call_service(request, form)
                raise _RolledBack
        except _RolledBack:
            pass
        except ValidationError as exc:
            add_service_errors(form, exc)

    def get_form(self, request: HttpRequest, obj=None, change: bool = False, **kwargs):
        base = super().get_form(request, obj, change=change, **kwargs)
        model_admin = self

        class ServiceForm(base):
            def _post_clean(self) -> None:
                super()._post_clean()
                if not self.errors:
                    model_admin._dry_run(request, self)

        ServiceForm.__name__ = base.__name__
        return ServiceForm

    def save_model(self, request: HttpRequest, obj: Model, form, change: bool) -> None:
        saved = self._call_service(request, form)
        obj.pk = saved.pk
        obj._state.adding = False
        obj.refresh_from_db()

    def service_delete(self, request: HttpRequest, obj: Model) -> None:
        """Delete one record. Admins whose app has a delete service override this to call it
        (the service writes the audit row and the domain event). This default, for records
        without one, leaves the audit row itself and deletes through the ORM."""
        self._audit_delete(request, obj)
        obj.delete()

    def _has_delete_service(self) -> bool:
        return type(self).service_delete is not ServiceModelAdmin.service_delete

    def get_deleted_objects(self, objs, request: HttpRequest):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        if self._has_delete_service() and self.deleted_with_record:
            from django.apps import apps

            own = {
                str(apps.get_model(label)._meta.verbose_name) for label in self.deleted_with_record
            }
            perms_needed = {name for name in perms_needed if name not in own}
        return deleted, counts, perms_needed, protected

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        with transaction.atomic():
            self.service_delete(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        # All or nothing, like Django's bulk delete: one refusal undoes the whole action.
        with transaction.atomic():
            if self._has_delete_service():
                for obj in queryset:
                    self.service_delete(request, obj)
                return
            for obj in queryset:
                self._audit_delete(request, obj)
            super().delete_queryset(request, queryset)

    def _audit_delete(self, request: HttpRequest, obj: Model) -> None:
        # For records without a delete service: the admin leaves a trace of who deleted what.
        if self.audit_entity:
            audit_event(
                entity_type=self.audit_entity,
                entity_id=obj.pk,
                action=AuditEvent.Action.DELETE,
                old_value=str(obj),
                actor=request.user,
                source=ORIGIN,
            )

    # --- history panel ------------------------------------------------------------------

    def audit_ids(self, obj: Model) -> list[int]:
        return [obj.pk]

    @admin.display(description="History")
    def audit_history(self, obj: Model | None) -> str:
        if obj is None or obj.pk is None or not self.audit_entity:
            return "-"
        ids = self.audit_ids(obj)
        events = list(
            AuditEvent.objects.filter(entity_type=self.audit_entity, entity_id__in=ids)
            .select_related("actor")
            .order_by("-occurred_at", "-id")[:HISTORY_ROWS]
        )
        url = reverse("workspace_admin:audit_auditevent_changelist")
        link = format_html(
            '<a href="{}?entity_type={}&entity_id__in={}">All audit events for this record</a>',
            url,
            self.audit_entity,
            ",".join(map(str, ids)),
        )
        if not events:
            return format_html("No audit events yet. {}", link)
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    e.occurred_at.strftime("%Y-%m-%d %H:%M"),
                    e.get_action_display()
                    + ("" if e.entity_id == obj.pk else f" (#{e.entity_id})"),
                    e.field,
                    _short(e.old_value),
                    _short(e.new_value),
                    f"{e.actor or '—'} via {e.source or '?'}",
                )
                for e in events
            ),
        )
        return format_html(
            "<table><thead><tr><th>When</th><th>Action</th><th>Field</th><th>Old</th>"
            "<th>New</th><th>By</th></tr></thead><tbody>{}</tbody></table>{}",
            rows,
            link,
        )

    # --- reassigning ----------------------------------------------------------------------

    def reassign(self, request: HttpRequest, obj: Model, user) -> None:
        self.service_update(request, obj, {self.owner_field: user})

    @admin.action(description="Reassign owner…")
    def reassign_owner(self, request: HttpRequest, queryset: QuerySet):
        form = ReassignForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return render_action_form(
                request,
                self,
                queryset,
                form=form,
                action="reassign_owner",
                title=f"Reassign {self.opts.verbose_name_plural}",
                submit="Reassign",
            )
        user = form.cleaned_data["owner"]
        run_per_row(
            request,
            self,
            queryset,
            lambda obj: self.reassign(request, obj, user),
            done=f"reassigned to {user}",
        )
        return None


class ReassignForm(forms.Form):
    owner = forms.ModelChoiceField(queryset=None, label="New owner")

    def __init__(self, *args, **kwargs):
        from crm.team.models import User

        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = User.objects.filter(is_active=True).order_by("email")


def _short(value: Any, limit: int = 80) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def run_per_row(
    request: HttpRequest,
    model_admin: admin.ModelAdmin,
    queryset: Iterable[Model],
    operation: Callable[[Model], Any],
    *,
    done: str,
) -> tuple[int, list[str]]:
    """Apply `operation` to each record in its own transaction; refusals are reported per
    row and leave that record unchanged, the others still go through."""
    succeeded, refused = 0, []
    for obj in queryset:
        try:
            with transaction.atomic():
                operation(obj)
            succeeded += 1
        except ValidationError as exc:
            refused.append(f"{obj} (#{obj.pk}): {refusal_text(exc)}")
    if succeeded:
        model_admin.message_user(request, f"{succeeded} {done}.", messages.SUCCESS)
    if refused:
        model_admin.message_user(
            request,
            f"{len(refused)} refused — " + " | ".join(refused),
            messages.ERROR,
        )
    return succeeded, refused


def render_action_form(
    request: HttpRequest,
    model_admin: admin.ModelAdmin,
    queryset: QuerySet,
    *,
    form: forms.Form,
    action: str,
    title: str,
    submit: str,
    preview: dict | None = None,
) -> TemplateResponse:
    """The intermediate page of an action: a form, the selected records, confirm/cancel."""
    objects = list(queryset[:101])
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "opts": model_admin.opts,
        "form": form,
        "objects": objects[:100],
        "more": len(objects) > 100,
        "count": queryset.count() if len(objects) > 100 else len(objects),
        "action": action,
        "select_across": request.POST.get("select_across", "0"),
        "checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "submit": submit,
        "preview": preview,
    }
    return TemplateResponse(request, "admin/crm/action_form.html", context)


def _in_schema(schema: str, lines: Iterator[str]) -> Iterator[str]:
    # A streamed body is read after the view returns; pin the workspace explicitly.
    with schema_context(schema):
        yield from lines


def csv_response(*, entity: str, queryset: QuerySet, filename: str) -> StreamingHttpResponse:
    from crm.csvexport import csv_export

    response = StreamingHttpResponse(
        _in_schema(connection.schema_name, csv_export(entity=entity, queryset=queryset)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def export_csv_action(entity: str) -> Callable:
    @admin.action(description="Export selected to CSV", permissions=["view"])
    def export_csv(model_admin, request: HttpRequest, queryset: QuerySet):
        return csv_response(entity=entity, queryset=queryset, filename=f"{entity}s.csv")

    return export_csv


class ReadOnlyAdminMixin(NotFoundMixin):
    """History tables: visible to whoever may view them, never added, changed or deleted."""

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    """A history or timeline list on a record's page: shown, linked, never edited there."""

    extra = 0
    can_delete = False
    show_change_link = True
    select_related: tuple[str, ...] = ()

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return self.fields

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related(*self.select_related)
