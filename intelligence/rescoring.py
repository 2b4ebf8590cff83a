"""Rescoring and training, as the rest of the product asks for them.

- `lead_rescore` / `lead_rescore_all` wrap the lead score services and tell a lead's owner, live,
  when the lead turns hot (once per lead and owner per cooldown, so a lead bouncing around the
  threshold does not spam).
- `rescore_request` is what the event handlers call after commit: the changed records are added
  to a per-workspace pending set in Redis and at most one rescoring task is queued for them, so
  a bulk edit (one commit per lead) costs one task, not one per event.
- `training_request` (admin, API) queues a training of any registered kind, refusing a second
  one while one runs; `model_train` (the worker) runs it, records the outcome as a TrainingRun
  and rescores that kind after a successful training.

Nothing here publishes domain events: a rescoring must never cause another rescoring.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from crm.errors import Conflict
from crm.leads.models import Lead
from crm.leads.status import OPEN_STATUSES
from crm.notifications.models import Notification
from crm.notifications.services import notification_send
from crm.tenancy.celery import SCHEMA_HEADER

from . import services
from .models import LeadScore, ModelKind, ModelVersion, Temperature, TrainingRun
from .registry import (
    TrainingInProgress,
    rescorer_for,
    trainer_for,
    training_lock,
    training_run_finish,
    training_run_start,
)

log = logging.getLogger(__name__)

HOT_NOTIFICATION_KIND = "lead.hot"
# A lead that turned hot, cooled down and turned hot again within this window is not news.
HOT_RENOTIFY_AFTER = timedelta(days=7)
# Events arriving within this window share one rescoring task.
RESCORE_DEBOUNCE_SECONDS = 2
_QUEUED_TTL_SECONDS = 120  # a lost task frees the marker after this; the set waits for the next
_PENDING_TTL_SECONDS = 2 * 86400  # the nightly rescoring covers anything older
# A requested training that has not finished after this long is taken as dead (worker lost).
RUN_STALE_AFTER = timedelta(minutes=30)
REF_KINDS = ("lead", "activity", "task", "contact", "company", "import")


# --- lead rescoring with the "turned hot" notification ---------------------------------------


def _hot_open_ids(lead_ids: list[int] | None = None) -> set[int]:
    qs = Lead.objects.filter(temperature=Temperature.HOT, status__in=OPEN_STATUSES)
    if lead_ids is not None:
        qs = qs.filter(pk__in=lead_ids)
    return set(qs.values_list("pk", flat=True))


def lead_rescore(*, lead_ids: Iterable[int], hot_before: set[int] | None = None) -> list[LeadScore]:
    """Score the leads now (stored as history and as their current score); owners of those
    that turned hot are notified. Ids that do not exist are skipped. `hot_before`: which of
    them were open and hot already, when the caller has just read them (saves a query)."""
    ids = sorted({int(i) for i in lead_ids})
    if not ids:
        return []
    before = _hot_open_ids(ids) if hot_before is None else hot_before
    scores = services.lead_score_compute(lead_ids=ids)
    turned = {s.lead_id: s for s in scores if s.temperature == Temperature.HOT}
    lead_hot_notify(scores=[turned[pk] for pk in sorted(set(turned) - before)])
    return scores


def lead_rescore_all() -> int:
    """Rescore every lead the service rescoring covers (after training, nightly decay);
    returns how many were scored. Owners of leads that turned hot are notified."""
    before = _hot_open_ids()
    count = services.lead_score_rescore_all()
    turned = sorted(_hot_open_ids() - before)
    if turned:
        latest = {s.lead_id: s for s in _latest_scores(turned)}
        lead_hot_notify(scores=[latest[pk] for pk in turned if pk in latest])
    return count


def _latest_scores(lead_ids: list[int]) -> list[LeadScore]:
    from .selectors import lead_score_latest_map

    return list(lead_score_latest_map(lead_ids=lead_ids).values())


def _factor_summary(score: LeadScore, limit: int = 2) -> str:
    positive = [f["label"] for f in score.factors or [] if f.get("weight", 0) > 0][:limit]
    return "; ".join(positive)


def lead_hot_notify(*, scores: list[LeadScore]) -> int:
    """Tell each open lead's owner that it is hot now, unless they were told about this lead
    within HOT_RENOTIFY_AFTER. Returns how many notifications were sent."""
    by_lead = {s.lead_id: s for s in scores}
    if not by_lead:
        return 0
    leads = (
        Lead.objects.filter(pk__in=list(by_lead), status__in=OPEN_STATUSES, owner__is_active=True)
        .select_related("contact")
        .only("id", "owner_id", "contact__first_name", "contact__last_name", "contact__email")
    )
    recent = set(
        Notification.objects.filter(
            kind=HOT_NOTIFICATION_KIND,
            object_id__in=list(by_lead),
            created_at__gte=timezone.now() - HOT_RENOTIFY_AFTER,
        ).values_list("recipient_id", "object_id")
    )
    sent = 0
    for lead in leads:
        if lead.owner_id is None or (lead.owner_id, lead.pk) in recent:
            continue
        score = by_lead[lead.pk]
        notification_send(
            user_id=lead.owner_id,
            kind=HOT_NOTIFICATION_KIND,
            title=f"{lead.contact} is hot now ({score.score})",
            body=_factor_summary(score),
            url=reverse("leads:detail", args=[lead.pk]),
            payload={"lead_id": lead.pk, "score": score.score, "model": score.model_label},
            object_id=lead.pk,
        )
        sent += 1
    return sent


# --- rescoring requested by domain events (coalesced) ----------------------------------------


def _pending_key(schema: str) -> str:
    return f"{settings.REDIS_PREFIX}:intelligence:rescore:{schema}"


def _redis():
    from crm.tenancy.heartbeat import redis_client

    return redis_client()


def _send_rescore_task(schema: str, refs: dict[str, list[int]] | None = None) -> None:
    from .tasks import rescore_pending

    rescore_pending.apply_async(
        kwargs={"refs": refs} if refs else {},
        countdown=RESCORE_DEBOUNCE_SECONDS,
        headers={SCHEMA_HEADER: schema},
    )


def rescore_request(*, schema: str, refs: dict[str, set[int]]) -> None:
    """Remember what changed (lead, activity, task, contact, company or import ids) and make
    sure one rescoring task is on its way. Never raises: the caller's write has committed."""
    members = [f"{kind}:{pk}" for kind, ids in refs.items() for pk in ids if pk]
    if not members:
        return
    key = _pending_key(schema)
    try:
        client = _redis()
        pipe = client.pipeline()
        pipe.sadd(key, *members)
        pipe.expire(key, _PENDING_TTL_SECONDS)
        pipe.set(f"{key}:queued", "1", nx=True, ex=_QUEUED_TTL_SECONDS)
        queue = pipe.execute()[2]
    except Exception:  # no Redis: send the references in the message itself
        log.warning("rescoring: pending set unavailable, sending the ids directly", exc_info=True)
        try:
            _send_rescore_task(schema, {k: sorted(v) for k, v in refs.items() if v})
        except Exception:
            log.exception("rescoring: could not queue a rescoring in %s", schema)
        return
    if queue:
        try:
            _send_rescore_task(schema)
        except Exception:
            client.delete(f"{key}:queued")
            log.exception("rescoring: could not queue a rescoring in %s", schema)


