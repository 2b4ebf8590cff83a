"""Every API error as RFC 9457 problem+json:

    {"type": "urn:lodestar:problem:invalid", "title": "Invalid input", "status": 400,
     "detail": "…", "errors": {"email": ["…"], "custom.region": ["…"]}}

Django ValidationErrors raised by services become 400s with the same field errors, so bad input
never turns into a 500.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler

from crm.errors import Conflict

PROBLEM_CONTENT_TYPE = "application/problem+json"
NON_FIELD = "non_field_errors"

TITLES = {
    400: "Invalid input",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Unprocessable request",
    429: "Too many requests",
    501: "Not implemented",
}


class ProblemJSONRenderer(JSONRenderer):
    media_type = PROBLEM_CONTENT_TYPE


class Problem(exceptions.APIException):
    """An API error with a code, optional field errors and extra members (e.g. `allowed`)."""

    def __init__(
        self,
        detail: str,
        *,
        status_code: int,
        code: str,
        errors: dict[str, Any] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail=detail, code=code)
        self.status_code = status_code
        self.code = code
        self.errors = errors or {}
        self.extra = extra


def django_errors(exc: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {
            (NON_FIELD if field == "__all__" else field): [str(m) for m in messages]
            for field, messages in exc.message_dict.items()
        }
    return {NON_FIELD: [str(m) for m in exc.messages]}


def flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as {"a.b.0.c": [messages]}."""
    if isinstance(detail, dict):
        out: dict[str, list[str]] = {}
        for key, value in detail.items():
            name = NON_FIELD if key in ("__all__", NON_FIELD) and not prefix else str(key)
            out.update(flatten(value, f"{prefix}.{name}" if prefix else name))
        return out
    if isinstance(detail, list) and any(isinstance(v, dict | list) for v in detail):
        out = {}
        for index, value in enumerate(detail):
            if value:
                out.update(flatten(value, f"{prefix}.{index}" if prefix else str(index)))
        return out
    messages = detail if isinstance(detail, list) else [detail]
    return {prefix or NON_FIELD: [str(m) for m in messages]}


def _summary(errors: dict[str, list[str]]) -> str:
    fields = [f for f in errors if f != NON_FIELD]
    if not fields:
        return "; ".join(errors.get(NON_FIELD, [])) or "The request is invalid."
    first = errors[fields[0]][0]
    if len(fields) == 1:
        return f"{fields[0]}: {first}"
    return f"{len(fields)} fields are invalid ({', '.join(fields)}); {fields[0]}: {first}"


def problem_response(
    *,
    status_code: int,
    code: str,
    detail: str,
    errors: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    body = {
        "type": f"urn:lodestar:problem:{code}",
        "title": TITLES.get(status_code, "Error"),
        "status": status_code,
        "detail": detail,
        "errors": errors or {},
        **extra,
    }
    return Response(body, status=status_code, headers=headers, content_type=PROBLEM_CONTENT_TYPE)


def problem_exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, Conflict):  # valid input the record's state refuses
        exc = Problem(
            "; ".join(exc.messages),
            status_code=status.HTTP_409_CONFLICT,
            code="conflict",
            errors=django_errors(exc),
        )
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(django_errors(exc))
    elif isinstance(exc, RequestDataTooBig):
        exc = Problem(
            "The request body is too large; send fewer rows per request.",
            status_code=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            code="too_large",
        )
    response = exception_handler(exc, context)
    if response is None:
        return None  # a real server error: let Django log it and answer 500
    headers = {k: v for k, v in response.items() if k in ("WWW-Authenticate", "Retry-After")}
    if isinstance(exc, Problem):
        result = problem_response(
            status_code=exc.status_code, code=exc.code, detail=str(exc.detail),
            errors=exc.errors, headers=headers, **exc.extra,
        )  # fmt: skip
    elif isinstance(exc, exceptions.ValidationError):
        errors = flatten(exc.detail)
        result = problem_response(
            status_code=response.status_code, code="invalid", detail=_summary(errors),
            errors=errors, headers=headers,
        )  # fmt: skip
    else:
        detail = getattr(exc, "detail", None) or response.data.get("detail", "")
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        result = problem_response(
            status_code=response.status_code, code=str(code), detail=str(detail), headers=headers
        )
    request = context.get("request")
    if request is not None:  # render as problem+json whatever the client's Accept said
        request.accepted_renderer = ProblemJSONRenderer()
        request.accepted_media_type = PROBLEM_CONTENT_TYPE
    return result
