"""Sentiment and reply intent: the service API other apps call (conversations, outreach).

    sentiment_score(text="Thanks, great job!")           → 0.83
    reply_intent_classify(text="take me off your list")  → IntentResult(intent="opt_out", …)

Intent is decided in this order (docs/language.md):
1. the opt-out rules (optout.py) — deterministic, never overruled by anything below;
2. this workspace's corrections for the same text (a rep said what it means);
3. the classifier: the workspace's own model (shipped set + its corrections) when it has one,
   else the model trained on the shipped set. It is not trained on opt-outs and never
   answers opt_out: opt-out is the rules' decision (or a rep's);
4. the refinement hook: below REFINE_BELOW confidence, a registered refiner (an LLM through
   the AI gateway, plugged in by intelligence.ai) may replace the answer — it can neither
   clear an opt-out nor create an unconfirmed one.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from crm.activities.models import Activity
from crm.activities.services import activity_sentiment_store
from intelligence.models import TrainingRun
from intelligence.registry import (
    TrainingInProgress,
    model_active_load,
    model_version_store,
    training_lock,
    training_run_finish,
    training_run_start,
)

from . import classifier
from .models import Intent, IntentLabel, ReplyIntent
from .optout import CONFIRM, OPT_OUT, normalize, optout_detect
from .sentiment import sentiment_analyze

log = logging.getLogger(__name__)

MODEL_KIND = "intent"  # a kind string in the shared registry (ModelVersion rows per workspace)
MAX_TEXT_LENGTH = 5000
REFINE_BELOW = 0.55  # classifier confidence under which a refiner (if any) is asked
CORRECTION_WEIGHT = 5  # a rep's label counts as this many shipped examples
# Inbound replies whose intent is read; sentiment covers every inbound message and notes.
REPLY_KINDS = frozenset({Activity.Kind.SMS, Activity.Kind.MESSENGER, Activity.Kind.CHAT})
MESSAGE_KINDS = REPLY_KINDS | {Activity.Kind.EMAIL, Activity.Kind.CALL}


@dataclass(frozen=True)
class IntentResult:
    intent: str
    confidence: float
    needs_confirmation: bool
    reason: str
    engine: str


def text_clean(text: object) -> str:
    """The text to analyse, or ValidationError (the API turns it into a 400)."""
    if not isinstance(text, str):
        raise ValidationError({"text": "Send the message text as a string."})
    if not text.strip():
        raise ValidationError({"text": "The text is empty."})
    if len(text) > MAX_TEXT_LENGTH:
        raise ValidationError({"text": f"The text is longer than {MAX_TEXT_LENGTH} characters."})
    return text


def text_key(text: str) -> str:
    """Corrections match texts that differ only in case, accents, apostrophes and spacing."""
    return hashlib.sha256(" ".join(normalize(text).split()).encode()).hexdigest()


# --- sentiment ------------------------------------------------------------------------------


def sentiment_score(*, text: str) -> float:
    """-1 (negative) … 1 (positive), offline (VADER; Spanish glossed first)."""
    return sentiment_analyze(text_clean(text))[0]


# --- intent ---------------------------------------------------------------------------------

Refiner = Callable[..., "IntentResult | None"]  # (*, text, result) -> better result or None
_refiner: Refiner | None = None


def intent_refiner_register(refiner: Refiner | None) -> None:
    """Where an LLM may refine low-confidence readings: the AI gateway app registers a
    function here in its AppConfig.ready (None unregisters). It is called only for classifier
    answers under REFINE_BELOW confidence; failures are logged and ignored."""
    global _refiner
    _refiner = refiner


def _refined(text: str, result: IntentResult) -> IntentResult:
    if _refiner is None or result.confidence >= REFINE_BELOW:
        return result
    try:
        better = _refiner(text=text, result=result)
    except Exception:  # a provider outage must never cost the reply its reading
        log.exception("intent refiner failed; keeping the classifier's answer")
        return result
    if better is None or better.intent not in Intent.values:
        return result
    if better.intent == Intent.OPT_OUT:  # a model alone never decides an opt-out
        better = replace(better, needs_confirmation=True)
    return better


def _workspace_model():
    """(label, pipeline): the workspace's own model if it trained one, else the shipped one."""
    version, payload = model_active_load(MODEL_KIND)
    if payload is not None:
        return f"classifier (workspace v{version.version})", payload["pipeline"]
    return "classifier", classifier.base_model()


