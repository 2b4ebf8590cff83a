"""The gateway's own general-purpose prompts (imported in AppConfig.ready). Language features
(drafting, insights, intent, …) declare theirs the same way in their own modules."""

from __future__ import annotations

from pydantic import BaseModel, Field

from .builtin import (
    BuiltinRequest,
    builtin_register,
    extract_entities,
    extractive_summary,
    keywords,
)
from .prompts import PromptSpec, PromptTest, prompt_register

SUMMARY = prompt_register(
    PromptSpec(
        key="summary.text",
        feature="summary",
        description="A short summary of any CRM text (notes, an email, a transcript).",
        system="You summarise sales notes for a busy rep. Plain sentences, no preamble, no "
        "invented facts.",
        template="Summarise the following in at most {{ max_sentences }} sentences.\n\n{{ text }}",
        variables=("max_sentences", "text"),
        tests=(
            PromptTest(
                name="keeps the budget",
                variables={
                    "max_sentences": 2,
                    "text": "Called Maria about the roof. She has a "
                    "budget of $12,000 and wants it done before winter. The weather was "
                    "nice. She will send photos of the damage tomorrow.",
                },
                must_contain=("budget",),
                max_chars=400,
            ),
        ),
    )
)


class ExtractedDetails(BaseModel):
    """Contact details and facts found in a text."""

    emails: list[str] = Field(default_factory=list)
    phones: list[str] = Field(default_factory=list)
    amounts: list[str] = Field(default_factory=list, description="money amounts as written")
    dates: list[str] = Field(default_factory=list, description="dates or days as written")
    keywords: list[str] = Field(default_factory=list, description="up to 8 topic words")


EXTRACTION = prompt_register(
    PromptSpec(
        key="extraction.details",
        feature="extraction",
        description="Emails, phones, amounts, dates and keywords from a text (structured).",
        system="You extract facts from CRM text. Copy values exactly as written; never guess.",
        template="Extract the email addresses, phone numbers, money amounts, dates and up to 8 "
        "keywords from this text.\n\n{{ text }}",
        variables=("text",),
    )
)


def _summary(request: BuiltinRequest) -> str:
    try:
        limit = max(1, int(request.variables.get("max_sentences") or 3))
    except (TypeError, ValueError):
        limit = 3
    return extractive_summary(str(request.variables.get("text", "")), max_sentences=limit)


def _extraction(request: BuiltinRequest) -> ExtractedDetails:
    text = str(request.variables.get("text", ""))
    found = extract_entities(text)
    return ExtractedDetails(
        emails=found["emails"],
        phones=found["phones"],
        amounts=found["amounts"],
        dates=found["dates"],
        keywords=keywords(text),
    )


builtin_register(SUMMARY.key, _summary)
builtin_register(EXTRACTION.key, _extraction)