def rescore_pending_drain() -> dict[str, list[int]]:
    """Take every pending reference of the current workspace (and free the queued marker
    first, so a change arriving while we work queues a new task rather than being lost)."""
    key = _pending_key(connection.schema_name)
    client = _redis()
    client.delete(f"{key}:queued")
    taking = f"{key}:taking:{timezone.now().timestamp()}"
    try:
        client.rename(key, taking)
    except Exception:  # nothing pending (RENAME of a missing key is an error)
        return {}
    members = client.smembers(taking)
    client.delete(taking)
    refs: dict[str, list[int]] = {}
    for member in members:
        kind, _, pk = member.decode().partition(":")
        if kind in REF_KINDS and pk.isdigit():
            refs.setdefault(kind, []).append(int(pk))
    return refs


def rescore_refs(*, refs: dict[str, list[int]]) -> int:
    """Rescore the leads the references point at; returns how many were scored."""
    from .selectors import lead_ids_for_refs

    return len(lead_rescore(lead_ids=lead_ids_for_refs(refs=refs)))


# --- training ----------------------------------------------------------------------------------


def _kind_label(kind: str) -> str:
    return ModelVersion(kind=kind).get_kind_display().lower()


def training_running(*, kind: str) -> str | None:
    """Why a training of `kind` cannot start now, or None: one is executing (its lock is held)
    or was requested recently and has not finished."""
    try:
        with training_lock(kind):
            pass
    except TrainingInProgress as exc:
        return str(exc)
    recent = timezone.now() - RUN_STALE_AFTER
    if TrainingRun.objects.filter(
        kind=kind, status=TrainingRun.Status.RUNNING, started_at__gte=recent
    ).exists():
        return (
            f"A {_kind_label(kind)} training was requested and has not finished yet; "
            "try again when it has finished."
        )
    return None


def trainable_kind_check(kind: str) -> None:
    try:
        trainer_for(kind)
    except KeyError:
        from .registry import trainable_kinds

        names = ", ".join(trainable_kinds()) or "none"
        raise ValidationError(
            {"kind": f'"{kind}" cannot be trained here. Trainable kinds: {names}.'}
        ) from None


class TrainingRefused(Conflict):
    """A training of that kind is already running or queued (the API answers 409)."""


