"""Drafting: SMS and email drafts, reply suggestions and subject lines, grounded in a record.

    draft_record_get(record_type="lead", record_id=7, user=rep)     → the lead (or refused)
    draft_stream(record=lead, user=rep, channel="sms", purpose="follow_up", tone="friendly")
        → iterate for text chunks; then .text, .engine, .usage_id, .segments
    draft_write(...)                 → the same in one call (Draft)
    reply_suggestions(message=…)     → AIResult, .data["replies"] (3 short replies)
    subject_variants(record=…, …)    → AIResult, .data["subjects"] (3 to 5 subject lines)
    draft_approve(usage_id=, text=, user=) / draft_discard(usage_id=, user=)

Every draft goes through the AI gateway (feature "drafting"): the workspace's provider when
one is configured, else the built-in engine's templates. The opt-out line of a first SMS is
added here, not left to a model. Nothing is sent: sending comes with the outreach app.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from pydantic import BaseModel, Field, StringConstraints

from crm.audit.models import AuditEvent
from crm.audit.services import audit_event
from intelligence.ai.builtin import (
    BuiltinCannotAnswer,
    BuiltinRequest,
    builtin_register,
    keywords,
    template_fill,
)
from intelligence.ai.gateway import AIResult, AIStream
from intelligence.ai.models import AIUsage, Outcome
from intelligence.ai.prompts import PromptSpec, PromptTest, prompt_register
from intelligence.ai.services import (
    ai_complete,
    ai_output_record,
    ai_stream,
    ai_structured,
    ai_usage_outcome_set,
)

from .drafting_builtin import OPT_OUT_LINE, builtin_email, builtin_sms
from .drafting_facts import RECORD_TYPES, DraftFacts, draft_facts, draft_record_get, question_of
from .segments import SegmentInfo, sms_segments

log = logging.getLogger(__name__)

FEATURE = "drafting"
PURPOSES = {
    "follow_up": "follow up on the last conversation",
    "book_meeting": "book a meeting or a call",
    "re_engage": "re-engage a contact who went quiet",
    "answer_question": "answer the question in their last message",
    "send_quote": "tell them their quote is ready or on its way",
}
TONES = ("formal", "friendly", "casual")
CHANNELS = ("sms", "email")
MAX_TEXT = 5000
SMS_SINGLE_BUDGET = 160  # the model is asked for one GSM-7 segment, two at most
DRAFT_TTL_SECONDS = 7 * 24 * 3600  # how long the generated text is kept to compare edits with
_STOP = re.compile(r"\bSTOP\b")

# --- prompts -------------------------------------------------------------------------------

_SYSTEM = (
    "You write messages for a sales rep at a small business, to one of their contacts. Use only "
    "the facts given: never invent prices, dates, availability or promises. Write in the "
    "language of the contact's last message (English if there is none). Output only the "
    "message itself: no preamble, no placeholders, no quotes around it."
)
_FACTS = "Facts about the record:\n{{ facts }}\n\nTheir last message: {{ last_message }}"

SMS = PromptSpec(
    key="drafting.sms",
    feature=FEATURE,
    description="An SMS draft for a lead, contact or deal, for a purpose and a tone.",
    system=_SYSTEM,
    template=(
        "Write a {{ tone }} SMS. Purpose ({{ purpose }}): {{ goal }}.\n"
        "At most {{ max_chars }} characters, plain text, no emoji, no links. Do not add an "
        "opt-out line (it is added automatically). Sign with the rep's first name.\n\n" + _FACTS
    ),
    variables=("tone", "purpose", "goal", "max_chars", "facts", "last_message"),
    tests=(
        PromptTest(
            name="names the contact",
            variables={
                "tone": "friendly",
                "purpose": "follow_up",
                "goal": PURPOSES["follow_up"],
                "max_chars": 140,
                "facts": "Contact: Dana Reyes\nInterested in: roof replacement",
                "last_message": "(none)",
            },
            max_chars=320,
        ),
    ),
)
EMAIL = PromptSpec(
    key="drafting.email",
    feature=FEATURE,
    description="An email body draft for a lead, contact or deal, for a purpose and a tone.",
    system=_SYSTEM,
    template=(
        "Write the body of a {{ tone }} email (greeting, 1 or 2 short paragraphs, sign-off with "
        "the rep's name). Purpose ({{ purpose }}): {{ goal }}. No subject line.\n\n" + _FACTS
    ),
    variables=("tone", "purpose", "goal", "facts", "last_message"),
)
REPLIES = PromptSpec(
    key="drafting.replies",
    feature=FEATURE,
    description="Three short replies a rep could send to an inbound message (structured).",
    system=_SYSTEM,
    template=(
        "Suggest exactly 3 different short replies (each under 160 characters, a {{ tone }} "
        "tone) the rep could send to this message. If it is an opt-out, each reply only "
        "confirms it.\n\nMessage: {{ message }}\n\nFacts about the record:\n{{ facts }}"
    ),
    variables=("tone", "message", "facts"),
)
SUBJECTS = PromptSpec(
    key="drafting.subjects",
    feature=FEATURE,
    description="3 to 5 subject lines for an email draft (structured).",
    system=_SYSTEM,
    template=(
        "Suggest 3 to 5 different subject lines (each under 70 characters) for this email. "
        "Purpose ({{ purpose }}): {{ goal }}.\n\nEmail:\n{{ draft }}\n\nFacts about the "
        "record:\n{{ facts }}"
    ),
    variables=("purpose", "goal", "draft", "facts"),
)

ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=320)]
Subject = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]


class ReplySuggestions(BaseModel):
    """Three short replies to an inbound message."""

    replies: list[ShortText] = Field(min_length=3, max_length=3)


class SubjectVariants(BaseModel):
    """Subject lines for an email."""

    subjects: list[Subject] = Field(min_length=3, max_length=5)


# --- input ---------------------------------------------------------------------------------


def draft_options_clean(*, channel: Any, purpose: Any, tone: Any) -> tuple[str, str, str]:
    """(channel, purpose, tone) or ValidationError naming every bad field."""
    errors = {}
    if channel not in CHANNELS:
        errors["channel"] = f"Choose a channel: {', '.join(CHANNELS)}."
    if purpose not in PURPOSES:
        errors["purpose"] = f"Choose a purpose: {', '.join(PURPOSES)}."
    if tone not in TONES:
        errors["tone"] = f"Choose a tone: {', '.join(TONES)}."
    if errors:
        raise ValidationError(errors)
    return channel, purpose, tone


def _variables(facts: DraftFacts, *, channel: str, purpose: str, tone: str) -> dict[str, Any]:
    variables = {
        "tone": tone,
        "purpose": purpose,
        "goal": PURPOSES[purpose],
        "facts": facts.as_text(),
        "last_message": facts.last_inbound[:1000] or "(none)",
    }
    if channel == "sms":
        room = SMS_SINGLE_BUDGET - (len(OPT_OUT_LINE) + 1 if facts.first_sms else 0)
        variables["max_chars"] = room
    return variables


# --- drafts --------------------------------------------------------------------------------


def _with_opt_out(text: str, facts: DraftFacts, channel: str) -> str:
    """The suffix a first SMS needs (empty when not needed or already there)."""
    if channel != "sms" or not facts.first_sms or _STOP.search(text):
        return ""
    return ("" if text.endswith("\n") else "\n") + OPT_OUT_LINE


def _remember(result: AIResult | None, *texts: str) -> None:
    """Keep what was generated (a draft, or each suggestion) to tell an edit from a use."""
    if result is not None and result.usage_id is not None:
        cache.set(f"drafting:draft:{result.usage_id}", list(texts), DRAFT_TTL_SECONDS)


def _generated(usage_id: int) -> list[str] | None:
    return cache.get(f"drafting:draft:{usage_id}")


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())


class DraftStream:
    """Text chunks as the engine writes them, then the opt-out line when one is due. After
    iterating: `text` (the whole draft), `engine`, `usage_id`, `segments` (SMS), `result`."""

    def __init__(self, *, stream: AIStream, facts: DraftFacts, channel: str) -> None:
        self._stream, self.facts, self.channel = stream, facts, channel
        self.text = ""

    @property
    def engine(self) -> str:
        return self._stream.engine

    @property
    def result(self) -> AIResult | None:
        return self._stream.result

    @property
    def usage_id(self) -> int | None:
        return self.result.usage_id if self.result is not None else None

    @property
    def segments(self) -> SegmentInfo | None:
        return sms_segments(self.text) if self.channel == "sms" else None

    def __iter__(self) -> Iterator[str]:
        parts: list[str] = []
        for chunk in self._stream:
            parts.append(chunk)
            yield chunk
        text = "".join(parts).rstrip()
        suffix = _with_opt_out(text, self.facts, self.channel)
        if suffix:
            yield suffix
        self.text = text + suffix
        _remember(self.result, self.text)


def draft_stream(*, record: Any, user: Any, channel: str, purpose: str, tone: str) -> DraftStream:
    channel, purpose, tone = draft_options_clean(channel=channel, purpose=purpose, tone=tone)
    facts = draft_facts(record=record, user=user)
    stream = ai_stream(
        feature=FEATURE,
        prompt_key=f"drafting.{channel}",
        variables=_variables(facts, channel=channel, purpose=purpose, tone=tone),
        user=user,
        record=record,
    )
    return DraftStream(stream=stream, facts=facts, channel=channel)


@dataclass(frozen=True)
class Draft:
    text: str
    engine: str
    usage_id: int | None
    segments: SegmentInfo | None
    result: AIResult


def draft_write(*, record: Any, user: Any, channel: str, purpose: str, tone: str) -> Draft:
    """A whole draft in one call (no streaming)."""
    channel, purpose, tone = draft_options_clean(channel=channel, purpose=purpose, tone=tone)
    facts = draft_facts(record=record, user=user)
    result = ai_complete(
        feature=FEATURE,
        prompt_key=f"drafting.{channel}",
        variables=_variables(facts, channel=channel, purpose=purpose, tone=tone),
        user=user,
        record=record,
    )
    text = result.text.strip()
    text += _with_opt_out(text, facts, channel)
    _remember(result, text)
    segments = sms_segments(text) if channel == "sms" else None
    return Draft(text, result.engine, result.usage_id, segments, result)


def reply_suggestions(
    *, message: str, record: Any = None, user: Any = None, tone: str = "friendly"
) -> AIResult:
    """Three short replies to `message` (`result.data["replies"]`)."""
    message = (message or "").strip()
    if not message:
        raise ValidationError({"message": "There is no message to reply to."})
    if tone not in TONES:
        raise ValidationError({"tone": f"Choose a tone: {', '.join(TONES)}."})
    facts = draft_facts(record=record, user=user) if record is not None else None
    result = ai_structured(
        feature=FEATURE,
        prompt_key=REPLIES.key,
        schema=ReplySuggestions,
        variables={
            "tone": tone,
            "message": message[:MAX_TEXT],
            "facts": facts.as_text() if facts is not None else "(no record)",
        },
        user=user,
        record=record,
    )
    if result.data:
        _remember(result, *result.data["replies"])
    return result


def subject_variants(*, record: Any, user: Any, purpose: str, draft: str = "") -> AIResult:
    """3 to 5 subject lines for an email draft (`result.data["subjects"]`)."""
    if purpose not in PURPOSES:
        raise ValidationError({"purpose": f"Choose a purpose: {', '.join(PURPOSES)}."})
    facts = draft_facts(record=record, user=user)
    return ai_structured(
        feature=FEATURE,
        prompt_key=SUBJECTS.key,
        schema=SubjectVariants,
        variables={
            "purpose": purpose,
            "goal": PURPOSES[purpose],
            "draft": (draft or "(not written yet)")[:MAX_TEXT],
            "facts": facts.as_text(),
        },
        user=user,
        record=record,
    )


# --- the rep's decision ---------------------------------------------------------------------


def _usage_for(*, usage_id: Any, user: Any) -> tuple[AIUsage, Any]:
    try:
        pk = int(usage_id)
    except (TypeError, ValueError):
        raise ValidationError({"usage_id": "Send the draft's usage id."}) from None
    usage = AIUsage.objects.filter(pk=pk, feature=FEATURE).first()
    if usage is None or usage.record_type not in RECORD_TYPES or usage.record_id is None:
        raise ValidationError({"usage_id": f"No draft #{pk} in this workspace."})
    if usage.outcome != Outcome.PENDING:
        raise ValidationError({"usage_id": f"This draft was already {usage.outcome}."})
    record = draft_record_get(record_type=usage.record_type, record_id=usage.record_id, user=user)
    return usage, record


def _result_of(usage: AIUsage, text: str) -> AIResult:
    return AIResult.of_usage(usage, text=text, usage_id=usage.pk)


@dataclass(frozen=True)
class DraftDecision:
    outcome: str
    usage_id: int
    event: AuditEvent | None


@transaction.atomic
def draft_approve(*, usage_id: Any, text: Any, user: Any, subject: str = "") -> DraftDecision:
    """The rep approves a draft (as generated: accepted; changed: edited). The outcome goes on
    the usage row, and the draft, the final text and the engine on the record's history."""
    if not isinstance(text, str) or not text.strip():
        raise ValidationError({"text": "The draft is empty."})
    if len(text) > MAX_TEXT:
        raise ValidationError({"text": f"The draft is longer than {MAX_TEXT} characters."})
    usage, record = _usage_for(usage_id=usage_id, user=user)
    candidates = _generated(usage.pk)
    final = text.strip()
    # Without the generated text (expired) an unchanged draft cannot be proven: "edited".
    match = next((c for c in candidates or [] if _same(c, final)), None)
    outcome = Outcome.ACCEPTED if match is not None else Outcome.EDITED
    generated = match if match is not None else (candidates[0] if candidates else None)
    ai_usage_outcome_set(usage_id=usage.pk, outcome=outcome)
    event = ai_output_record(
        result=_result_of(usage, final), record=record, action="draft_approved", actor=user
    )
    audit_event(
        entity_type=record._meta.model_name,
        entity_id=record.pk,
        action=AuditEvent.Action.UPDATE,
        field="ai.draft_text",
        actor=user,
        source="ai",
        old_value=generated,
        new_value={
            "text": final,
            "subject": (subject or "").strip()[:120],
            "outcome": outcome,
            "usage_id": usage.pk,
        },
    )
    return DraftDecision(outcome, usage.pk, event)


