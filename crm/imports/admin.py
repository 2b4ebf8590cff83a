"""The manager's import screens: upload → mapping → run, with progress and the error report."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from crm.tenancy.admin_sites import workspace_admin

from .mapping import available_targets
from .models import DuplicatePolicy, ImportJob, MappingPreset, Target
from .parsing import max_bytes
from .presets import bank_marketing_preset_install
from .selectors import import_error_report_lines, import_job_list
from .services import import_job_create, import_job_set_mapping, import_job_start


class UploadForm(forms.Form):
    file = forms.FileField(help_text="CSV: UTF-8 (with or without BOM) or Latin-1; , ; or tab.")
    target = forms.ChoiceField(choices=Target.choices)
    duplicates = forms.ChoiceField(choices=DuplicatePolicy.choices)
    preset = forms.ModelChoiceField(
        queryset=MappingPreset.objects.all(), required=False,
        help_text="Use a saved mapping (it also sets the target).",
    )  # fmt: skip


class MappingForm(forms.Form):
    duplicates = forms.ChoiceField(choices=DuplicatePolicy.choices)
    save_as_preset = forms.CharField(required=False, help_text="Name, to reuse this mapping.")

    def __init__(self, *args, job: ImportJob, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "— ignore this column —"), *available_targets(target=job.target).items()]
        self.headers = list(job.headers)
        for index, header in enumerate(self.headers):
            self.fields[f"col_{index}"] = forms.ChoiceField(
                label=header, choices=choices, required=False,
                initial=job.mapping.get(header, ""),
            )  # fmt: skip
        self.fields["duplicates"].initial = job.duplicates

    def mapping(self) -> dict[str, str]:
        return {h: self.cleaned_data.get(f"col_{i}") or "" for i, h in enumerate(self.headers)}


@admin.register(ImportJob, site=workspace_admin)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ("id", "file_name", "target", "status", "progress", "created_count",
                    "updated_count", "skipped_count", "error_count", "created_at")  # fmt: skip
    list_filter = ("status", "target")
    search_fields = ("file_name",)
    actions = ["resume_selected"]
    fields = ("file_name", "target", "duplicates", "status", "progress", "total_rows",
              "committed_rows", "created_count", "updated_count", "skipped_count",
              "error_count", "error_report", "warnings", "last_error", "encoding",
              "delimiter", "mapping", "preset", "created_by", "created_at", "started_at",
              "finished_at")  # fmt: skip
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest):
        return import_job_list()

    def has_change_permission(self, request, obj=None) -> bool:
        return False if obj is not None else super().has_change_permission(request, obj)

    @admin.display(description="progress")
    def progress(self, job: ImportJob) -> str:
        return f"{job.committed_rows:,} / {job.total_rows:,} rows ({job.progress_percent} %)"

    @admin.display(description="error report")
    def error_report(self, job: ImportJob):
        if not job.error_count:
            return "no rejected rows"
        url = reverse("workspace_admin:imports_importjob_report", args=[job.pk])
        return format_html('<a href="{}">Download {} rejected rows (CSV)</a>', url,
                           job.error_count)  # fmt: skip

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:job_id>/mapping/", view(self.mapping_view),
                 name="imports_importjob_mapping"),
            path("<int:job_id>/report.csv", view(self.report_view),
                 name="imports_importjob_report"),
            *super().get_urls(),
        ]  # fmt: skip

    def add_view(self, request: HttpRequest, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            return HttpResponse(status=403)
        form = UploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > max_bytes():  # before reading it into memory
                form.add_error("file", f"The file is larger than {max_bytes():,} bytes.")
            else:
                try:
                    job = import_job_create(
                        file_name=upload.name, content=upload.read(),
                        target=form.cleaned_data["target"],
                        duplicates=form.cleaned_data["duplicates"],
                        preset=form.cleaned_data["preset"], actor=request.user,
                    )  # fmt: skip
                except ValidationError as exc:
                    for message in exc.messages:
                        form.add_error("file", message)
                else:
                    return HttpResponseRedirect(
                        reverse("workspace_admin:imports_importjob_mapping", args=[job.pk])
                    )
        return self._render(request, "Upload a CSV", form, multipart=True)

    def mapping_view(self, request: HttpRequest, job_id: int):
        job = get_object_or_404(import_job_list(), pk=job_id)
        if not self.has_add_permission(request):
            return HttpResponse(status=403)
        form = MappingForm(request.POST or None, job=job)
        if request.method == "POST" and form.is_valid():
            try:
                import_job_set_mapping(
                    job=job, mapping=form.mapping(), duplicates=form.cleaned_data["duplicates"],
                    save_as_preset=form.cleaned_data["save_as_preset"], actor=request.user,
                )  # fmt: skip
                import_job_start(job=job, actor=request.user)
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                messages.success(request, f"Import #{job.pk} started: {job.total_rows:,} rows.")
                return HttpResponseRedirect(
                    reverse("workspace_admin:imports_importjob_change", args=[job.pk])
                )
        title = f"Map the columns of {job.file_name} ({job.total_rows:,} rows)"
        return self._render(request, title, form)

    def report_view(self, request: HttpRequest, job_id: int) -> HttpResponse:
        job = get_object_or_404(import_job_list(), pk=job_id)
        if not self.has_view_permission(request, job):
            return HttpResponse(status=403)
        response = StreamingHttpResponse(
            import_error_report_lines(job=job), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
        return response

    def _render(self, request, title: str, form, *, multipart: bool = False):
        context = {
            **self.admin_site.each_context(request),
            "title": title, "form": form, "multipart": multipart, "opts": self.model._meta,
        }  # fmt: skip
        return TemplateResponse(request, "admin/imports/form.html", context)

    @admin.action(description="Resume the selected stopped imports")
    def resume_selected(self, request: HttpRequest, queryset) -> None:
        for job in queryset.filter(status=ImportJob.Status.FAILED):
            import_job_start(job=job, actor=request.user)
            self.message_user(request, f"Import #{job.pk} resumes after row "
                                       f"{job.committed_rows + 1}.")  # fmt: skip


@admin.register(MappingPreset, site=workspace_admin)
class MappingPresetAdmin(admin.ModelAdmin):
    list_display = ("name", "target", "created_at")
    change_list_template = "admin/imports/preset_changelist.html"

    def get_urls(self):
        view = self.admin_site.admin_view(self.install_bank_marketing)
        return [
            path("install-bank-marketing/", view, name="imports_mappingpreset_bank"),
            *super().get_urls(),
        ]

    def install_bank_marketing(self, request: HttpRequest):
        if request.method != "POST" or not self.has_add_permission(request):
            return HttpResponse(status=405 if request.method != "POST" else 403)
        try:
            preset = bank_marketing_preset_install(actor=request.user)
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
        else:
            self.message_user(request, f'Preset "{preset.name}" and its lead fields are ready.')
        return HttpResponseRedirect(reverse("workspace_admin:imports_mappingpreset_changelist"))