def training_request(*, kind: str, actor=None) -> TrainingRun:
    """Queue a training of `kind` (admin, API). Returns the run, status "running" until the
    worker finishes it. ValidationError for a kind nobody can train; TrainingRefused while
    another training of the kind runs or waits."""
    trainable_kind_check(kind)
    with transaction.atomic():
        # Two requests at the same moment: the second waits here, then sees the first's run.
        with connection.cursor() as cursor:
            key = f"{connection.schema_name}:intelligence:request:{kind}"
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [key])
        reason = training_running(kind=kind)
        if reason:
            raise TrainingRefused({"kind": reason})
        run = training_run_start(kind=kind, actor=actor)
    schema, actor_id = connection.schema_name, getattr(actor, "pk", None)
    transaction.on_commit(lambda: _send_train_task(schema, kind, run.pk, actor_id))
    return run


def _send_train_task(schema: str, kind: str, run_id: int, actor_id: int | None) -> None:
    from .tasks import train

    train.apply_async(
        args=[kind], kwargs={"run_id": run_id, "actor_id": actor_id},
        headers={SCHEMA_HEADER: schema},
    )  # fmt: skip


def _cold_start_reason(kind: str) -> str:
    return (
        f"Not enough labelled history to train the {_kind_label(kind)}; "
        "scores stay on the rules scorecard."
    )


def _accepts_run(trainer) -> bool:
    try:
        return "run" in inspect.signature(trainer).parameters
    except (TypeError, ValueError):
        return False


def model_train(*, kind: str, run_id: int | None = None, actor=None) -> TrainingRun:
    """Train `kind` now and record the outcome; after a new version, rescore that kind.
    Running it again for a finished run does nothing (a redelivered message). Trainers that
    take `run=` record the outcome on it themselves (with their own reason); for the others
    it is recorded here."""
    run = TrainingRun.objects.filter(pk=run_id, kind=kind).first() if run_id else None
    if run is not None and run.status != TrainingRun.Status.RUNNING:
        return run
    if run is None:
        run = training_run_start(kind=kind, actor=actor)
    trainer = trainer_for(kind)
    kwargs = {"actor": actor, **({"run": run} if _accepts_run(trainer) else {})}
    try:
        result = trainer(**kwargs)
    except TrainingInProgress as exc:
        return _finish_unless_done(run, status=TrainingRun.Status.REFUSED, reason=str(exc))
    except Exception as exc:  # recorded for the manager; the worker log has the traceback
        log.exception("%s training failed", kind)
        reason = f"Training failed: {exc.__class__.__name__}: {exc}"
        return _finish_unless_done(run, status=TrainingRun.Status.FAILED, reason=reason)
    run.refresh_from_db()
    if run.status == TrainingRun.Status.RUNNING:
        run = _finish_from_result(run, kind, result)
    if run.status == TrainingRun.Status.TRAINED:
        model_rescore_all(kind=kind)
    return run


def _finish_unless_done(run: TrainingRun, *, status: str, reason: str) -> TrainingRun:
    run.refresh_from_db()
    if run.status != TrainingRun.Status.RUNNING:
        return run  # the trainer recorded it already
    return training_run_finish(run, status=status, reason=reason)


def _finish_from_result(run: TrainingRun, kind: str, result) -> TrainingRun:
    if isinstance(result, TrainingRun):  # a trainer that records its own outcome
        if result.pk != run.pk:
            run = training_run_finish(
                run, status=result.status, reason=result.reason, rows=result.rows,
                positives=result.positives, version=result.model_version,
            )  # fmt: skip
            result.delete()  # one row per request
        return run
    if result is None:
        return training_run_finish(
            run, status=TrainingRun.Status.COLD_START, reason=_cold_start_reason(kind)
        )
    metrics = result.metrics or {}
    return training_run_finish(
        run, status=TrainingRun.Status.TRAINED, rows=result.rows_used,
        positives=int(metrics.get("positives") or 0), version=result,
        reason=f"Trained {result.label} on {result.rows_used} rows.",
    )  # fmt: skip


def model_rescore_all(*, kind: str) -> int:
    """Bulk rescoring of one kind (after training, nightly decay); never raises."""
    try:
        return rescorer_for(kind)()
    except Exception:
        log.exception("%s bulk rescoring failed", kind)
        return 0


def model_version_activate_for(*, version: ModelVersion) -> ModelVersion:
    """Activate (roll back to) a version, then rescore its kind with it."""
    version = services.model_version_activate(version=version)
    rescore_all_request(kind=version.kind)
    return version


def _send_rescore_all(schema: str, kind: str) -> None:
    from .tasks import rescore_all

    try:
        rescore_all.apply_async(args=[kind], headers={SCHEMA_HEADER: schema})
    except Exception:
        log.exception("could not queue the %s rescoring in %s", kind, schema)


def rescore_all_request(*, kind: str = ModelKind.LEAD_SCORE) -> None:
    """Queue a bulk rescoring of `kind` after the current transaction commits (thresholds
    changed, a version activated)."""
    schema = connection.schema_name
    transaction.on_commit(lambda: _send_rescore_all(schema, kind))