@transaction.atomic
def draft_discard(*, usage_id: Any, user: Any) -> DraftDecision:
    usage, _record = _usage_for(usage_id=usage_id, user=user)
    ai_usage_outcome_set(usage_id=usage.pk, outcome=Outcome.DISCARDED)
    cache.delete(f"drafting:draft:{usage.pk}")
    return DraftDecision(Outcome.DISCARDED, usage.pk, None)


# --- the built-in engine -------------------------------------------------------------------


def _request_options(request: BuiltinRequest) -> tuple[str, str]:
    purpose = str(request.variables.get("purpose", ""))
    tone = str(request.variables.get("tone", ""))
    return (
        purpose if purpose in PURPOSES else "follow_up",
        tone if tone in TONES else "friendly",
    )


def _facts_from_text(request: BuiltinRequest) -> DraftFacts | None:
    """No record (a prompt test case run from admin): read the facts block the prompt got."""
    text = str(request.variables.get("facts", ""))
    lines = dict(
        (k.strip().lower(), v.strip()) for k, _, v in (ln.partition(":") for ln in text.split("\n"))
    )
    name = lines.get("contact", "")
    if not name or name == "unknown":
        return None
    last = str(request.variables.get("last_message", ""))
    last = "" if last == "(none)" else last
    return DraftFacts(
        record_type="text",
        record_id=0,
        first_name=name.split()[0],
        full_name=name,
        company=lines.get("company", ""),
        owner_name=lines.get("record owner", ""),
        sender_name=lines.get("written by (sign as)", ""),
        topic=lines.get("interested in", ""),
        stage=lines.get("stage", ""),
        amount=lines.get("amount", ""),
        last_inbound=last,
        last_question=question_of(last),
        last_interaction="",
        first_sms=True,
    )


