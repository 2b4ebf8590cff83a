"""/api/v1/language/intent and /api/v1/language/sentiment: read a text, store nothing.

An API key needs the `activities:read` scope: these POSTs only analyse the text they are
given (POST because a message body does not belong in a URL)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from crm.api.serializers import StrictSerializer
from crm.api.views import ApiView
from crm.team.models import ApiKey

from . import services
from .models import Intent

SCOPE_RESOURCE = "activities"


class AnalysisScope(BasePermission):
    """A read of the analysis: `activities:read` for a key, any active member for a session."""

    message = f'This API key lacks the "{SCOPE_RESOURCE}:read" scope.'

    def has_permission(self, request: Request, view) -> bool:
        if isinstance(request.auth, ApiKey):
            return request.auth.allows(SCOPE_RESOURCE, write=False)
        user = request.user
        return bool(user and user.is_authenticated and user.is_active)


class TextField(serializers.CharField):
    """A string and only a string: DRF's CharField would turn 42 or true into "42"/"True"."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class TextInput(StrictSerializer):
    text = TextField(
        max_length=services.MAX_TEXT_LENGTH,
        trim_whitespace=False,
        help_text=f"the message text, 1 to {services.MAX_TEXT_LENGTH} characters",
    )

    def validate_text(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError("The text is empty.")
        return value


class IntentOutput(serializers.Serializer):
    intent = serializers.ChoiceField(choices=Intent.choices)
    confidence = serializers.FloatField(help_text="0..1")
    needs_confirmation = serializers.BooleanField(
        help_text="a possible opt-out: treat it as one until a person confirms"
    )
    reason = serializers.CharField()
    engine = serializers.CharField(help_text='"rules", "correction", "classifier", …')


class SentimentOutput(serializers.Serializer):
    score = serializers.FloatField(help_text="-1 (negative) .. 1 (positive)")
    label = serializers.ChoiceField(choices=["negative", "neutral", "positive"])
    engine = serializers.CharField()


class _AnalysisView(ApiView):
    permission_classes = [AnalysisScope]
    scope_resource = SCOPE_RESOURCE

    def _text(self, request: Request) -> str:
        data = TextInput(data=request.data)
        data.is_valid(raise_exception=True)
        return data.validated_data["text"]


class IntentApi(_AnalysisView):
    @extend_schema(
        operation_id="language_intent",
        request=TextInput,
        responses=IntentOutput,
        summary="The intent of a reply (opt-out decided by rules first)",
    )
    def post(self, request: Request) -> Response:
        result = services.reply_intent_classify(text=self._text(request))
        return Response(IntentOutput(result).data)


class SentimentApi(_AnalysisView):
    @extend_schema(
        operation_id="language_sentiment",
        request=TextInput,
        responses=SentimentOutput,
        summary="Sentiment of a text, -1 to 1",
    )
    def post(self, request: Request) -> Response:
        score = services.sentiment_score(text=self._text(request))
        label = "positive" if score >= 0.05 else "negative" if score <= -0.05 else "neutral"
        return Response(SentimentOutput({"score": score, "label": label, "engine": "vader"}).data)
