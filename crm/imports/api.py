"""Partner/rep API for imports: one view per operation, input parsed by a serializer, the work
done by services and selectors. Mounted at /api/v1/imports/."""

from __future__ import annotations

import json

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpResponse, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .models import DuplicatePolicy, ImportJob, MappingPreset, Target
from .parsing import max_bytes
from .presets import bank_marketing_preset_install
from .selectors import import_error_report_lines, import_job_get, import_job_list
from .services import import_job_create, import_job_set_mapping, import_job_start


def _bad_request(exc: DjangoValidationError) -> ValidationError:
    return ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)


class _JsonDict(serializers.JSONField):
    """A dict, sent as JSON or (in multipart uploads) as a JSON string."""

    def to_internal_value(self, data):
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except ValueError as exc:
                raise ValidationError("Send the mapping as a JSON object.") from exc
        if not isinstance(data, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in data.items()
        ):
            raise ValidationError('Send the mapping as {"header": "target"}.')
        return data


class ImportJobOutput(serializers.ModelSerializer):
    progress_percent = serializers.IntegerField(read_only=True)
    error_report_url = serializers.SerializerMethodField()
    resumable = serializers.SerializerMethodField()

    class Meta:
        model = ImportJob
        fields = ("id", "file_name", "target", "duplicates", "status", "encoding", "delimiter",
                  "headers", "mapping", "warnings", "total_rows", "committed_rows",
                  "progress_percent", "created_count", "updated_count", "skipped_count",
                  "error_count", "error_report_url", "resumable", "last_error", "preset",
                  "created_at", "started_at", "finished_at")  # fmt: skip

    def get_error_report_url(self, job: ImportJob) -> str:
        return f"/api/v1/imports/{job.pk}/errors.csv"

    def get_resumable(self, job: ImportJob) -> bool:
        return job.status == ImportJob.Status.FAILED


_job_list_schema = inline_serializer(
    name="ImportJobList", fields={"results": ImportJobOutput(many=True)}
)


class _ImportView(APIView):
    scope_resource = "imports"

    def _job(self, job_id: int) -> ImportJob:
        job = import_job_get(job_id=job_id)
        if job is None:
            raise NotFound("No such import.")
        return job


class ImportListCreateApi(_ImportView):
    parser_classes = [MultiPartParser, FormParser]

    class CreateInput(serializers.Serializer):
        file = serializers.FileField()
        target = serializers.ChoiceField(choices=Target.choices, default=Target.CONTACTS)
        duplicates = serializers.ChoiceField(
            choices=DuplicatePolicy.choices, default=DuplicatePolicy.SKIP
        )
        preset = serializers.PrimaryKeyRelatedField(
            queryset=MappingPreset.objects.all(), required=False
        )
        mapping = _JsonDict(required=False)
        start = serializers.BooleanField(default=False)

    @extend_schema(operation_id="imports_list", responses=_job_list_schema)
    def get(self, request: Request) -> Response:
        jobs = import_job_list()[:100]
        return Response({"results": ImportJobOutput(jobs, many=True).data})

    @extend_schema(
        operation_id="imports_create", request=CreateInput, responses={201: ImportJobOutput}
    )
    def post(self, request: Request) -> Response:
        data = self.CreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        if upload.size > max_bytes():
            raise ValidationError({"file": [f"The file is larger than {max_bytes():,} bytes."]})
        try:
            job = import_job_create(
                file_name=upload.name, content=upload.read(),
                target=data.validated_data["target"],
                duplicates=data.validated_data["duplicates"],
                preset=data.validated_data.get("preset"),
                mapping=data.validated_data.get("mapping"), actor=request.user,
            )  # fmt: skip
            if data.validated_data["start"]:
                job = import_job_start(job=job, actor=request.user)
        except DjangoValidationError as exc:
            raise _bad_request(exc) from exc
        return Response(ImportJobOutput(self._job(job.pk)).data, status=status.HTTP_201_CREATED)


class ImportDetailApi(_ImportView):
    @extend_schema(operation_id="imports_retrieve", responses=ImportJobOutput)
    def get(self, request: Request, job_id: int) -> Response:
        return Response(ImportJobOutput(self._job(job_id)).data)


class ImportMappingApi(_ImportView):
    parser_classes = [JSONParser]

    class MappingInput(serializers.Serializer):
        mapping = _JsonDict()
        duplicates = serializers.ChoiceField(choices=DuplicatePolicy.choices, required=False)
        save_as_preset = serializers.CharField(required=False, allow_blank=True, default="")

    @extend_schema(
        operation_id="imports_set_mapping", request=MappingInput, responses=ImportJobOutput
    )
    def post(self, request: Request, job_id: int) -> Response:
        job = self._job(job_id)
        data = self.MappingInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            job = import_job_set_mapping(job=job, actor=request.user, **data.validated_data)
        except DjangoValidationError as exc:
            raise _bad_request(exc) from exc
        return Response(ImportJobOutput(self._job(job.pk)).data)


class ImportStartApi(_ImportView):
    @extend_schema(operation_id="imports_start", request=None, responses={202: ImportJobOutput})
    def post(self, request: Request, job_id: int) -> Response:
        try:
            job = import_job_start(job=self._job(job_id), actor=request.user)
        except DjangoValidationError as exc:
            raise _bad_request(exc) from exc
        return Response(ImportJobOutput(self._job(job.pk)).data, status=status.HTTP_202_ACCEPTED)


class ImportErrorReportApi(_ImportView):
    @extend_schema(
        operation_id="imports_error_report", responses={(200, "text/csv"): OpenApiTypes.STR}
    )
    def get(self, request: Request, job_id: int) -> HttpResponse:
        job = self._job(job_id)
        response = StreamingHttpResponse(
            import_error_report_lines(job=job), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
        return response


class PresetOutput(serializers.ModelSerializer):
    class Meta:
        model = MappingPreset
        fields = ("id", "name", "target", "mapping", "options", "created_at")


_preset_list_schema = inline_serializer(
    name="MappingPresetList", fields={"results": PresetOutput(many=True)}
)


class PresetListApi(_ImportView):
    @extend_schema(operation_id="imports_presets_list", responses=_preset_list_schema)
    def get(self, request: Request) -> Response:
        return Response({"results": PresetOutput(MappingPreset.objects.all(), many=True).data})


class BankMarketingPresetApi(_ImportView):
    @extend_schema(
        operation_id="imports_bank_marketing_preset", request=None, responses={201: PresetOutput}
    )
    def post(self, request: Request) -> Response:
        try:
            preset = bank_marketing_preset_install(actor=request.user)
        except DjangoValidationError as exc:
            raise _bad_request(exc) from exc
        return Response(PresetOutput(preset).data, status=status.HTTP_201_CREATED)