def _builtin_facts(request: BuiltinRequest) -> DraftFacts | None:
    if request.record is None:
        return _facts_from_text(request)
    return draft_facts(record=request.record, user=request.user)


def _builtin_sms(request: BuiltinRequest) -> str:
    purpose, tone = _request_options(request)
    facts = _builtin_facts(request)
    if facts is None:
        raise BuiltinCannotAnswer("the built-in engine drafts for a lead, contact or deal")
    return builtin_sms(facts, purpose=purpose, tone=tone, opt_out=facts.first_sms)


def _builtin_email(request: BuiltinRequest) -> str:
    purpose, tone = _request_options(request)
    facts = _builtin_facts(request)
    if facts is None:
        raise BuiltinCannotAnswer("the built-in engine drafts for a lead, contact or deal")
    return builtin_email(facts, purpose=purpose, tone=tone)


def _intent(message: str) -> str:
    """H7's reply-intent reading, or keyword rules if it cannot answer (e.g. no model yet)."""
    try:
        from .services import reply_intent_classify

        return reply_intent_classify(text=message).intent
    except Exception:  # the suggestions must not fail because the classifier did
        log.warning("reply intent unavailable; using keyword rules", exc_info=True)
    lowered = message.lower()
    if re.search(r"\b(stop|unsubscribe|opt ?out|quit|cancel)\b", lowered):
        return "opt_out"
    if re.search(r"\b(wrong number|who is this)\b", lowered):
        return "wrong_number"
    if re.search(
        r"\b(call me|meet|appointment|schedule|available|tomorrow|monday|friday)\b", lowered
    ):
        return "appointment_request"
    if re.search(r"\b(not interested|no thanks|no thank you)\b", lowered):
        return "not_interested"
    if "?" in message:
        return "question"
    if re.search(r"\b(yes|interested|sounds good|great|sure)\b", lowered):
        return "interested"
    return "unknown"


