"""The built-in engine: the offline default and the last fallback of every chain.

It is deterministic and needs no network: templates filled from CRM data, extractive summaries
(sentences scored by word frequency), rule and keyword extraction. Features register their own
offline implementation with `builtin_register(key, handler)` (key = a prompt key or a feature);
without one, text prompts get an extractive summary of their inputs and structured prompts get
their schema filled from what the rules can extract.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from .prompts import RenderedPrompt

ENGINE_LABEL = "Built-in engine"


class BuiltinCannotAnswer(Exception):
    """A handler (or the generic filler) has nothing sensible to return for this input."""


@dataclass(frozen=True)
class BuiltinRequest:
    feature: str
    prompt_key: str
    variables: Mapping[str, Any]
    prompt: RenderedPrompt
    record: Any = None
    user: Any = None
    schema: type[BaseModel] | None = None


BuiltinHandler = Callable[[BuiltinRequest], "str | Mapping[str, Any] | BaseModel"]
_HANDLERS: dict[str, BuiltinHandler] = {}


def builtin_register(key: str, handler: BuiltinHandler) -> BuiltinHandler:
    """Give a prompt key (or a whole feature) its own offline implementation."""
    _HANDLERS[key] = handler
    return handler


def builtin_answer(request: BuiltinRequest) -> str | dict[str, Any]:
    """Text for completions, a dict (validated against the schema) for structured calls."""
    handler = _HANDLERS.get(request.prompt_key) or _HANDLERS.get(request.feature)
    if handler is not None:
        answer = handler(request)
    elif request.schema is not None:
        answer = schema_fill(request.schema, _source_text(request))
    else:
        answer = extractive_summary(_source_text(request)) or request.prompt.user.strip()
    if request.schema is None:
        if not isinstance(answer, str):
            raise BuiltinCannotAnswer(f"{request.prompt_key}: handler returned no text")
        return answer
    if isinstance(answer, str):  # a text handler asked for structure: the generic filler
        answer = schema_fill(request.schema, _source_text(request))
    if isinstance(answer, BaseModel):
        answer = answer.model_dump(mode="json")
    return request.schema.model_validate(answer).model_dump(mode="json")


def _source_text(request: BuiltinRequest) -> str:
    """The caller's own text: the string variables, longest first (the prompt's instructions
    are not content to summarise)."""
    texts = [str(v) for v in request.variables.values() if isinstance(v, str) and v.strip()]
    return "\n".join(sorted(texts, key=len, reverse=True))


# --- text tools ------------------------------------------------------------------------------

_STOPWORDS_TEXT = """
a about above after again against all am an and any are as at be because been before
being below between both but by can could did do does doing down during each few for from
further had has have having he her here hers him his how i if in into is it its itself just
me more most my no nor not now of off on once only or other our ours out over own same she
should so some such than that the their theirs them then there these they this those through
to too under until up very was we were what when where which while who whom why will with
would you your yours also get got us let ok okay hi hello thanks thank please de la el en y
que los las por un una con para es"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_WORD = re.compile(r"[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ'\-]+")


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text) if len(s.strip()) > 1]


def words(text: str) -> list[str]:
    return [w.lower().strip("'-") for w in _WORD.findall(text)]


def keywords(text: str, *, limit: int = 8) -> list[str]:
    """The most frequent content words, ties broken by first appearance."""
    counts, first = Counter(), {}
    for index, word in enumerate(words(text)):
        if len(word) < 3 or word in STOPWORDS:
            continue
        counts[word] += 1
        first.setdefault(word, index)
    return sorted(counts, key=lambda w: (-counts[w], first[w]))[:limit]


def extractive_summary(text: str, *, max_sentences: int = 3) -> str:
    """The highest-scoring sentences in their original order. A sentence scores the mean
    frequency of its content words, with a small bonus for coming early."""
    found = sentences(text)
    if len(found) <= max_sentences:
        return " ".join(found)
    freq = Counter(w for w in words(text) if w not in STOPWORDS and len(w) > 2)
    top = max(freq.values(), default=1)

    def score(item: tuple[int, str]) -> float:
        index, sentence = item
        content = [w for w in words(sentence) if w in freq]
        if not content:
            return 0.0
        return sum(freq[w] / top for w in content) / math.sqrt(len(content)) + 0.3 / (index + 1)

    ranked = sorted(enumerate(found), key=lambda item: (-score(item), item[0]))[:max_sentences]
    return " ".join(sentence for _, sentence in sorted(ranked))


EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
# International (+…) or North American numbers, with the usual separators.
PHONE = re.compile(
    r"(?<![\w])(?:\+\d{1,3}[\s.\-]?)?(?:\(\d{2,4}\)|\d{2,4})[\s.\-]?\d{3,4}[\s.\-]?\d{3,4}(?![\w])"
)
MONEY = re.compile(r"(?:\$|USD\s?|€|£)\s?\d[\d,]*(?:\.\d+)?(?:\s?[kKmM]\b)?")
DATE = re.compile(
    r"\b(?:\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}(?:/\d{2,4})?|(?:mon|tues|wednes|thurs|fri|satur|sun)"
    r"day|tomorrow|today|next week|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
    r"\s+\d{1,2}(?:st|nd|rd|th)?)\b",
    re.IGNORECASE,
)
URL = re.compile(r"https?://[^\s<>\"')]+")
_ACTION = re.compile(
    r"\b(?:will|need to|needs to|must|should|going to|follow up|send|call|schedule|remind)\b",
    re.IGNORECASE,
)


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(i.strip() for i in items if i.strip()))


def extract_entities(text: str) -> dict[str, list[str]]:
    emails = _unique(EMAIL.findall(text))
    without_emails = EMAIL.sub(" ", text)
    return {
        "emails": emails,
        "phones": _unique(PHONE.findall(URL.sub(" ", without_emails))),
        "amounts": _unique(MONEY.findall(text)),
        "dates": _unique(DATE.findall(text)),
        "urls": _unique(URL.findall(text)),
    }


def action_sentences(text: str) -> list[str]:
    return [s for s in sentences(text) if _ACTION.search(s)]


# What the generic filler can produce for a schema field, by the field's name.
_FIELD_SOURCES: dict[str, Callable[[str], Any]] = {
    "summary": extractive_summary,
    "keywords": keywords,
    "topics": lambda t: keywords(t, limit=5),
    "action_items": action_sentences,
    "emails": lambda t: extract_entities(t)["emails"],
    "phones": lambda t: extract_entities(t)["phones"],
    "amounts": lambda t: extract_entities(t)["amounts"],
    "dates": lambda t: extract_entities(t)["dates"],
    "urls": lambda t: extract_entities(t)["urls"],
}


def schema_fill(schema: type[BaseModel], text: str) -> dict[str, Any]:
    """Fill the fields the rules know by name; the rest keep their defaults. A required field
    the rules cannot fill means the built-in engine cannot answer this schema."""
    data: dict[str, Any] = {}
    for name, info in schema.model_fields.items():
        source = _FIELD_SOURCES.get(name)
        if source is not None:
            data[name] = source(text)
        elif info.is_required():
            raise BuiltinCannotAnswer(
                f"The built-in engine cannot fill {schema.__name__}.{name}; register a handler "
                "with builtin_register()."
            )
    return data


# --- templates filled from CRM data ------------------------------------------------------------

_SLOT = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\}\}")


def template_fill(template: str, context: Mapping[str, Any]) -> str:
    """`{{ contact.first_name }}`-style slots from a context; an empty slot leaves nothing
    rather than "None", and spaces left by it are tidied."""

    def value(match: re.Match) -> str:
        current: Any = context
        for part in match.group(1).split("."):
            current = current.get(part) if isinstance(current, Mapping) else None
            if current is None:
                return ""
        return str(current)

    filled = _SLOT.sub(value, template)
    return re.sub(r"[ \t]+([,.!?])", r"\1", re.sub(r"[ \t]{2,}", " ", filled)).strip()


def record_context(record: Any) -> dict[str, Any]:
    """The fields templates may use, for a contact, company, lead or deal (others: {})."""
    if record is None:
        return {}
    model = record._meta.model_name
    context: dict[str, Any] = {"record_type": model}
    contact = (
        record
        if model == "contact"
        else getattr(record, "contact", None) or getattr(record, "primary_contact", None)
    )
    if contact is not None:
        context["contact"] = {
            "first_name": contact.first_name,
            "last_name": contact.last_name,
            "name": f"{contact.first_name} {contact.last_name}".strip(),
            "email": contact.email,
            "phone": contact.phone,
            "city": contact.city,
        }
    company = (
        record
        if model == "company"
        else getattr(record, "company", None) or getattr(contact, "company", None)
    )
    if company is not None:
        context["company"] = {"name": company.name, "industry": company.industry}
    owner = getattr(record, "owner", None)
    if owner is not None:
        context["owner"] = {"name": owner.get_full_name(), "first_name": owner.get_short_name()}
    for name in ("interest", "source", "status", "title", "amount", "estimated_value"):
        if hasattr(record, name):
            context[name] = getattr(record, name)
    stage = getattr(record, "stage", None)
    if stage is not None:
        context["stage"] = getattr(stage, "name", str(stage))
    return context
