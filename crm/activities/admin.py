"""Managers' admin for the timeline (activities) and tasks, plus their inlines on contacts,
companies, leads and deals. Activities are history: logged through activity_log, never edited."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from crm.adminkit import (
    ORIGIN,
    ReadOnlyInline,
    ServiceModelAdmin,
    run_per_row,
)
from crm.contacts.admin import CompanyAdmin, ContactAdmin
from crm.deals.admin import DealAdmin
from crm.leads.admin import LeadAdmin
from crm.tenancy.admin_sites import workspace_admin

from .models import Activity, Task
from .services import activity_log, task_complete, task_create, task_update

_LINKS = ("contact", "lead", "deal", "company")
_LINKS_RELATED = ("contact", "lead__contact", "deal", "company")


class ActivityInline(ReadOnlyInline):
    model = Activity
    fields = ("occurred_at", "kind", "direction", "subject", "actor")
    select_related = ("actor",)


class TaskInline(ReadOnlyInline):
    model = Task
    fields = ("title", "assignee", "due_at", "priority", "done")
    select_related = ("assignee",)


class ActivityForm(forms.ModelForm):
    class Meta:
        model = Activity
        fields = (
            "kind",
            "direction",
            "subject",
            "body",
            *_LINKS,
            "occurred_at",
            "duration_seconds",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "occurred_at" in self.fields:
            self.fields["occurred_at"].required = False
            self.fields["occurred_at"].help_text = "Leave empty for now."


@admin.register(Activity, site=workspace_admin)
class ActivityAdmin(ServiceModelAdmin):
    form = ActivityForm
    service_fields = ActivityForm.Meta.fields
    list_display = (
        "occurred_at",
        "kind",
        "direction",
        "subject",
        "contact",
        "lead",
        "deal",
        "actor",
    )
    list_filter = ("kind", "direction", "actor", "occurred_at")
    list_select_related = (*_LINKS_RELATED, "actor")
    search_fields = ("subject", "body", "contact__email", "contact__last_name")
    autocomplete_fields = _LINKS
    date_hierarchy = "occurred_at"

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # the timeline is history; log a new activity to correct one

    def service_create(self, request: HttpRequest, data: dict[str, Any]) -> Activity:
        return activity_log(actor=request.user, **data)


class TaskForm(forms.ModelForm):
    class Meta:
        model = Task
        fields = ("title", "notes", "assignee", "due_at", "priority", *_LINKS)


@admin.register(Task, site=workspace_admin)
class TaskAdmin(ServiceModelAdmin):
    form = TaskForm
    service_fields = TaskForm.Meta.fields
    owner_field = "assignee"
    list_display = ("title", "assignee", "due_at", "priority", "done", "contact", "lead", "deal")
    list_filter = ("done", "priority", "assignee", "due_at")
    list_select_related = (*_LINKS_RELATED, "assignee")
    search_fields = ("title", "notes", "contact__email", "contact__last_name")
    autocomplete_fields = ("assignee", *_LINKS)
    date_hierarchy = "due_at"
    readonly_fields = ("done", "completed_at", "created_by", "created_at")
    actions = ["mark_done", "mark_not_done", "reassign_owner"]

    def service_create(self, request: HttpRequest, data: dict[str, Any]) -> Task:
        return task_create(actor=request.user, **data)

    def service_update(self, request: HttpRequest, obj: Task, changes: dict) -> Task:
        return task_update(task=obj, changes=changes, actor=request.user, origin=ORIGIN)

    @admin.action(description="Mark done", permissions=["change"])
    def mark_done(self, request: HttpRequest, queryset: QuerySet[Task]) -> None:
        run_per_row(
            request,
            self,
            queryset.filter(done=False),
            lambda task: task_complete(task=task, actor=request.user),
            done="marked done",
        )

    @admin.action(description="Mark not done", permissions=["change"])
    def mark_not_done(self, request: HttpRequest, queryset: QuerySet[Task]) -> None:
        run_per_row(
            request,
            self,
            queryset.filter(done=True),
            lambda task: task_complete(task=task, actor=request.user, done=False),
            done="reopened",
        )


# Timelines and tasks on the records they are about (read-only there, linked to their pages).
for _admin in (ContactAdmin, CompanyAdmin, LeadAdmin, DealAdmin):
    _admin.inlines = [*_admin.inlines, ActivityInline, TaskInline]