def reply_intent_classify(*, text: str) -> IntentResult:
    text = text_clean(text)
    verdict = optout_detect(text)
    if verdict.decision == OPT_OUT:
        return IntentResult(Intent.OPT_OUT, 1.0, False, verdict.reason, "rules")
    if verdict.decision == CONFIRM:
        return IntentResult(Intent.OPT_OUT, 0.5, True, verdict.reason, "rules")
    label = IntentLabel.objects.filter(text_key=text_key(text)).first()
    if label is not None:
        return IntentResult(label.intent, 1.0, False, "corrected by a rep", "correction")
    engine, model = _workspace_model()
    intent, confidence = classifier.model_predict(model, text)  # never opt_out (see classifier)
    return _refined(text, IntentResult(intent, round(confidence, 4), False, "", engine))


# --- activities: analysis after commit, corrections -----------------------------------------


def _activity_text(activity: Activity) -> str:
    return "\n".join(p for p in (activity.subject, activity.body) if p and p.strip())


def activity_language_analyze(*, activity_id: int, intent: bool = True) -> None:
    """Sentiment of an inbound message or a note, and the intent of an inbound reply. Writes
    through activity_sentiment_store (which announces nothing, so this never loops)."""
    activity = Activity.objects.filter(pk=activity_id).first()
    if activity is None:
        return
    text = _activity_text(activity)
    inbound = activity.direction == Activity.Direction.INBOUND
    if activity.kind == Activity.Kind.NOTE or (inbound and activity.kind in MESSAGE_KINDS):
        score = sentiment_analyze(text)[0] if text.strip() else None
        activity_sentiment_store(activity_id=activity.pk, sentiment=score)
    if intent and inbound and activity.kind in REPLY_KINDS:
        reply_intent_store(activity=activity, text=text)


def reply_intent_store(*, activity: Activity, text: str) -> ReplyIntent | None:
    """Read and keep an inbound reply's intent; a rep's decision on it is kept as it is."""
    existing = ReplyIntent.objects.filter(activity=activity).first()
    if existing is not None and existing.corrected_by_id is not None:
        return existing
    if not text.strip():
        ReplyIntent.objects.filter(activity=activity).delete()
        return None
    result = reply_intent_classify(text=text[:MAX_TEXT_LENGTH])
    reading, _ = ReplyIntent.objects.update_or_create(
        activity=activity,
        defaults={
            "intent": result.intent,
            "confidence": result.confidence,
            "needs_confirmation": result.needs_confirmation,
            "engine": result.engine[:64],
            "reason": result.reason[:255],
        },
    )
    return reading


@transaction.atomic
def reply_intent_correct(*, activity: Activity, intent: str, actor=None) -> ReplyIntent:
    """A rep says what an inbound reply really means (or confirms a possible opt-out). Kept
    on the reply, remembered for the same text, and the workspace's classifier retrains."""
    if intent not in Intent.values:
        raise ValidationError({"intent": f'Unknown intent "{intent}".'})
    if activity.direction != Activity.Direction.INBOUND or activity.kind not in REPLY_KINDS:
        raise ValidationError(
            {"activity": "Only inbound SMS, Messenger and chat replies have an intent."}
        )
    text = _activity_text(activity)
    if not text.strip():
        raise ValidationError({"activity": "This reply has no text."})
    reading = ReplyIntent.objects.select_for_update().filter(activity=activity).first()
    previous = reading.intent if reading else ""
    values = {"intent": intent, "confidence": 1.0, "needs_confirmation": False,
              "engine": "rep", "reason": "set by a rep", "corrected_by": actor,
              "corrected_at": timezone.now()}  # fmt: skip
    reading, _ = ReplyIntent.objects.update_or_create(activity=activity, defaults=values)
    IntentLabel.objects.create(
        text=text[:MAX_TEXT_LENGTH], text_key=text_key(text), intent=intent,
        previous_intent=previous, activity=activity, created_by=actor,
    )  # fmt: skip
    transaction.on_commit(_enqueue_training)
    return reading


