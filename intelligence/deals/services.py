"""Deal intelligence services: train the win model (cold start aware, one at a time per
workspace), score deals (win probability + health + flags, stored as history), and build the
next best actions of a lead or a deal from the stored scores and the timeline."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import numpy as np
from django.db.models import Q
from django.utils import timezone

from crm.activities.models import Activity
from crm.contacts.models import Contact
from crm.contacts.selectors import consent_status, dnc_contains
from crm.deals.models import Deal, DealContact
from crm.leads.models import Lead
from intelligence.models import IntelligenceSettings, ModelKind, ModelVersion, TrainingRun
from intelligence.registry import (
    model_active_load,
    model_version_store,
    training_lock,
    training_run_finish,
    training_run_start,
)

from . import training
from .features import deal_feature_spec, deal_features
from .health import Norms, health_flags, health_norms, health_score, median_won_amount
from .models import DealScore
from .next_actions import Action, Reach, SalesContext, rank_deal_actions, rank_lead_actions
from .rules import WinScore, closed_score, rules_score
from .selectors import deal_score_latest

log = logging.getLogger(__name__)
KIND = ModelKind.DEAL_WIN
RESCORE_BATCH = 2000
STALE_AFTER = timedelta(hours=20)  # the nightly sweep rescores deals not scored since


def intelligence_settings() -> IntelligenceSettings:
    """The workspace's settings row, through the shared getter."""
    try:
        from intelligence.services import intelligence_settings_get
    except ImportError:  # the shared getter is not there yet: same row, same defaults
        return IntelligenceSettings.objects.get_or_create(pk=1)[0]
    return intelligence_settings_get()


# --- training ------------------------------------------------------------------------------


def _closed_deals() -> tuple[list[int], np.ndarray]:
    """Closed deals oldest close first (the time-ordered split depends on it), 1 = won."""
    rows = Deal.objects.filter(Q(stage__is_won=True) | Q(stage__is_lost=True))
    pairs = list(
        rows.filter(closed_at__isnull=False)
        .order_by("closed_at", "id")
        .values_list("id", "stage__is_won")
    )
    return [pk for pk, _ in pairs], np.array([int(won) for _, won in pairs], dtype=int)


def _run_record(*, actor, status: str, reason: str, rows: int, wins: int,
                version: ModelVersion | None = None) -> TrainingRun:  # fmt: skip
    # Recorded once the outcome is known: a run left "running" would block the next request.
    run = training_run_start(kind=KIND, actor=actor)
    return training_run_finish(run, status=status, reason=reason, rows=rows, positives=wins,
                               version=version)  # fmt: skip


def deal_win_model_train(*, actor=None) -> TrainingRun:
    """Train a deal win model on the workspace's closed deals and activate it. Returns the
    TrainingRun: "trained" with its version, or "cold_start" with the reason (too few closed
    deals, wins or losses: the rules keep scoring). Raises TrainingInProgress while another
    deal-win training runs in this workspace (the registry's caller records the refusal)."""
    with training_lock(KIND):
        ids, y = _closed_deals()
        wins, losses = int(y.sum()), len(y) - int(y.sum())
        reason = _cold_start_reason(len(y), wins, losses)
        if reason:
            log.info("deal win: cold start (%s)", reason)
            return _run_record(actor=actor, status=TrainingRun.Status.COLD_START,
                               reason=f"Stayed on the rules: {reason}.", rows=len(y),
                               wins=wins)  # fmt: skip
        spec, rows = deal_features(deal_ids=ids, spec=deal_feature_spec())
        X = training.matrix(spec, [rows[pk] for pk in ids])
        trained = training.train(spec, X, y)
        version = model_version_store(
            kind=KIND, payload={"spec": spec, "model": trained.model}, rows_used=len(y),
            metrics=trained.metrics, feature_importance=trained.importance,
        )  # fmt: skip
    log.info("deal win: trained %s by %s", version.label, getattr(actor, "pk", None))
    return _run_record(actor=actor, status=TrainingRun.Status.TRAINED,
                       reason=f"Trained {version.label} on {len(y)} closed deals.",
                       rows=len(y), wins=wins, version=version)  # fmt: skip


def _cold_start_reason(rows: int, wins: int, losses: int) -> str:
    needs = []
    if rows < training.MIN_CLOSED:
        needs.append(f"{rows} closed deals, need {training.MIN_CLOSED}")
    if wins < training.MIN_WINS:
        needs.append(f"{wins} won, need {training.MIN_WINS}")
    if losses < training.MIN_LOSSES:
        needs.append(f"{losses} lost, need {training.MIN_LOSSES}")
    return "; ".join(needs)


