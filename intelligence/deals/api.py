"""Partner API for deal health and next best actions. Read-only; one view per operation, the
work done by services. Ids of another workspace do not exist here: 404 like any unknown id."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from crm.api.views import ApiView
from crm.deals.models import Deal
from crm.leads.models import Lead

from . import services
from .models import DealScore
from .next_actions import LABELS


class FactorOutput(serializers.Serializer):
    label = serializers.CharField(help_text='in words, e.g. "Buyer replied twice in 30 days"')
    weight = serializers.FloatField(help_text="positive raises the win probability")


class FlagOutput(serializers.Serializer):
    code = serializers.CharField(help_text="no_activity, single_stakeholder, stuck_in_stage, …")
    name = serializers.CharField()
    label = serializers.CharField(help_text="what was found, with the numbers")
    recommendation = serializers.CharField()
    penalty = serializers.IntegerField(help_text="health points this flag costs")


class DealHealthOutput(serializers.ModelSerializer):
    deal = serializers.IntegerField(source="deal_id")
    win_percent = serializers.IntegerField()
    flags = FlagOutput(many=True)
    factors = FactorOutput(many=True)
    model_version = serializers.IntegerField(
        source="model_version.version", allow_null=True, default=None
    )

    class Meta:
        model = DealScore
        fields = ("deal", "health", "win_probability", "win_percent", "flags", "factors",
                  "model_label", "model_version", "scored_at")  # fmt: skip
        read_only_fields = fields


class ActionOutput(serializers.Serializer):
    code = serializers.ChoiceField(choices=list(LABELS.items()))
    label = serializers.CharField()
    reason = serializers.CharField()
    priority = serializers.IntegerField(help_text="higher first")


class NextActionsOutput(serializers.Serializer):
    actions = ActionOutput(many=True)


class DealHealthApi(ApiView):
    scope_resource = "deals"

    @extend_schema(operation_id="deals_health", responses=DealHealthOutput)
    def get(self, request: Request, deal_id: int) -> Response:
        """The deal's latest health (0-100, risk flags with recommendations) and win
        probability, with the model that produced it ("rules" or "trained v3, AUC 0.81")."""
        try:
            score = services.deal_score_current(deal_id=deal_id)
        except Deal.DoesNotExist:
            raise NotFound("No such deal.") from None
        return Response(DealHealthOutput(score).data)


class DealNextActionsApi(ApiView):
    scope_resource = "deals"

    @extend_schema(operation_id="deals_next_actions", responses=NextActionsOutput)
    def get(self, request: Request, deal_id: int) -> Response:
        """What to do next on the deal, best first, each with its reason."""
        try:
            actions = services.deal_next_actions(deal_id=deal_id)
        except Deal.DoesNotExist:
            raise NotFound("No such deal.") from None
        return Response({"actions": [a.as_dict() for a in actions]})


class LeadNextActionsApi(ApiView):
    scope_resource = "leads"

    @extend_schema(operation_id="leads_next_actions", responses=NextActionsOutput)
    def get(self, request: Request, lead_id: int) -> Response:
        """What to do next on the lead, best first, each with its reason (channels the
        contact has not consented to are never suggested)."""
        try:
            actions = services.lead_next_actions(lead_id=lead_id)
        except Lead.DoesNotExist:
            raise NotFound("No such lead.") from None
        return Response({"actions": [a.as_dict() for a in actions]})
