"""Partner API for lead scores and the model registry. One view per resource, input parsed by a
serializer, the work done by rescoring/selectors.

Scopes: a lead's score needs `leads:read` (GET) / `leads:write` (POST, rescoring). A model is
reached with the scope of the records it scores: lead_score → leads, deal_win → deals,
churn and clv → contacts or companies; `:read` lists, `:write` trains and activates. A key
lists only the kinds it may read. Signed-in team members may read; training, activating and
rescoring someone else's lead need a manager (as in the UI and the admin).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from crm.api.errors import Problem, django_errors
from crm.api.serializers import StrictSerializer
from crm.api.views import ApiView, actor_of
from crm.leads.models import Lead
from crm.leads.status import OPEN_STATUSES
from crm.team.models import ApiKey
from crm.web import can_edit

from . import rescoring
from .models import LeadScore, ModelKind, ModelVersion, Temperature, TrainingRun
from .selectors import lead_score_current, model_version_get, model_version_list

KIND_RESOURCES: dict[str, tuple[str, ...]] = {
    ModelKind.LEAD_SCORE: ("leads",),
    ModelKind.DEAL_WIN: ("deals",),
    ModelKind.CHURN: ("contacts", "companies"),
    ModelKind.CLV: ("contacts", "companies"),
}
_KINDS = ", ".join(ModelKind.values)


def _key_allows(request: Request, kind: str, *, write: bool) -> bool:
    if not isinstance(request.auth, ApiKey):
        return True
    return any(request.auth.allows(r, write=write) for r in KIND_RESOURCES.get(kind, ()))


class ModelRegistryScope(BasePermission):
    """An API key needs the scope of at least one kind's records (the view checks the kind
    itself); a signed-in team member passes as in the UI."""

    message = "You do not have access to this resource."

    def has_permission(self, request: Request, view) -> bool:
        write = request.method not in SAFE_METHODS
        if isinstance(request.auth, ApiKey):
            if any(_key_allows(request, kind, write=write) for kind in ModelKind.values):
                return True
            needed = "leads, deals, contacts or companies"
            self.message = (
                f'This API key lacks a "<{needed}>:{"write" if write else "read"}" scope.'
            )
            return False
        user = request.user
        return bool(user and user.is_authenticated and user.is_active)


# --- serializers ---------------------------------------------------------------------------


class LeadScoreFactorOutput(serializers.Serializer):
    label = serializers.CharField(help_text='in words a rep reads, e.g. "Replied twice in the '
                                  'last 7 days"')  # fmt: skip
    weight = serializers.FloatField(help_text="contribution to the probability (+ raises it)")


class LeadScoreModelOutput(serializers.Serializer):
    label = serializers.CharField(help_text='"rules" or e.g. "trained v3, AUC 0.81"')
    trained = serializers.BooleanField(help_text="false: the rules scorecard (cold start)")
    version = serializers.IntegerField(allow_null=True)
    version_id = serializers.IntegerField(allow_null=True)
    auc = serializers.FloatField(allow_null=True)


class LeadScoreOutput(serializers.Serializer):
    lead_id = serializers.IntegerField()
    score = serializers.IntegerField(help_text="0-100")
    temperature = serializers.CharField(help_text="hot, warm or cold")
    probability = serializers.FloatField(help_text="calibrated conversion probability")
    model = LeadScoreModelOutput()
    factors = LeadScoreFactorOutput(many=True, help_text="top positive, then top negative factors")
    scored_at = serializers.DateTimeField()


def score_payload(score: LeadScore) -> dict:
    version = score.model_version
    trained = score.model_version_id is not None
    return {
        "lead_id": score.lead_id,
        "score": score.score,
        "temperature": score.temperature,
        "probability": score.probability,
        "model": {
            "label": score.model_label,
            "trained": trained,
            "version": version.version if version else None,
            "version_id": score.model_version_id,
            "auc": (version.metrics or {}).get("auc") if version else None,
        },
        "factors": [
            {"label": str(f.get("label", "")), "weight": float(f.get("weight", 0))}
            for f in score.factors or []
        ],
        "scored_at": score.scored_at,
    }


class ModelVersionOutput(serializers.ModelSerializer):
    label = serializers.CharField(read_only=True)
    kind = serializers.CharField(help_text=_KINDS)
    status = serializers.CharField(help_text="active or retired")
    metrics = serializers.DictField(
        help_text="auc, brier, precision_at_hot, recall_at_hot, hot_threshold, calibration …"
    )
    feature_importance = serializers.ListField(child=serializers.DictField())

    class Meta:
        model = ModelVersion
        # Never the artifact bytes.
        fields = ("id", "kind", "version", "status", "label", "trained_at", "rows_used",
                  "metrics", "feature_importance", "problem")  # fmt: skip
        read_only_fields = fields


class TrainingRunOutput(serializers.ModelSerializer):
    kind = serializers.CharField(help_text=_KINDS)
    status = serializers.CharField(
        help_text="running, trained, cold_start (stayed on rules), refused, failed"
    )
    model_version = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = TrainingRun
        fields = ("id", "kind", "status", "reason", "rows", "positives", "model_version",
                  "started_at", "finished_at")  # fmt: skip
        read_only_fields = fields


class ModelListOutput(serializers.Serializer):
    results = ModelVersionOutput(many=True)


class ModelActionInput(StrictSerializer):
    action = serializers.CharField(
        help_text='"train" (needs kind) or "activate" (needs version_id)'
    )
    kind = serializers.CharField(required=False, help_text=f"for train: {_KINDS}")
    version_id = serializers.IntegerField(required=False, help_text="for activate")

    def validate(self, data: dict) -> dict:
        action = data.get("action")
        if action == "train":
            if not data.get("kind"):
                raise serializers.ValidationError({"kind": "Say which kind of model to train."})
            try:
                rescoring.trainable_kind_check(data["kind"])
            except DjangoValidationError as exc:
                raise serializers.ValidationError(exc.message_dict) from exc
        elif action == "activate":
            if data.get("version_id") is None:
                raise serializers.ValidationError({"version_id": "Say which version to activate."})
        else:
            raise serializers.ValidationError({"action": 'Use "train" or "activate".'})
        return data


class ModelActionOutput(serializers.Serializer):
    run = TrainingRunOutput(required=False, help_text="train: the queued training run")
    version = ModelVersionOutput(required=False, help_text="activate: the now active version")


_problem = OpenApiResponse(description="problem+json")


# --- views ---------------------------------------------------------------------------------


class LeadScoreApi(ApiView):
    scope_resource = "leads"

    def _lead(self, lead_id: int) -> Lead:
        lead = (
            Lead.objects.filter(pk=lead_id)
            .only("id", "owner_id", "status", "temperature")
            .order_by()
            .first()
        )
        if lead is None:
            raise NotFound("No such lead.")
        return lead

    def _rescore(self, lead: Lead) -> LeadScore:
        hot = lead.temperature == Temperature.HOT and lead.status in OPEN_STATUSES
        # The score comes back with the version that made it: nothing is read back.
        return rescoring.lead_rescore(lead_ids=[lead.pk], hot_before={lead.pk} if hot else set())[0]

    @extend_schema(
        operation_id="leads_score_retrieve",
        summary="A lead's current score with its explanation (computed if it has none yet)",
        responses={200: LeadScoreOutput, 404: _problem},
    )
    def get(self, request: Request, lead_id: int) -> Response:
        # A score implies its lead exists (history is deleted with the lead): one query.
        score = lead_score_current(lead_id=lead_id) or self._rescore(self._lead(lead_id))
        return Response(LeadScoreOutput(score_payload(score)).data)

    @extend_schema(
        operation_id="leads_score_create",
        summary="Rescore a lead now and return the new score",
        request=None,
        responses={200: LeadScoreOutput, 403: _problem, 404: _problem},
    )
    def post(self, request: Request, lead_id: int) -> Response:
        lead = self._lead(lead_id)
        actor = actor_of(request)
        if actor is not None and not can_edit(actor, lead):
            raise PermissionDenied("Only the lead's owner or a manager can rescore it.")
        return Response(LeadScoreOutput(score_payload(self._rescore(lead))).data)


class ModelRegistryApi(ApiView):
    permission_classes = [ModelRegistryScope]

    @extend_schema(
        operation_id="intelligence_models_list",
        summary="Model versions of every kind (or ?kind=), newest first, without artifacts",
        parameters=[OpenApiParameter("kind", OpenApiTypes.STR, description=_KINDS)],
        responses={200: ModelListOutput, 400: _problem, 403: _problem},
    )
    def get(self, request: Request) -> Response:
        kind = request.query_params.get("kind") or None
        if kind is not None and kind not in ModelKind.values:
            raise ApiValidationError({"kind": [f'Unknown kind "{kind}". Kinds: {_KINDS}.']})
        if kind is not None and not _key_allows(request, kind, write=False):
            raise PermissionDenied(f"This API key may not read {kind} models.")
        readable = [k for k in ModelKind.values if _key_allows(request, k, write=False)]
        versions = model_version_list(kind=kind).filter(kind__in=readable)[:200]
        return Response({"results": ModelVersionOutput(versions, many=True).data})

    @extend_schema(
        operation_id="intelligence_models_action",
        summary="Train a kind (202, the queued run) or activate a version (200, rollback)",
        request=ModelActionInput,
        responses={
            200: ModelActionOutput,
            202: ModelActionOutput,
            400: _problem,
            403: _problem,
            404: _problem,
            409: _problem,
        },
    )
    def post(self, request: Request) -> Response:
        data = ModelActionInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        actor = actor_of(request)
        if actor is not None and not actor.is_manager:
            raise PermissionDenied("Only managers train and activate models.")
        if values["action"] == "train":
            return self._train(request, values["kind"], actor)
        return self._activate(request, values["version_id"])

    def _train(self, request: Request, kind: str, actor) -> Response:
        if not _key_allows(request, kind, write=True):
            raise PermissionDenied(f"This API key may not train {kind} models.")
        try:
            run = rescoring.training_request(kind=kind, actor=actor)
        except rescoring.TrainingRefused as exc:
            raise Problem(
                "; ".join(exc.messages), status_code=status.HTTP_409_CONFLICT,
                code="training_running", errors=django_errors(exc),
            ) from exc  # fmt: skip
        return Response({"run": TrainingRunOutput(run).data}, status=status.HTTP_202_ACCEPTED)

    def _activate(self, request: Request, version_id: int) -> Response:
        version = model_version_get(version_id=version_id)
        if version is None:
            raise NotFound(f"No model version {version_id} in this workspace.")
        if not _key_allows(request, version.kind, write=True):
            raise PermissionDenied(f"This API key may not activate {version.kind} models.")
        version = rescoring.model_version_activate_for(version=version)
        return Response({"version": ModelVersionOutput(version).data})