# --- scoring -------------------------------------------------------------------------------


def _norms() -> Norms:
    settings = intelligence_settings()
    return health_norms(inactive_days=settings.deal_inactive_days,
                        amount_outlier_ratio=settings.deal_amount_outlier_ratio)  # fmt: skip


def deal_score_compute(
    *, deal_ids: list[int], now: datetime | None = None, norms: Norms | None = None
) -> list[DealScore]:
    """Score the deals (active model, or the rules in cold start or when the model cannot be
    used), store and return one DealScore per existing deal. A closed deal scores 1 or 0."""
    now = now or timezone.now()
    version, payload = model_active_load(KIND)
    spec = payload["spec"] if payload else deal_feature_spec()
    # The model's own columns: a custom field deleted since training just reads as missing.
    _, rows = deal_features(deal_ids=deal_ids, spec=spec, now=now)
    norms = norms or _norms()
    today = timezone.localdate(now)
    order = [pk for pk in deal_ids if pk in rows]
    flags = {pk: health_flags(rows[pk], norms, today=today) for pk in order}
    open_ids = [pk for pk in order if not rows[pk]["_closed"]]
    scored: dict[int, WinScore] = {}
    if payload:
        predicted = training.predict(spec, payload["model"], [rows[pk] for pk in open_ids],
                                     version.label)  # fmt: skip
        scored.update(zip(open_ids, predicted, strict=True))
    else:
        scored.update({pk: rules_score(rows[pk], flags[pk]) for pk in open_ids})
    scores = []
    for pk in order:
        win = scored.get(pk) or closed_score(rows[pk])
        health = health_score(flags[pk]) if not rows[pk]["_closed"] else (
            100 if rows[pk]["_closed"] == "won" else 0
        )  # fmt: skip
        scores.append(DealScore(
            deal_id=pk, win_probability=round(win.probability, 6), health=health,
            flags=[flag.as_dict() for flag in flags[pk]], factors=win.factors,
            model_label=win.model_label,
            model_version=version if payload and pk in scored else None, scored_at=now,
        ))  # fmt: skip
    return DealScore.objects.bulk_create(scores, batch_size=RESCORE_BATCH)


