"""Errors the domain services raise, shared by every app (the API and the admin map them)."""

from __future__ import annotations

from django.core.exceptions import ValidationError


class Conflict(ValidationError):
    """The input is well formed, but the record's current state refuses it: a stage that still
    holds deals, a custom field whose values are in use, a system activity. The API answers
    409 (`urn:lodestar:problem:conflict`); everywhere else it is a ValidationError like any
    other, so the admin shows it as a form error or a per-row refusal."""


def model_full_clean(instance, *, exclude: tuple[str, ...] = ()) -> None:
    """Run the model's field validation and re-raise as a plain field-keyed ValidationError
    (what the API's problem+json and the admin's form errors expect). Database constraints are
    left to the database and to the services' own checks, which explain them better."""
    try:
        instance.full_clean(exclude=list(exclude), validate_unique=False,
                            validate_constraints=False)  # fmt: skip
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from exc
