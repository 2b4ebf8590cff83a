"""The base every partner-API view builds on: scope, idempotency, the caller as an actor."""

from __future__ import annotations

from django.db import transaction
from rest_framework import viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.team.models import ApiKey, User

from .errors import PROBLEM_CONTENT_TYPE, ProblemJSONRenderer
from .idempotency import Replay, idempotency_abandon, idempotency_begin, idempotency_finish

ORIGIN = "api"  # the audit trail's source for writes made through the API


def actor_of(request: Request) -> User | None:
    """The team member behind a session request; None for an API key (audited as "api")."""
    user = request.user
    return user if isinstance(user, User) and user.is_authenticated else None


def principal_of(request: Request) -> str:
    if isinstance(request.auth, ApiKey):
        return f"key:{request.auth.pk}"
    return f"user:{request.user.pk}"


class IdempotentMixin:
    """Honours `Idempotency-Key` on POST (see crm.api.idempotency)."""

    _idempotency = None

    def initial(self, request: Request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)  # authentication, scope, throttle first
        self._idempotency = None
        key = request.headers.get("Idempotency-Key")
        if request.method == "POST" and key is not None:
            with transaction.atomic():
                self._idempotency = idempotency_begin(
                    principal=principal_of(request), key=key, method=request.method,
                    path=request.path, data=request.data,
                )  # fmt: skip

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, Replay):
            record = exc.record
            response = Response(
                record.response_body,
                status=record.status_code,
                headers={"Idempotent-Replayed": "true"},
            )
            if record.content_type == PROBLEM_CONTENT_TYPE:
                self.request.accepted_renderer = ProblemJSONRenderer()
                self.request.accepted_media_type = PROBLEM_CONTENT_TYPE
            return response
        try:
            return super().handle_exception(exc)
        except Exception:
            if self._idempotency is not None:
                idempotency_abandon(record=self._idempotency)
            raise

    def finalize_response(self, request: Request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        record, self._idempotency = self._idempotency, None
        if record is not None:
            idempotency_finish(
                record=record,
                status_code=response.status_code,
                body=getattr(response, "data", None),
                content_type=getattr(request, "accepted_media_type", "") or "",
            )
        return response


class ApiViewSet(IdempotentMixin, viewsets.GenericViewSet):
    scope_resource: str = ""
    lookup_value_regex = r"[0-9]+"


class ApiView(IdempotentMixin, APIView):
    scope_resource: str = ""