def deal_scores_rescore_all() -> int:
    """Rescore every open deal (nightly time decay, and in bulk after training)."""
    ids = list(
        Deal.objects.filter(stage__is_won=False, stage__is_lost=False)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    norms, now, done = _norms(), timezone.now(), 0
    for start in range(0, len(ids), RESCORE_BATCH):
        done += len(deal_score_compute(deal_ids=ids[start : start + RESCORE_BATCH], now=now,
                                       norms=norms))  # fmt: skip
    return done


def deal_scores_rescore_stale(*, max_age: timedelta = STALE_AFTER) -> int:
    """Score the open deals whose latest score is older than `max_age` or that have none."""
    fresh = DealScore.objects.filter(scored_at__gte=timezone.now() - max_age).values("deal_id")
    ids = list(
        Deal.objects.filter(stage__is_won=False, stage__is_lost=False)
        .exclude(pk__in=fresh)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    norms, done = _norms(), 0
    for start in range(0, len(ids), RESCORE_BATCH):
        done += len(deal_score_compute(deal_ids=ids[start : start + RESCORE_BATCH], norms=norms))
    return done


def deal_rescore_refs(*, refs: dict[str, list[int]]) -> int:
    """Rescore what changed events point at: deals themselves, and the open deals of the
    contacts, companies and activities named. Returns how many deals were scored."""
    ids = set(refs.get("deal") or [])
    activities = Activity.objects.filter(pk__in=refs.get("activity") or [])
    ids |= set(activities.exclude(deal_id=None).values_list("deal_id", flat=True))
    contact_ids = set(refs.get("contact") or [])
    contact_ids |= set(activities.exclude(contact_id=None).values_list("contact_id", flat=True))
    open_deals = Deal.objects.filter(stage__is_won=False, stage__is_lost=False)
    if contact_ids:
        ids |= set(
            open_deals.filter(
                Q(contact_roles__contact_id__in=contact_ids) | Q(primary_contact_id__in=contact_ids)
            ).values_list("pk", flat=True)
        )
    if refs.get("company"):
        ids |= set(open_deals.filter(company_id__in=refs["company"]).values_list("pk", flat=True))
    return len(deal_score_compute(deal_ids=sorted(ids))) if ids else 0


def deal_score_current(*, deal_id: int) -> DealScore:
    """The deal's latest score, scoring it now if it never was. Raises Deal.DoesNotExist."""
    score = deal_score_latest(deal_id=deal_id)
    if score is None:
        scored = deal_score_compute(deal_ids=[deal_id])
        if not scored:
            raise Deal.DoesNotExist(f"No deal {deal_id}.")
        score = scored[0]
    return score


# --- next best actions ---------------------------------------------------------------------


def _reach(contact: Contact | None) -> Reach:
    """How the rep may reach the contact: consent per channel and the do-not-contact list."""
    if contact is None:
        return Reach(phone=False, sms=False, call=False, email=False)
    consent = consent_status(contact=contact)

    def status(channel: str) -> str | None:
        record = consent.get(channel)
        return record.status if record else None

    phone_blocked = bool(contact.phone) and dnc_contains(phone=contact.phone)
    email_blocked = bool(contact.email) and dnc_contains(email=contact.email)
    phone = bool(contact.phone) and not phone_blocked
    return Reach(
        phone=phone,
        sms=phone and status("sms") == "granted",
        call=phone and status("call") == "granted",
        email=bool(contact.email) and not email_blocked and status("email") != "revoked",
    )


def _timeline(where: Q) -> dict[str, datetime | None]:
    """Latest activity, latest inbound and latest outbound (system rows are not contact)."""
    activities = Activity.objects.filter(where).exclude(kind=Activity.Kind.SYSTEM)
    last = activities.order_by("-occurred_at").values_list("occurred_at", flat=True).first()
    inbound = (
        activities.filter(direction=Activity.Direction.INBOUND)
        .order_by("-occurred_at").values_list("occurred_at", flat=True).first()
    )  # fmt: skip
    outbound = (
        activities.filter(direction=Activity.Direction.OUTBOUND)
        .order_by("-occurred_at").values_list("occurred_at", flat=True).first()
    )  # fmt: skip
    return {"last": last, "inbound": inbound, "outbound": outbound}


def lead_next_actions(*, lead_id: int, now: datetime | None = None) -> list[Action]:
    """Ranked next actions for a lead from its stored score and temperature, its timeline and
    its contact's consent. Raises Lead.DoesNotExist."""
    lead = Lead.objects.select_related("contact").get(pk=lead_id)
    # Messages may be linked to the contact only (conversations): they count for the lead.
    times = _timeline(Q(lead_id=lead.pk) | Q(contact_id=lead.contact_id))
    context = SalesContext(
        now=now or timezone.now(), closed=lead.status in ("converted", "lost", "disqualified"),
        created_at=lead.created_at, last_activity_at=times["last"],
        last_inbound_at=times["inbound"], last_outbound_at=times["outbound"],
        reach=_reach(lead.contact), score=lead.score, temperature=lead.temperature or None,
    )  # fmt: skip
    return rank_lead_actions(context)


def _deal_contact(deal: Deal) -> Contact | None:
    if deal.primary_contact_id:
        return deal.primary_contact
    role = DealContact.objects.filter(deal=deal).select_related("contact").order_by("id").first()
    return role.contact if role else None


def deal_next_actions(
    *, deal_id: int, score: DealScore | None = None, now: datetime | None = None
) -> list[Action]:
    """Ranked next actions for a deal from its latest score (win probability, health flags),
    its timeline and its main contact's consent. Raises Deal.DoesNotExist."""
    deal = Deal.objects.select_related("stage", "primary_contact").get(pk=deal_id)
    score = score or deal_score_current(deal_id=deal.pk)
    contact = _deal_contact(deal)
    people = DealContact.objects.filter(deal=deal).values("contact_id")
    since = deal.created_at
    times = _timeline(Q(deal_id=deal.pk) | Q(contact_id__in=people, occurred_at__gte=since))
    settings = intelligence_settings()
    context = SalesContext(
        now=now or timezone.now(), closed=deal.stage.is_won or deal.stage.is_lost,
        created_at=deal.created_at, last_activity_at=times["last"],
        last_inbound_at=times["inbound"], last_outbound_at=times["outbound"],
        reach=_reach(contact), win_probability=score.win_probability, flags=list(score.flags),
        amount=float(deal.amount), median_won_amount=median_won_amount(),
        inactive_days=settings.deal_inactive_days,
    )  # fmt: skip
    return rank_deal_actions(context)
