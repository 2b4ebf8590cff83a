"""The built-in engine's drafts: templates per purpose, tone and channel, filled with the
record's facts. Deterministic (the same record, purpose, tone and channel give the same draft)
but varied: each combination has several phrasings, picked by a hash of the record, so a rep
with twenty leads does not send twenty identical texts.

SMS drafts are fitted to one segment when they can be (optional sentences are dropped first)
and never exceed two; the opt-out line, when the service appends it, is counted in.
"""

from __future__ import annotations

import hashlib
from itertools import combinations

from intelligence.ai.builtin import template_fill

from .drafting_facts import DraftFacts
from .segments import sms_segments

OPT_OUT_LINE = "Reply STOP to opt out."
SMS_QUOTE_MAX = 70

# --- phrasing ------------------------------------------------------------------------------

GREETING = {
    "sms": {
        "formal": ["Hello {{ first_name }}.", "Good day, {{ first_name }}."],
        "friendly": ["Hi {{ first_name }}!", "Hello {{ first_name }}!"],
        "casual": ["Hey {{ first_name }}!", "Hey there {{ first_name }}!"],
    },
    "email": {
        "formal": ["Dear {{ full_name }},", "Hello {{ full_name }},"],
        "friendly": ["Hi {{ first_name }},", "Hello {{ first_name }},"],
        "casual": ["Hey {{ first_name }},", "Hi {{ first_name }}!"],
    },
}
GREETING_NO_NAME = {
    "sms": {"formal": "Hello.", "friendly": "Hi there!", "casual": "Hey there!"},
    "email": {"formal": "Hello,", "friendly": "Hi there,", "casual": "Hey there,"},
}

# The heart of the message, by purpose and tone. {{ topic }} is always filled (falls back to
# "your project"); {{ when }} is the last interaction ("our call yesterday").
CORE = {
    "follow_up": {
        "formal": [
            "I am following up on {{ when }} regarding {{ topic }}. Please let me know if you "
            "have any further questions.",
            "I wanted to follow up on {{ topic }} and ask whether you need anything further "
            "from us.",
        ],
        "friendly": [
            "Just following up on {{ topic }} after {{ when }}. Anything I can help with?",
            "Wanted to check in on {{ topic }}. Any questions so far?",
        ],
        "casual": [
            "Quick follow-up on {{ topic }}. Any thoughts?",
            "Circling back on {{ topic }}. How's it looking on your end?",
        ],
    },
    "book_meeting": {
        "formal": [
            "Would you be available for a short meeting this week to discuss {{ topic }}? "
            "Please let me know a time that suits you.",
            "I would like to schedule a brief call to review {{ topic }}. Which day works best "
            "for you?",
        ],
        "friendly": [
            "Could we set up a quick call this week about {{ topic }}? Just tell me a time that "
            "works for you!",
            "I'd love to find 15 minutes to go over {{ topic }}. What day suits you?",
        ],
        "casual": [
            "Got 15 min this week to chat about {{ topic }}? Pick a time that works.",
            "Want to hop on a quick call about {{ topic }}? When's good?",
        ],
    },
    "re_engage": {
        "formal": [
            "It has been some time since we last spoke about {{ topic }}. If it is still a "
            "priority, I would be glad to pick up where we left off.",
            "I wanted to reconnect regarding {{ topic }}. Please let me know whether it remains "
            "of interest.",
        ],
        "friendly": [
            "It's been a little while since we talked about {{ topic }}. Still on your list? "
            "Happy to pick it back up whenever you're ready.",
            "I wanted to check whether {{ topic }} is still on your list. Happy to pick it back "
            "up whenever you're ready!",
        ],
        "casual": [
            "Been a while! Still thinking about {{ topic }}?",
            "Is {{ topic }} still on the table? No pressure either way.",
        ],
    },
    "answer_question": {
        "formal": [
            'Thank you for your question: "{{ question }}" I am confirming the details and will '
            "reply with a complete answer shortly.",
            'Thank you for asking "{{ question }}" I will check the specifics and respond with '
            "a full answer today.",
        ],
        "friendly": [
            'Thanks for asking "{{ question }}" Let me get you the exact details, I\'ll get '
            "back to you shortly!",
            'Great question: "{{ question }}" I\'m checking now and will get back to you soon.',
        ],
        "casual": [
            'Good q: "{{ question }}" Checking now, back to you shortly.',
            'Re "{{ question }}", let me check and get right back to you.',
        ],
    },
    "send_quote": {
        "formal": [
            "As requested, I am preparing your quote for {{ topic }}{{ amount_phrase }}. I will "
            "send it shortly; please let me know if anything should be included.",
            "Your quote for {{ topic }}{{ amount_phrase }} is being finalised. Please tell me if "
            "you would like any options added.",
        ],
        "friendly": [
            "Your quote for {{ topic }}{{ amount_phrase }} is on its way! Let me know if you'd "
            "like anything added.",
            "I'm putting together your quote for {{ topic }}{{ amount_phrase }} now. Anything "
            "you'd like me to include?",
        ],
        "casual": [
            "Working on your quote for {{ topic }}{{ amount_phrase }} now. Anything to add?",
            "Quote for {{ topic }}{{ amount_phrase }} coming your way shortly!",
        ],
    },
}
# answer_question without a question on record.
CORE_NO_QUESTION = {
    "formal": "Thank you for your message. I am looking into it and will reply with a complete "
    "answer shortly.",
    "friendly": "Thanks for your message! I'm looking into it and will get back to you shortly.",
    "casual": "Thanks for the message! Looking into it, back to you soon.",
}
# Optional grounding: where things stand (dropped first when an SMS is too long).
STAGE_LINE = {
    "formal": "For reference, we are currently at the {{ stage }} stage.",
    "friendly": "We're at the {{ stage }} stage right now.",
    "casual": "We're at {{ stage }} right now.",
}
COMPANY_LINE = {
    "formal": "I hope all is well at {{ company }}.",
    "friendly": "Hope all's well at {{ company }}!",
    "casual": "Hope things are good at {{ company }}.",
}
CLOSING = {
    "formal": ["Thank you for your time.", "I look forward to hearing from you."],
    "friendly": ["Talk soon!", "Thanks so much!"],
    "casual": ["Let me know!", "Thanks!"],
}
SIGNOFF_EMAIL = {
    "formal": ["Kind regards,", "Best regards,"],
    "friendly": ["Best,", "Warmly,"],
    "casual": ["Cheers,", "Talk soon,"],
}


