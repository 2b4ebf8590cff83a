"""Writes for pipelines, stages and deals. Every stage change is recorded with who and when."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from crm.audit.models import AuditEvent
from crm.audit.services import audit_changes, audit_event, audited_delete, snapshot
from crm.contacts.models import Contact
from crm.customfields.models import Entity
from crm.customfields.services import custom_values_clean
from crm.errors import Conflict, model_full_clean
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
    model_full_clean(stage)
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
    if pipeline.archived:
        raise ValidationError({"pipeline": f'Pipeline "{pipeline}" is archived.'})
    custom = fields.pop("custom", None)
    unknown = sorted(set(fields) - set(DEAL_FIELDS))
    if unknown:
        raise ValidationError({n: "This field cannot be set." for n in unknown})
    deal = Deal(name=name.strip(), pipeline=pipeline, stage=stage, **fields)
    deal.custom = custom_values_clean(entity=Entity.DEAL, values=custom)
    deal.stage_changed_at = timezone.now()
    if stage.is_closed:
        deal.closed_at = timezone.now()
    model_full_clean(deal)
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
def deal_update(
    *,
    deal: Deal,
    changes: dict[str, Any],
    actor=None,
    origin: str = "ui",
    partial: bool = True,
) -> Deal:
    """Change a deal's fields (not its stage: deal_move_stage). `partial=False` is a full
    replace (PUT): `custom` replaces the stored values and required custom fields must be
    given."""
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
    if custom is not None or not partial:
        deal.custom = custom_values_clean(
            entity=Entity.DEAL,
            values=custom,
            existing=deal.custom if partial else {},
            partial=partial,
        )
    model_full_clean(deal)
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
    if stage.pipeline.archived:
        raise ValidationError({"stage": f'Pipeline "{stage.pipeline}" is archived.'})
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
    deal_id = audited_delete(instance=deal, entity_type="deal", actor=actor, source=origin)
    publish("deal.deleted", deal_id=deal_id)


# --- managing pipelines and stages ---------------------------------------------------------
# Renaming, reordering, flags, the default pipeline, archiving, deleting unused stages. Each
# change is audited (entity "pipeline" / "stage") with the actor and where it came from.

PIPELINE_FIELDS = ("name", "position", "is_default", "archived")
STAGE_FIELDS = ("name", "probability", "is_won", "is_lost")


def _lock_pipelines() -> None:
    # A workspace has a handful of pipelines: locking them all serialises default changes,
    # so two concurrent "make default" calls cannot both win.
    list(Pipeline.objects.select_for_update().order_by("pk").values_list("pk", flat=True))


@transaction.atomic
def pipeline_set_default(*, pipeline: Pipeline, actor=None, origin: str = "ui") -> Pipeline:
    """Make `pipeline` the workspace's default (new deals land in it); the previous default
    stops being one. There is always exactly one default."""
    _lock_pipelines()
    pipeline = Pipeline.objects.get(pk=pipeline.pk)
    if pipeline.is_default:
        return pipeline
    if pipeline.archived:
        raise ValidationError(
            {"is_default": "An archived pipeline cannot be the default; unarchive it first."}
        )
    previous = list(Pipeline.objects.filter(is_default=True))
    Pipeline.objects.filter(is_default=True).update(is_default=False)
    pipeline.is_default = True
    pipeline.save(update_fields=["is_default"])
    for changed, old, new in [*((p, True, False) for p in previous), (pipeline, False, True)]:
        audit_event(
            entity_type="pipeline",
            entity_id=changed.pk,
            action=AuditEvent.Action.UPDATE,
            field="is_default",
            old_value=old,
            new_value=new,
            actor=actor,
            source=origin,
        )
    return pipeline


@transaction.atomic
def pipeline_archive(
    *, pipeline: Pipeline, archived: bool = True, actor=None, origin: str = "ui"
) -> Pipeline:
    """Archive (or bring back) a pipeline. Its deals stay where they are; the default pipeline
    cannot be archived until another one is made the default."""
    _lock_pipelines()
    pipeline = Pipeline.objects.get(pk=pipeline.pk)
    if pipeline.archived == archived:
        return pipeline
    if archived and pipeline.is_default:
        raise Conflict(
            {
                "archived": f'"{pipeline.name}" is the default pipeline; make another pipeline '
                "the default before archiving it."
            }
        )
    pipeline.archived = archived
    pipeline.save(update_fields=["archived"])
    audit_event(
        entity_type="pipeline",
        entity_id=pipeline.pk,
        action=AuditEvent.Action.UPDATE,
        field="archived",
        old_value=not archived,
        new_value=archived,
        actor=actor,
        source=origin,
    )
    return pipeline


@transaction.atomic
def pipeline_update(
    *, pipeline: Pipeline, changes: dict[str, Any], actor=None, origin: str = "ui"
) -> Pipeline:
    """Rename or reposition a pipeline; `is_default: true` and `archived` go through
    pipeline_set_default / pipeline_archive. Unsetting the default directly is refused: make
    another pipeline the default instead."""
    unknown = sorted(set(changes) - set(PIPELINE_FIELDS))
    if unknown:
        raise ValidationError({n: "This field cannot be set here." for n in unknown})
    _lock_pipelines()
    pipeline = Pipeline.objects.get(pk=pipeline.pk)
    if changes.get("is_default") is False and pipeline.is_default:
        raise ValidationError(
            {"is_default": "There is always one default pipeline; make another one the default."}
        )
    if changes.get("is_default") and changes.get("archived"):
        raise ValidationError({"archived": "The default pipeline cannot be archived."})
    before = snapshot(pipeline, ("name", "position"))
    if "name" in changes:
        pipeline.name = (changes["name"] or "").strip()
        if not pipeline.name:
            raise ValidationError({"name": "Name the pipeline."})
    if "position" in changes:
        pipeline.position = changes["position"]
    model_full_clean(pipeline)
    pipeline.save(update_fields=["name", "position"])
    audit_changes(
        entity_type="pipeline",
        entity_id=pipeline.pk,
        before=before,
        after=snapshot(pipeline, ("name", "position")),
        actor=actor,
        source=origin,
    )
    if changes.get("archived") is False:  # unarchive first, so it can become the default
        pipeline = pipeline_archive(pipeline=pipeline, archived=False, actor=actor, origin=origin)
    if changes.get("is_default"):
        pipeline = pipeline_set_default(pipeline=pipeline, actor=actor, origin=origin)
    if changes.get("archived"):
        pipeline = pipeline_archive(pipeline=pipeline, archived=True, actor=actor, origin=origin)
    return pipeline


@transaction.atomic
def stage_update(*, stage: Stage, changes: dict[str, Any], actor=None, origin: str = "ui") -> Stage:
    """Rename a stage, change its probability or its won/lost flags. A stage is never both
    won and lost; the flags of a stage that holds deals do not change (those deals would be
    closed or reopened without a move): move the deals out first."""
    unknown = sorted(set(changes) - set(STAGE_FIELDS))
    if unknown:
        hint = {"position": "Reorder stages with the pipeline's stage order."}
        raise ValidationError({n: hint.get(n, "This field cannot be set here.") for n in unknown})
    stage = Stage.objects.select_for_update().select_related("pipeline").get(pk=stage.pk)
    before = snapshot(stage, STAGE_FIELDS)
    for name, value in changes.items():
        setattr(stage, name, value.strip() if isinstance(value, str) else value)
    if not stage.name:
        raise ValidationError({"name": "Name the stage."})
    if stage.is_won and stage.is_lost:
        raise ValidationError({"is_won": "A stage cannot be both won and lost."})
    flags_changed = (stage.is_won, stage.is_lost) != (before["is_won"], before["is_lost"])
    if flags_changed:
        in_stage = Deal.objects.filter(stage=stage).count()
        if in_stage:
            raise Conflict(
                {
                    "is_won" if stage.is_won != before["is_won"] else "is_lost": (
                        f'{in_stage} deal(s) are in stage "{before["name"]}"; move them to '
                        "another stage before changing whether it is won or lost."
                    )
                }
            )
    model_full_clean(stage)
    stage.save(update_fields=list(STAGE_FIELDS))
    audit_changes(
        entity_type="stage",
        entity_id=stage.pk,
        before=before,
        after=snapshot(stage, STAGE_FIELDS),
        actor=actor,
        source=origin,
    )
    return stage


@transaction.atomic
def stage_reorder(
    *, pipeline: Pipeline, stage_ids: list[int], actor=None, origin: str = "ui"
) -> Pipeline:
    """Put the pipeline's stages in the given order; every stage must be listed once."""
    stages = {s.pk: s for s in Stage.objects.select_for_update().filter(pipeline=pipeline)}
    missing = sorted(set(stages) - set(stage_ids))
    unknown = sorted(set(stage_ids) - set(stages))
    if missing or unknown or len(stage_ids) != len(set(stage_ids)):
        parts = []
        if missing:
            parts.append(f"missing {', '.join(map(str, missing))}")
        if unknown:
            parts.append(f"not stages of this pipeline: {', '.join(map(str, unknown))}")
        if len(stage_ids) != len(set(stage_ids)):
            parts.append("listed twice")
        raise ValidationError(
            {"stages": f"List every stage of this pipeline exactly once ({'; '.join(parts)})."}
        )
    before = [s.pk for s in sorted(stages.values(), key=lambda s: (s.position, s.pk))]
    for position, pk in enumerate(stage_ids):
        stages[pk].position = position
    Stage.objects.bulk_update(stages.values(), ["position"])
    if before != list(stage_ids):
        audit_event(
            entity_type="pipeline",
            entity_id=pipeline.pk,
            action=AuditEvent.Action.UPDATE,
            field="stage_order",
            old_value=before,
            new_value=list(stage_ids),
            actor=actor,
            source=origin,
        )
    return pipeline


@transaction.atomic
def stage_delete(*, stage: Stage, actor=None, origin: str = "ui") -> None:
    """Delete a stage that no deal is in and no stage history mentions; otherwise Conflict
    (the history must keep pointing at real stages)."""
    stage = Stage.objects.select_for_update().get(pk=stage.pk)
    in_stage = Deal.objects.filter(stage=stage).count()
    if in_stage:
        raise Conflict(
            {
                "stage": f'{in_stage} deal(s) are in stage "{stage.name}"; move them to another '
                "stage before deleting it."
            }
        )
    history = (
        DealStageChange.objects.filter(models.Q(to_stage=stage) | models.Q(from_stage=stage))
        .values("deal")
        .distinct()
        .count()
    )
    if history:
        raise Conflict(
            {
                "stage": f'Stage "{stage.name}" is in the stage history of {history} deal(s) '
                "and cannot be deleted; rename it instead."
            }
        )
    stage_id, name = stage.pk, stage.name
    stage.delete()
    audit_event(
        entity_type="stage",
        entity_id=stage_id,
        action=AuditEvent.Action.DELETE,
        old_value=name,
        actor=actor,
        source=origin,
    )
