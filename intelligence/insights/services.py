"""Writes of conversation insights: analyse an activity, turn an action item into a task,
alert managers when a competitor is named. Ask the CRM lives in `ask.py`."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from crm.activities.models import Activity, Task
from crm.activities.services import task_create
from crm.notifications.services import notification_send
from crm.team.models import Role, User
from crm.web import can_edit
from intelligence.ai.services import ai_output_record, ai_structured

from . import rules
from .ask import AskResult, Chip, ask_crm_parse  # noqa: F401  (the public entry points)
from .models import ActivityInsight, Competitor
from .prompts import FEATURE, INSIGHT_PROMPT, builtin_insight
from .schemas import ConversationInsightOut

# Logged calls, meetings and notes are analysed on their own once they have this much text;
# shorter ones ("left a voicemail") say too little to be worth it. On demand: any length.
AUTO_KINDS = frozenset({Activity.Kind.CALL, Activity.Kind.MEETING, Activity.Kind.NOTE})
AUTO_MIN_CHARS = 200
MIN_CHARS = 20
THREAD_KINDS = frozenset(
    {Activity.Kind.SMS, Activity.Kind.MESSENGER, Activity.Kind.CHAT, Activity.Kind.EMAIL}
)
THREAD_DAYS = 30
THREAD_MESSAGES = 40
MAX_TEXT = 20_000
NOTIFICATION_KIND = "insight.competitor"


def activity_record(activity: Activity) -> Any:
    """The record an activity is about (its lead, deal, contact or company), whose owner
    decides who may act on its insights."""
    return activity.lead or activity.deal or activity.contact or activity.company


def activity_conversation(activity: Activity) -> tuple[str, str]:
    """(source, text): a call's transcript, meeting notes or a note as written; for a
    message, the contact's recent thread in order, each line labelled by who wrote it."""
    if activity.kind in THREAD_KINDS and activity.contact_id:
        since = activity.occurred_at - timedelta(days=THREAD_DAYS)
        messages = list(
            Activity.objects.filter(
                contact_id=activity.contact_id,
                kind__in=list(THREAD_KINDS),
                occurred_at__gte=since,
                occurred_at__lte=activity.occurred_at,
            )
            .select_related("actor")
            .order_by("-occurred_at", "-id")[:THREAD_MESSAGES]
        )
        lines = []
        for message in reversed(messages):
            text = " ".join((message.body or message.subject).split())
            if not text:
                continue
            who = "Customer" if message.direction == Activity.Direction.INBOUND else "Rep"
            lines.append(f"{who}: {text}")
        return ActivityInsight.Source.THREAD, "\n".join(lines)[-MAX_TEXT:]
    source = {
        Activity.Kind.CALL: ActivityInsight.Source.CALL,
        Activity.Kind.MEETING: ActivityInsight.Source.MEETING,
    }.get(activity.kind, ActivityInsight.Source.NOTE)
    transcript = (activity.metadata or {}).get("transcript")
    text = transcript if isinstance(transcript, str) and transcript.strip() else activity.body
    return source, (text or "")[:MAX_TEXT]


def insight_auto_eligible(activity: Activity) -> bool:
    return activity.kind in AUTO_KINDS and len(activity_conversation(activity)[1].strip()) >= (
        AUTO_MIN_CHARS
    )


def _sentiment(text: str) -> float | None:
    from intelligence.language.services import sentiment_score

    try:
        return sentiment_score(text=text[:4000])
    except ValidationError:  # empty text
        return None