def _pick(options: list[str], seed: str) -> str:
    digest = hashlib.sha256(seed.encode()).digest()
    return options[digest[0] % len(options)]


def _clip(text: str, limit: int | None, end: str = "…") -> str:
    if limit is None or len(text) <= limit:
        return text
    return text[: limit - len(end)].rsplit(" ", 1)[0] + end


def _context(facts: DraftFacts, channel: str, squeeze: int = 0) -> dict[str, str]:
    """`squeeze` 1 and 2 shorten the quoted question and the topic for a tight SMS."""
    quote_max = {0: SMS_QUOTE_MAX, 1: 35, 2: 35}[squeeze] if channel == "sms" else None
    topic_max = {0: None, 1: 40, 2: 24}[squeeze]
    question = facts.last_question
    if quote_max is not None and len(question) > quote_max:
        question = _clip(question, quote_max, "…?")
    return {
        "first_name": facts.first_name,
        "full_name": facts.full_name,
        "company": facts.company,
        "topic": _clip(facts.topic, topic_max) or "your project",
        "stage": facts.stage,
        "amount_phrase": f" (around {facts.amount})" if facts.amount else "",
        "when": facts.last_interaction or "our last conversation",
        "question": question,
        "sender": facts.sender_name,
    }


def _parts(
    facts: DraftFacts, *, purpose: str, tone: str, channel: str, squeeze: int = 0
) -> dict[str, str]:
    seed = f"{facts.record_type}:{facts.record_id}:{purpose}:{tone}:{channel}"
    ctx = _context(facts, channel, squeeze)
    fill = lambda text: template_fill(text, ctx)  # noqa: E731
    greeting = (
        fill(_pick(GREETING[channel][tone], seed + "g"))
        if facts.first_name
        else GREETING_NO_NAME[channel][tone]
    )
    if purpose == "answer_question" and (not facts.last_question or squeeze == 2):
        core = CORE_NO_QUESTION[tone]
    else:
        core = fill(_pick(CORE[purpose][tone], seed + "c"))
    show_stage = facts.stage and facts.record_type == "deal"
    return {
        "greeting": greeting,
        "company": fill(COMPANY_LINE[tone]) if facts.company else "",
        "core": core,
        "stage": fill(STAGE_LINE[tone]) if show_stage else "",
        "closing": _pick(CLOSING[tone], seed + "x"),
        "signoff": _pick(SIGNOFF_EMAIL[tone], seed + "s"),
        "sender": facts.sender_name,
    }


def builtin_email(facts: DraftFacts, *, purpose: str, tone: str) -> str:
    p = _parts(facts, purpose=purpose, tone=tone, channel="email")
    body = " ".join(x for x in (p["company"], p["core"], p["stage"]) if x)
    lines = [p["greeting"], "", body, "", p["closing"], "", p["signoff"]]
    if p["sender"]:
        lines.append(p["sender"])
    return "\n".join(lines).strip()


def _sms_candidates(facts: DraftFacts, *, purpose: str, tone: str, squeeze: int) -> list[str]:
    """Fullest first: every subset of the optional sentences, kept in their order."""
    p = _parts(facts, purpose=purpose, tone=tone, channel="sms", squeeze=squeeze)
    sender = f"- {p['sender'].split(' ')[0]}" if p["sender"] else ""
    optional = [x for x in (p["stage"], p["closing"], sender) if x]
    return [
        " ".join([p["greeting"], p["core"], *(x for x in optional if x in extra)])
        for size in range(len(optional), -1, -1)
        for extra in combinations(optional, size)
    ]


def builtin_sms(facts: DraftFacts, *, purpose: str, tone: str, opt_out: bool) -> str:
    """The fullest version that fits one segment, else the fullest in two; long quotes and
    topics are shortened before giving up, and a last resort is cut at a word."""
    suffix = f"\n{OPT_OUT_LINE}" if opt_out else ""
    # One segment only as written; a second segment before shortening what they asked.
    for limit, squeezes in ((1, (0,)), (2, (0, 1, 2))):
        for squeeze in squeezes:
            for text in _sms_candidates(facts, purpose=purpose, tone=tone, squeeze=squeeze):
                if sms_segments(text + suffix).segments <= limit:
                    return text
    text = _sms_candidates(facts, purpose=purpose, tone=tone, squeeze=2)[-1]
    while text and sms_segments(text + suffix).segments > 2:
        text = _clip(text, len(text) - 10)
    return text