REPLY_TEMPLATES = {
    "opt_out": [
        "Understood{{ name_comma }} you won't receive more texts from us.",
        "Done. You're unsubscribed and won't hear from us by text again.",
        "Got it, we've removed you from our messages. Sorry for the bother!",
    ],
    "wrong_number": [
        "Sorry about that! We'll update our records right away.",
        "Apologies for the mix-up, we'll remove this number.",
        "Thanks for letting us know, sorry to bother you!",
    ],
    "appointment_request": [
        "Great{{ name_comma }} what day and time work best for you?",
        "Happy to set that up! Does tomorrow morning or afternoon suit you better?",
        "Perfect, I'll send a calendar invite. Any time that works best for {{ topic_short }}?",
    ],
    "not_interested": [
        "No problem{{ name_comma }} thanks for letting me know.",
        "Understood. If anything changes, I'm just a text away.",
        "Thanks for the reply! Mind if I ask what made you decide against it?",
    ],
    "question": [
        "Good question{{ name_comma }} let me check and get right back to you.",
        "Thanks for asking! I'll confirm the details about {{ topic_short }} shortly.",
        "Happy to help. Would a quick call be easier to go over it?",
    ],
    "interested": [
        "Great to hear{{ name_comma }} want to set up a quick call this week?",
        "Awesome! I'll send over the details on {{ topic_short }} today.",
        "Glad you're interested! What's the best time to reach you?",
    ],
    "unknown": [
        "Thanks for your message{{ name_comma }} how can I help?",
        "Got it, thanks! Anything else I should know about {{ topic_short }}?",
        "Thanks! Would a quick call be helpful?",
    ],
}


