"""The structured answers the insight and Ask-the-CRM prompts must return (validated by the
gateway; an invalid answer is retried once, then the built-in engine answers)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

ObjectionCategory = Literal["price", "timing", "authority", "need", "competition", "trust", "other"]


class Objection(BaseModel):
    category: ObjectionCategory
    quote: str = Field(min_length=1, max_length=400, description="the customer's words")


class CompetitorMention(BaseModel):
    competitor: str = Field(min_length=1, max_length=120, description="a name from the list")
    quote: str = Field(default="", max_length=400)


class ConversationInsightOut(BaseModel):
    """Insights of one call, meeting or message thread."""

    summary: str = Field(min_length=1, max_length=2000, description="2-3 plain sentences")
    action_items: list[str] = Field(default_factory=list, max_length=12)
    topics: list[str] = Field(default_factory=list, max_length=10)
    objections: list[Objection] = Field(default_factory=list, max_length=12)
    competitor_mentions: list[CompetitorMention] = Field(default_factory=list, max_length=12)
    coaching_tips: list[str] = Field(default_factory=list, max_length=6)


class LeadFilterOut(BaseModel):
    """A leads-list filter read from a question. Values are checked against the workspace's
    own statuses, owners, sources, places and custom fields afterwards; anything else is
    dropped (extra keys are ignored by the model)."""

    statuses: list[str] = Field(default_factory=list, description="lead status values")
    temperature: str | None = Field(default=None, description="hot, warm, cold or unscored")
    owner: str | None = Field(default=None, description='"me", "none" or a team member\'s name')
    source: str | None = None
    city: str | None = None
    region: str | None = Field(default=None, description="state or province")
    created_from: str | None = Field(default=None, description="YYYY-MM-DD")
    created_to: str | None = Field(default=None, description="YYYY-MM-DD")
    no_activity_since: str | None = Field(
        default=None, description="YYYY-MM-DD: leads with no activity on or after this day"
    )
    name: str | None = Field(default=None, description="a person's name, email or phone")
    custom: dict[str, str] = Field(default_factory=dict, description="custom field key: value")
    sort: str | None = Field(default=None, description="-score, -created, created or -value")
    unrecognized: list[str] = Field(default_factory=list, description="words not understood")