def sentiment_arc(conversation: rules.Conversation, *, parts: int = 5) -> list[float]:
    """The customer's sentiment from start to end, in up to `parts` slices (neutral
    sentences do not dilute a slice)."""
    from intelligence.ai.builtin import sentences

    said = sentences(conversation.customer_text())
    if not said:
        return []
    size = max(1, -(-len(said) // parts))
    arc = []
    for start in range(0, len(said), size):
        scores = [s for s in (_sentiment(t) for t in said[start : start + size]) if s]
        arc.append(round(sum(scores) / len(scores), 3) if scores else 0.0)
    return arc


def _competitor_spellings() -> list[tuple[str, list[str]]]:
    return [(c.name, c.spellings) for c in Competitor.objects.filter(is_active=True)]


def _merge_mentions(found: list[dict], model: list[dict], names: dict[str, str]) -> list[dict]:
    """The rules' mentions plus the model's, kept only if the name is on the list."""
    merged = {m["competitor"]: m for m in found}
    for mention in model:
        name = names.get(str(mention.get("competitor", "")).strip().lower())
        if name is not None and name not in merged:
            merged[name] = {"competitor": name, "quote": str(mention.get("quote", ""))[:300]}
    return list(merged.values())


def activity_insight_compute(*, activity_id: int, actor=None) -> ActivityInsight | None:
    """Analyse an activity (again) and store the result; None when it has too little text.
    Tasks already made from action items stay linked when their text is found again."""
    activity = (
        Activity.objects.select_related("actor", "lead", "deal", "contact", "company")
        .filter(pk=activity_id)
        .first()
    )
    if activity is None:
        return None
    source, text = activity_conversation(activity)
    if len(text.strip()) < MIN_CHARS:
        return None
    record = activity_record(activity)
    owner = getattr(record, "owner", None) or activity.actor
    rep_name = owner.get_full_name() if owner is not None else ""
    competitors = _competitor_spellings()
    result = ai_structured(
        feature=FEATURE,
        prompt_key=INSIGHT_PROMPT.key,
        variables={
            "kind": source,
            "rep": rep_name,
            "competitors": "; ".join(f"{n}: {', '.join(s[1:])}" for n, s in competitors),
            "text": text,
        },
        schema=ConversationInsightOut,
        user=actor,
        record=activity,
    )
    data = result.data if result.ok and result.data is not None else None
    if data is None:  # not even the built-in engine answered: run the rules directly
        data = builtin_insight_data(text=text, rep=rep_name)
    conversation = rules.conversation_parse(text, rep_names=[rep_name, *rep_name.split()[:1]])
    names = {s.lower(): n for n, spellings in competitors for s in [n, *spellings]}
    mentions = _merge_mentions(
        rules.competitor_mentions(conversation.plain, competitors),
        data.get("competitor_mentions") or [],
        names,
    )
    arc = sentiment_arc(conversation)
    stats = rules.conversation_stats(conversation)
    tips = rules.coaching_tips_of(
        stats=stats, objections=data.get("objections") or [], competitors=mentions,
        sentiment_arc=arc,
    )  # fmt: skip
    if not result.is_builtin:
        tips += [t for t in data.get("coaching_tips") or [] if t not in tips]
    overall = [s for s in arc if s]
    with transaction.atomic():
        insight = ActivityInsight.objects.select_for_update().filter(activity=activity).first()
        previous = {i["text"]: i.get("task_id") for i in (insight.action_items if insight else [])}
        fields = dict(
            source=source,
            summary=data.get("summary", ""),
            action_items=[
                {"text": t, "task_id": previous.get(t)} for t in data.get("action_items") or []
            ],
            topics=list(data.get("topics") or []),
            objections=list(data.get("objections") or []),
            competitors=mentions,
            sentiment=round(sum(overall) / len(overall), 3) if overall else (0.0 if arc else None),
            sentiment_arc=arc,
            coaching_tips=tips[:8],
            stats=stats,
            engine=result.engine,
            usage_id=result.usage_id,
            text_chars=len(text),
            computed_at=timezone.now(),
        )
        if insight is None:
            insight = ActivityInsight.objects.create(activity=activity, **fields)
        else:
            for name, value in fields.items():
                setattr(insight, name, value)
            insight.save()
        _alert_competitors(insight=insight, activity=activity, record=record, owner=owner)
    return insight


def builtin_insight_data(*, text: str, rep: str) -> dict:
    from intelligence.ai.builtin import BuiltinRequest
    from intelligence.ai.prompts import prompt_render, prompt_resolve

    variables = {"kind": "note", "rep": rep, "competitors": "", "text": text}
    rendered = prompt_render(prompt_resolve(INSIGHT_PROMPT.key), variables)
    request = BuiltinRequest(
        feature=FEATURE, prompt_key=INSIGHT_PROMPT.key, variables=variables, prompt=rendered
    )
    return builtin_insight(request).model_dump(mode="json")


def _managers_of(owner: User | None) -> list[int]:
    """Who hears about a competitor mention: the workspace's managers (users have no
    personal manager in this CRM), else its admins; never the owner themselves."""
    for role in (Role.MANAGER, Role.ADMIN):
        ids = list(
            User.objects.filter(role=role, is_active=True)
            .exclude(pk=getattr(owner, "pk", None))
            .values_list("pk", flat=True)
        )
        if ids:
            return ids
    return []


def _alert_competitors(*, insight: ActivityInsight, activity: Activity, record, owner) -> None:
    new = [m for m in insight.competitors if m["competitor"] not in insight.alerted_competitors]
    if not new:
        return
    names = ", ".join(m["competitor"] for m in new)
    who = owner.get_full_name() if owner is not None else "A rep"
    try:
        url = reverse("insights:detail", args=[activity.pk])
    except NoReverseMatch:  # the rep UI's pages are not mounted (e.g. a worker-only setup)
        url = ""
    for user_id in _managers_of(owner):
        notification_send(
            user_id=user_id,
            kind=NOTIFICATION_KIND,
            title=f"Competitor mentioned: {names}"[:255],
            body=f"{who}'s {activity.get_kind_display().lower()} about {record}: "
            f"“{new[0]['quote'][:200]}”",
            url=url,
            object_id=activity.pk,
            payload={"competitors": [m["competitor"] for m in new]},
        )
    insight.alerted_competitors = [*insight.alerted_competitors, *(m["competitor"] for m in new)]
    insight.save(update_fields=["alerted_competitors"])


def insight_action_task_create(
    *,
    insight: ActivityInsight,
    index: int,
    actor,
    due_in_days: int | None = 1,
    by_api_key: bool = False,
) -> Task:
    """Turn action item `index` into a task on the activity's record, assigned to the
    record's owner (else the actor). Once per item. A person must be allowed to edit the
    record; an API key (`by_api_key`, no actor) is allowed by its write scope, which the API
    has checked."""
    activity = insight.activity
    record = activity_record(activity)
    allowed = (by_api_key and actor is None) or (actor is not None and can_edit(actor, record))
    if not allowed:
        raise PermissionDenied("Only the record's owner or a manager can add its tasks.")
    items = list(insight.action_items)
    if not isinstance(index, int) or not 0 <= index < len(items):
        raise ValidationError(
            {"index": f"No action item #{index}; this insight has {len(items)} (0 to "
                      f"{max(len(items) - 1, 0)})."}
        )  # fmt: skip
    with transaction.atomic():
        insight = ActivityInsight.objects.select_for_update().get(pk=insight.pk)
        items = list(insight.action_items)
        item = items[index]
        if item.get("task_id") and Task.objects.filter(pk=item["task_id"]).exists():
            raise ValidationError({"index": "This action item is already a task."})
        owner = getattr(record, "owner", None)
        task = task_create(
            title=item["text"][:255],
            assignee=owner or actor,
            due_at=timezone.now() + timedelta(days=due_in_days) if due_in_days else None,
            notes=f"From the insights of {activity.get_kind_display().lower()} "
            f"#{activity.pk} ({insight.engine}).",
            contact=activity.contact,
            lead=activity.lead,
            deal=activity.deal,
            company=activity.company if not (activity.contact or activity.lead) else None,
            actor=actor,
        )
        items[index] = {**item, "task_id": task.pk}
        insight.action_items = items
        insight.save(update_fields=["action_items"])
        _audit_task(insight=insight, task=task, actor=actor)
    return task


def _audit_task(*, insight: ActivityInsight, task: Task, actor) -> None:
    """An AI output changed a record: it goes on the task's history with its engine."""
    if insight.usage_id is None:
        return
    from intelligence.ai.gateway import AIResult
    from intelligence.ai.models import AIUsage

    usage = AIUsage.objects.filter(pk=insight.usage_id).first()
    if usage is None:
        return
    # usage_id stays None: the usage row stays linked to the activity it analysed
    result = AIResult.of_usage(usage)
    event = ai_output_record(result=result, record=task, action="insight_task", actor=actor)
    event.new_value = {**(event.new_value or {}), "usage_id": usage.pk}
    event.save(update_fields=["new_value"])


def competitor_create(*, name: str, aliases: str = "") -> Competitor:
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": "Name the competitor."})
    if Competitor.objects.filter(name__iexact=name).exists():
        raise ValidationError({"name": f"{name} is already on the list."})
    return Competitor.objects.create(name=name[:120], aliases=aliases.strip()[:500])