def _builtin_replies(request: BuiltinRequest) -> ReplySuggestions:
    message = str(request.variables.get("message", ""))
    facts = _builtin_facts(request)
    intent = _intent(message)
    topic = (facts.topic if facts is not None else "") or (keywords(message, limit=1) or [""])[0]
    context = {
        "name_comma": f", {facts.first_name}," if facts is not None and facts.first_name else ",",
        "topic_short": topic or "this",
    }
    templates = REPLY_TEMPLATES.get(intent, REPLY_TEMPLATES["unknown"])
    return ReplySuggestions(replies=[template_fill(t, context) for t in templates])


SUBJECT_TEMPLATES = {
    "follow_up": [
        "Following up: {{ topic }}",
        "{{ first_name }}, checking in on {{ topic }}",
        "Next steps for {{ topic }}",
        "Any questions about {{ topic }}?",
        "{{ company }}: {{ topic }} follow-up",
    ],
    "book_meeting": [
        "Quick call about {{ topic }}?",
        "15 minutes this week, {{ first_name }}?",
        "Let's find a time: {{ topic }}",
        "Meeting request: {{ topic }}",
        "{{ company }} and {{ topic }}: a short call",
    ],
    "re_engage": [
        "Still interested in {{ topic }}?",
        "{{ first_name }}, picking up where we left off",
        "It's been a while: {{ topic }}",
        "Checking back in about {{ topic }}",
        "Is {{ topic }} still on your list?",
    ],
    "answer_question": [
        "Re: your question about {{ topic }}",
        "Answer: {{ topic }}",
        "{{ first_name }}, about your question",
        "The details you asked for",
        "Your question on {{ topic }}",
    ],
    "send_quote": [
        "Your quote for {{ topic }}",
        "Quote: {{ topic }}{{ amount_phrase }}",
        "{{ first_name }}, your quote is ready",
        "Pricing for {{ topic }}",
        "{{ company }}: quote for {{ topic }}",
    ],
}