def _enqueue_training() -> None:
    from .tasks import train_intent  # tasks import services: imported late

    train_intent.delay()


# --- the workspace's classifier -------------------------------------------------------------


def intent_training_rows() -> tuple[list[str], list[str], list[int], int]:
    """Shipped examples plus this workspace's corrections (the latest label per text wins);
    returns texts, labels, weights and the number of corrections."""
    rows = classifier.dataset_load()
    latest: dict[str, IntentLabel] = {}
    for label in IntentLabel.objects.order_by("created_at", "id"):
        latest[label.text_key] = label
    corrected = {text_key(r.text) for r in rows} & set(latest)
    texts = [r.text for r in rows if text_key(r.text) not in corrected]
    labels = [r.intent for r in rows if text_key(r.text) not in corrected]
    weights = [1] * len(texts)
    for label in latest.values():
        texts.append(label.text)
        labels.append(label.intent)
        weights.append(CORRECTION_WEIGHT)
    return texts, labels, weights, len(latest)


def intent_model_train(*, actor=None):
    """Retrain this workspace's classifier with its corrections and make it the active one.
    None when there is nothing of the workspace's own to learn (the shipped model serves).
    Raises TrainingInProgress when a training is already running here."""
    run = training_run_start(kind=MODEL_KIND, actor=actor)
    texts, labels, weights, corrections = intent_training_rows()
    if corrections == 0:
        reason = "no corrections yet: the shipped model serves"
        training_run_finish(
            run, status=TrainingRun.Status.COLD_START, reason=reason, rows=len(texts)
        )
        return None
    try:
        with training_lock(MODEL_KIND):
            pipeline = classifier.model_train(texts, labels, weights)
            version = model_version_store(
                kind=MODEL_KIND,
                payload={"pipeline": pipeline, "intents": list(classifier.INTENTS)},
                rows_used=len(texts),
                metrics={"corrections": corrections, "shipped": len(texts) - corrections},
            )
    except TrainingInProgress as exc:
        training_run_finish(run, status=TrainingRun.Status.REFUSED, reason=str(exc))
        raise
    training_run_finish(run, status=TrainingRun.Status.TRAINED, rows=len(texts),
                        positives=corrections, version=version)  # fmt: skip
    log.info("intent: trained v%s with %s corrections", version.version, corrections)
    return version


# --- backfill -------------------------------------------------------------------------------


def language_backfill(*, batch_size: int = 500) -> dict[str, int]:
    """Analyse what was logged before this app existed (or while its handlers were down):
    notes and inbound messages without a sentiment, inbound replies without an intent."""
    from django.db.models import Q

    needs_sentiment = Activity.objects.filter(sentiment__isnull=True).filter(
        Q(kind=Activity.Kind.NOTE)
        | Q(direction=Activity.Direction.INBOUND, kind__in=list(MESSAGE_KINDS))
    )
    sentiments = 0
    for activity in needs_sentiment.only("id", "subject", "body").iterator(chunk_size=batch_size):
        text = _activity_text(activity)
        if text.strip():
            activity_sentiment_store(activity_id=activity.pk, sentiment=sentiment_analyze(text)[0])
            sentiments += 1
    needs_intent = Activity.objects.filter(
        direction=Activity.Direction.INBOUND, kind__in=list(REPLY_KINDS), reply_intent__isnull=True
    )
    intents = 0
    for activity in needs_intent.iterator(chunk_size=batch_size):
        if reply_intent_store(activity=activity, text=_activity_text(activity)) is not None:
            intents += 1
    return {"sentiments": sentiments, "intents": intents}
