"""Writes for pipelines, stages and deals. Every stage change is recorded with who and when."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from crm.audit.models import AuditEvent
from crm.audit.services import audit_changes, audit_event, snapshot
from crm.contacts.models import Contact
from crm.customfields.models import Entity
from crm.customfields.services import custom_values_clean
from crm.events import publish

from .defaults import DEFAULT_PIPELINE_NAME, DEFAULT_STAGES
from .models import Deal, DealContact, DealStageChange, Pipeline, Stage

DEAL_FIELDS = (
    "name",
    "company",
    "primary_contact",
    "amount",
    "currency",
    "expected_close_date",
    "owner",
    "lost_reason",
    "custom",
)
AUDITED_DEAL_FIELDS = (*DEAL_FIELDS, "stage", "pipeline")


def _full_clean(instance) -> None:
    try:
        instance.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from exc


@transaction.atomic
def pipeline_create(
    *,
    name: str,
    stages: list[tuple[str, int, bool, bool]] | None = None,
    is_default: bool = False,
) -> Pipeline:
    if not name.strip():
        raise ValidationError({"name": "Name the pipeline."})
    if is_default:
        Pipeline.objects.filter(is_default=True).update(is_default=False)
    position = Pipeline.objects.count()
    pipeline = Pipeline.objects.create(name=name.strip(), is_default=is_default, position=position)
    for index, (stage_name, probability, won, lost) in enumerate(stages or DEFAULT_STAGES):
        stage_add(
            pipeline=pipeline,
            name=stage_name,
            probability=probability,
            is_won=won,
            is_lost=lost,
            position=index,
        )
    return pipeline


def pipeline_ensure_default() -> Pipeline:
    existing = Pipeline.objects.filter(is_default=True).first()
    return existing or pipeline_create(name=DEFAULT_PIPELINE_NAME, is_default=True)


def stage_add(
    *,
    pipeline: Pipeline,
    name: str,
    probability: int,
    is_won: bool = False,
    is_lost: bool = False,
    position: int | None = None,
) -> Stage:
    stage = Stage(
        pipeline=pipeline,
        name=name.strip(),
        probability=probability,
        is_won=is_won,
        is_lost=is_lost,
        position=pipeline.stages.count() if position is None else position,
    )
    if is_won and is_lost:
        raise ValidationError({"is_won": "A stage cannot be both won and lost."})
    _full_clean(stage)
    stage.save()
    return stage


def _first_open_stage(pipeline: Pipeline) -> Stage:
    stage = pipeline.stages.filter(is_won=False, is_lost=False).order_by("position").first()
    if stage is None:
        raise ValidationError({"stage": f'Pipeline "{pipeline}" has no open stage.'})
    return stage


@transaction.atomic
def deal_create(
    *,
    name: str,
    pipeline: Pipeline | None = None,
    stage: Stage | None = None,
    contacts: list[tuple[Contact, str]] | None = None,
    actor=None,
    origin: str = "ui",
    **fields: Any,
) -> Deal:
    pipeline = pipeline or (stage.pipeline if stage else pipeline_ensure_default())
    stage = stage or _first_open_stage(pipeline)
    if stage.pipeline_id != pipeline.pk:
        raise ValidationError({"stage": "That stage belongs to another pipeline."})
    custom = fields.pop("custom", None)
    unknown = sorted(set(fields) - set(DEAL_FIELDS))
    if unknown:
        raise ValidationError({n: "This field cannot be set." for n in unknown})
    deal = Deal(name=name.strip(), pipeline=pipeline, stage=stage, **fields)
    deal.custom = custom_values_clean(entity=Entity.DEAL, values=custom)
    deal.stage_changed_at = timezone.now()
    if stage.is_closed:
        deal.closed_at = timezone.now()
    _full_clean(deal)
    deal.save()
    for contact, role in contacts or []:
        DealContact.objects.get_or_create(deal=deal, contact=contact, defaults={"role": role})
    if deal.primary_contact_id:
        DealContact.objects.get_or_create(
            deal=deal,
            contact_id=deal.primary_contact_id,
            defaults={"role": DealContact.Role.DECISION_MAKER},
        )
    DealStageChange.objects.create(deal=deal, from_stage=None, to_stage=stage, changed_by=actor)
    audit_event(
        entity_type="deal",
        entity_id=deal.pk,
        action=AuditEvent.Action.CREATE,
        actor=actor,
        source=origin,
    )
    publish("deal.created", deal_id=deal.pk)
    return deal


@transaction.atomic
def deal_update(*, deal: Deal, changes: dict[str, Any], actor=None, origin: str = "ui") -> Deal:
    before = snapshot(deal, AUDITED_DEAL_FIELDS)
    changes = dict(changes)
    custom = changes.pop("custom", None)
    unknown = sorted(set(changes) - set(DEAL_FIELDS))
    if unknown:
        raise ValidationError(
            {n: "This field cannot be set (use the stage move)." for n in unknown}
        )
    for name, value in changes.items():
        setattr(deal, name, value)
    if custom is not None:
        deal.custom = custom_values_clean(
            entity=Entity.DEAL, values=custom, existing=deal.custom, partial=True
        )
    _full_clean(deal)
    deal.save()
    audit_changes(
        entity_type="deal",
        entity_id=deal.pk,
        before=before,
        after=snapshot(deal, AUDITED_DEAL_FIELDS),
        actor=actor,
        source=origin,
    )
    publish("deal.updated", deal_id=deal.pk)
    return deal


@transaction.atomic
def deal_move_stage(
    *, deal: Deal, stage: Stage, actor=None, lost_reason: str = "", origin: str = "ui"
) -> Deal:
    """Move a deal to another stage (possibly of another pipeline), recording who and when.
    Entering a lost stage needs a reason; won/lost stages close the deal."""
    deal = Deal.objects.select_for_update().get(pk=deal.pk)
    if stage.pk == deal.stage_id:
        return deal
    if stage.is_lost and not (lost_reason or deal.lost_reason).strip():
        raise ValidationError({"lost_reason": "Say why the deal was lost."})
    previous = deal.stage
    deal.stage, deal.pipeline = stage, stage.pipeline
    deal.stage_changed_at = timezone.now()
    deal.closed_at = timezone.now() if stage.is_closed else None
    deal.lost_reason = (lost_reason or deal.lost_reason).strip() if stage.is_lost else ""
    deal.save(
        update_fields=[
            "stage",
            "pipeline",
            "stage_changed_at",
            "closed_at",
            "lost_reason",
            "updated_at",
        ]
    )
    DealStageChange.objects.create(deal=deal, from_stage=previous, to_stage=stage, changed_by=actor)
    audit_event(
        entity_type="deal",
        entity_id=deal.pk,
        action=AuditEvent.Action.TRANSITION,
        field="stage",
        old_value=previous.name,
        new_value=stage.name,
        actor=actor,
        source=origin,
    )
    publish(
        "deal.stage_changed",
        deal_id=deal.pk,
        from_stage_id=previous.pk,
        to_stage_id=stage.pk,
        actor_id=getattr(actor, "pk", None),
    )
    if stage.is_won:
        publish("deal.won", deal_id=deal.pk)
    elif stage.is_lost:
        publish("deal.lost", deal_id=deal.pk)
    return deal


@transaction.atomic
def deal_delete(*, deal: Deal, actor=None, origin: str = "ui") -> None:
    deal_id = deal.pk
    deal.delete()
    audit_event(
        entity_type="deal",
        entity_id=deal_id,
        action=AuditEvent.Action.DELETE,
        actor=actor,
        source=origin,
    )
    publish("deal.deleted", deal_id=deal_id)