def _builtin_subjects(request: BuiltinRequest) -> SubjectVariants:
    purpose, _tone = _request_options(request)
    facts = _builtin_facts(request)
    context = {
        "topic": (facts.topic if facts else "") or "your project",
        "first_name": facts.first_name if facts else "",
        "company": facts.company if facts else "",
        "amount_phrase": f" ({facts.amount})" if facts and facts.amount else "",
    }
    subjects = []
    for template in SUBJECT_TEMPLATES[purpose]:
        needs = [k for k in ("first_name", "company") if "{{ " + k in template]
        if any(not context[k] for k in needs):
            continue  # "  , your quote is ready" helps nobody
        subject = template_fill(template, context).strip(" ,:")
        if subject and subject not in subjects:
            subjects.append(subject[:1].upper() + subject[1:])
    return SubjectVariants(subjects=subjects[:5])


_REGISTERED = False


def drafting_register() -> None:
    """Declare the drafting prompts and their offline implementations (call from
    AppConfig.ready; calling it twice is harmless)."""
    global _REGISTERED
    if _REGISTERED:
        return
    for spec in (SMS, EMAIL, REPLIES, SUBJECTS):
        prompt_register(spec)
    builtin_register(SMS.key, _builtin_sms)
    builtin_register(EMAIL.key, _builtin_email)
    builtin_register(REPLIES.key, _builtin_replies)
    builtin_register(SUBJECTS.key, _builtin_subjects)
    _REGISTERED = True
