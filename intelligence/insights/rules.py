"""The built-in engine's conversation analysis: deterministic rules, no network.

A conversation is plain text, optionally with speaker labels ("Rep: …", "Dana: …", "[02:14]
Agent: …"). With labels, the rules know who said what (talk share, who asked questions, which
objections the customer raised); without them (meeting notes, a note) they read all sentences.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from intelligence.ai.builtin import (
    DATE,
    MONEY,
    STOPWORDS,
    action_sentences,
    extractive_summary,
    keywords,
    sentences,
)

# "Rep: …", "Dana Smith (customer): …", "[00:42] Agent: …", "Speaker 1 - …" at a line start.
_SPEAKER = re.compile(
    r"^\s*(?:\[?\(?\d{1,2}:\d{2}(?::\d{2})?\)?\]?\s*)?"
    r"(?P<name>[A-Za-zÀ-ÿ][\w .'\u2019()\-]{0,40}?)\s*(?::|\s-\s)\s*(?P<text>\S.*)$"
)
REP_LABELS = frozenset({"rep", "agent", "sales", "salesperson", "me", "advisor", "associate"})
CUSTOMER_LABELS = frozenset({"customer", "client", "prospect", "caller", "lead", "buyer", "them"})
# Words that fill conversations without saying what they are about.
_FILLERS_TEXT = """
yeah yes yep nope know think like really just right sure well going want great good
    mean thing things something actually maybe gonna kind sort okay alright absolutely
    definitely totally uh um hmm oh wow cool awesome one two lot much say said tell
    see look looking would could need make sounds sound call rep customer agent client"""
FILLERS = frozenset(_FILLERS_TEXT.split())

OBJECTION_RULES: dict[str, re.Pattern] = {
    "price": re.compile(
        r"\b(?:too (?:expensive|pricey|much|high)|can'?t afford|cannot afford|out of (?:our|my) "
        r"budget|over (?:our|my) budget|cheaper|lower price|price is (?:a bit |too |really )?"
        r"high|costs? too much|a lot of money|expensive)\b",
        re.IGNORECASE,
    ),
    "timing": re.compile(
        r"\b(?:not (?:a good|the right) time|not right now|maybe (?:next|later)|next (?:year|"
        r"quarter|spring|summer|fall|winter)|too busy|call (?:me )?back later|not ready|bad "
        r"timing|wait until|hold off)\b",
        re.IGNORECASE,
    ),
    "authority": re.compile(
        r"\b(?:talk(?:ing)? (?:to|with|it over with) my (?:wife|husband|partner|boss|spouse|"
        r"team|manager)|check with my|run (?:it|this) by|not my decision|need (?:to ask|"
        r"approval)|(?:wife|husband|partner|boss) (?:decides|has to))\b",
        re.IGNORECASE,
    ),
    "need": re.compile(
        r"\b(?:don'?t (?:really )?need|not interested|no need|already have (?:one|a|an|it)|"
        r"happy with (?:what|our|my|the current)|doesn'?t need)\b",
        re.IGNORECASE,
    ),
    "competition": re.compile(
        r"\b(?:already (?:working|going) with|another (?:company|contractor|vendor|quote)|"
        r"(?:other|competing) (?:quotes?|offers?|bids?)|(?:got|have|getting) (?:a |an )?"
        r"(?:quote|bid|offer|estimate) from)\b",
        re.IGNORECASE,
    ),
    "trust": re.compile(
        r"\b(?:bad reviews?|not sure (?:i|we) (?:can )?trust|heard bad things|scam|don'?t "
        r"trust|not convinced|skeptical|sceptical)\b",
        re.IGNORECASE,
    ),
}
PRICING = re.compile(
    r"\b(?:price|prices|pricing|cost|costs|quote|quoted|estimate|budget|discount|financing|"
    r"payment plan|per month|deposit)\b",
    re.IGNORECASE,
)
NEXT_STEP = re.compile(
    r"\b(?:next step|schedule|scheduled|book|booked|calendar|appointment|follow[- ]up|"
    r"send (?:you|over)|i'?ll (?:send|call|email|text)|we'?ll (?:send|call|meet)|"
    r"call you (?:on|back|tomorrow|next)|meet (?:on|again|next)|see you (?:on|next|tomorrow))\b",
    re.IGNORECASE,
)
# "Hi Maria, thanks for taking my call" names an action word without committing to anything.
_GREETING = re.compile(
    r"^\W*(?:hi|hello|hey|good (?:morning|afternoon|evening)|thanks|thank you)\b", re.I
)
_LEADING_LABEL = re.compile(r"^\s*(?:\[?\(?\d{1,2}:\d{2}(?::\d{2})?\)?\]?\s*)?")


@dataclass(frozen=True)
class Turn:
    speaker: str  # "" when the text has no speaker labels
    text: str
    is_rep: bool | None  # None: unknown


@dataclass
class Conversation:
    turns: list[Turn]
    labelled: bool
    rep_names: frozenset[str] = field(default_factory=frozenset)

    @property
    def plain(self) -> str:
        """The words only (speaker labels would skew summaries and topics)."""
        return "\n".join(t.text for t in self.turns)

    def customer_text(self) -> str:
        if not self.labelled:
            return self.plain
        return "\n".join(t.text for t in self.turns if not t.is_rep)


def _rep_label(name: str, rep_names: Iterable[str]) -> bool | None:
    key = re.sub(r"[()]", " ", name.lower()).split()
    if any(part in REP_LABELS for part in key) or any(n and n in key for n in rep_names):
        return True
    if any(part in CUSTOMER_LABELS for part in key):
        return False
    return None


def conversation_parse(text: str, *, rep_names: Iterable[str] = ()) -> Conversation:
    """Turns of a transcript. Unlabelled speakers: the first labelled speaker who is not
    known as the customer is taken to be the rep (reps start the calls they log)."""
    rep_names = frozenset(n.lower() for n in rep_names if n)
    lines = [line for line in text.splitlines() if line.strip()]
    parsed: list[tuple[str, str]] = []
    for line in lines:
        match = _SPEAKER.match(line)
        if match and len(match.group("name").split()) <= 4:
            parsed.append((match.group("name").strip(), match.group("text").strip()))
        elif parsed:  # a continuation line of the previous speaker
            speaker, said = parsed[-1]
            parsed[-1] = (speaker, f"{said} {line.strip()}")
        else:
            parsed.append(("", line.strip()))
    speakers = {s for s, _ in parsed if s}
    labelled = len(speakers) >= 2 and sum(1 for s, _ in parsed if s) >= len(parsed) * 0.6
    if not labelled:
        return Conversation([Turn("", _LEADING_LABEL.sub("", text).strip(), None)], False)
    roles = {s: _rep_label(s, rep_names) for s in speakers}
    if not any(roles.values()):
        first = next((s for s, _ in parsed if s and roles[s] is not False), None)
        if first is not None:
            roles[first] = True
    turns = [Turn(s, t, bool(roles.get(s))) for s, t in parsed if t]
    return Conversation(turns, True, rep_names)


# --- the pieces ------------------------------------------------------------------------------


def summary_of(conversation: Conversation, *, max_sentences: int = 3) -> str:
    return extractive_summary(conversation.plain, max_sentences=max_sentences)


def action_items_of(conversation: Conversation, *, limit: int = 8) -> list[str]:
    """Sentences that commit someone to do something (questions are not commitments)."""
    found = []
    for sentence in action_sentences(conversation.plain):
        if sentence.endswith("?") or len(sentence.split()) < 4 or _GREETING.match(sentence):
            continue
        found.append(sentence[:300])
    return list(dict.fromkeys(found))[:limit]


def topics_of(conversation: Conversation, *, limit: int = 6) -> list[str]:
    speakers = {w.lower() for t in conversation.turns for w in t.speaker.split()}
    candidates = keywords(conversation.plain, limit=limit * 4)
    skip = FILLERS | STOPWORDS | speakers | conversation.rep_names
    return [w for w in candidates if w not in skip][:limit]


def objections_of(conversation: Conversation) -> list[dict[str, str]]:
    """Each (category, sentence) once, in the order they were raised, from the customer's
    side when speakers are known."""
    found: list[dict[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for sentence in sentences(conversation.customer_text()):
        for category, rule in OBJECTION_RULES.items():
            if rule.search(sentence) and (category, sentence) not in seen:
                seen.add((category, sentence))
                found.append({"category": category, "quote": sentence[:300]})
    return found


def competitor_pattern(spelling: str) -> re.Pattern:
    return re.compile(rf"(?<![\w]){re.escape(spelling.strip())}(?![\w])", re.IGNORECASE)


def competitor_mentions(text: str, competitors: Iterable[tuple[str, list[str]]]) -> list[dict]:
    """[{"competitor": name, "quote": sentence}] for each competitor named (by any of its
    spellings), first mention only."""
    found = []
    all_sentences = sentences(text)
    for name, spellings in competitors:
        patterns = [competitor_pattern(s) for s in spellings if s.strip()]
        quote = next((s for s in all_sentences if any(p.search(s) for p in patterns)), None)
        if quote is not None:
            found.append({"competitor": name, "quote": quote[:300]})
    return found


def conversation_stats(conversation: Conversation) -> dict:
    plain = conversation.plain
    stats: dict = {
        "words": len(plain.split()),
        "pricing_discussed": bool(PRICING.search(plain) or MONEY.search(plain)),
        "next_step": bool(NEXT_STEP.search(plain))
        or any(DATE.search(s) for s in action_sentences(plain)),
        "labelled": conversation.labelled,
    }
    if conversation.labelled:
        rep_words = sum(len(t.text.split()) for t in conversation.turns if t.is_rep)
        total = sum(len(t.text.split()) for t in conversation.turns) or 1
        rep_questions = sum(t.text.count("?") for t in conversation.turns if t.is_rep)
        customer_questions = sum(t.text.count("?") for t in conversation.turns if not t.is_rep)
        stats.update(
            rep_talk_share=round(rep_words / total, 2),
            rep_questions=rep_questions,
            customer_questions=customer_questions,
            turns=len(conversation.turns),
        )
    return stats


def coaching_tips_of(
    *,
    stats: dict,
    objections: list[dict],
    competitors: list[dict],
    sentiment_arc: list[float],
) -> list[str]:
    """Rules a sales coach would apply to the call, most useful first."""
    tips = []
    share = stats.get("rep_talk_share")
    if share is not None and share > 0.65:
        tips.append(
            f"You talked {round(share * 100)} % of the time. Aim for under 60 %: ask an "
            "open question and let the customer talk."
        )
    if stats.get("labelled") and stats.get("turns", 0) >= 6 and stats.get("rep_questions", 0) < 2:
        tips.append(
            "Few discovery questions were asked. Ask about their timeline, budget and who "
            "else decides."
        )
    if stats.get("pricing_discussed") and not stats.get("next_step"):
        tips.append(
            "Pricing was discussed without a follow-up. Book a time to walk through the "
            "quote before it goes cold."
        )
    elif not stats.get("next_step"):
        tips.append("No clear next step. End with a date and time agreed for the next contact.")
    categories = [o["category"] for o in objections]
    if "price" in categories:
        tips.append(
            "A price objection came up. Restate the value (what the problem costs them) "
            "before discussing a discount."
        )
    if "authority" in categories:
        tips.append("Another person decides. Offer a short call with them too.")
    for mention in competitors[:2]:
        tips.append(
            f"{mention['competitor']} was mentioned. Ask what they like about it and send "
            "your comparison."
        )
    if len(sentiment_arc) >= 2 and sentiment_arc[-1] - sentiment_arc[0] <= -0.3:
        tips.append(
            "The mood dropped toward the end. Check in on their concerns before the next step."
        )
    return tips[:6]
