"""The conversation-insights prompt and its offline implementation (imported in
AppConfig.ready; `ask` registers the Ask-the-CRM prompt the same way)."""

from __future__ import annotations

from intelligence.ai.builtin import BuiltinRequest, builtin_register
from intelligence.ai.prompts import PromptSpec, PromptTest, prompt_register

from . import ask, rules  # noqa: F401  (ask: registers insights.ask)
from .schemas import ConversationInsightOut

FEATURE = "insights"

INSIGHT_PROMPT = prompt_register(
    PromptSpec(
        key="insights.conversation",
        feature=FEATURE,
        description="Summary, action items, topics, objections, competitor mentions and "
        "coaching tips of a call transcript, meeting notes or a message thread (structured).",
        system="You are a sales coach reading a rep's conversation with a customer. Quote the "
        "customer's own words for objections. Action items are concrete commitments (who does "
        "what, by when). Name only competitors from the list given. Never invent facts.",
        template="Kind: {{ kind }}\nRep: {{ rep }}\nCompetitors to watch for: {{ competitors }}"
        "\n\n{{ text }}",
        variables=("kind", "rep", "competitors", "text"),
        tests=(
            PromptTest(
                name="call with an objection",
                variables={
                    "kind": "call",
                    "rep": "Dana",
                    "competitors": "RoofCo",
                    "text": "Rep: Hi, this is Dana about your roof.\nCustomer: Honestly it "
                    "is too expensive, RoofCo quoted less.\nRep: I will send you a "
                    "comparison by Friday.",
                },
            ),
        ),
    )
)


def builtin_insight(request: BuiltinRequest) -> ConversationInsightOut:
    """Offline insights: extractive summary, action sentences, keyword topics, objection
    phrase rules, competitor matching and coaching rules."""
    variables = request.variables
    # "RoofCo: Roof Co, RC; Apex" → [("RoofCo", ["RoofCo", "Roof Co", "RC"]), ("Apex", ["Apex"])]
    competitors = []
    for part in str(variables.get("competitors", "")).split(";"):
        name, _, aliases = part.partition(":")
        if name.strip():
            spellings = [name.strip(), *(a.strip() for a in aliases.split(",") if a.strip())]
            competitors.append((name.strip(), spellings))
    rep = str(variables.get("rep", ""))
    conversation = rules.conversation_parse(
        str(variables.get("text", "")), rep_names=[rep, *rep.split()[:1]]
    )
    objections = rules.objections_of(conversation)
    mentions = rules.competitor_mentions(conversation.plain, competitors)
    tips = rules.coaching_tips_of(
        stats=rules.conversation_stats(conversation),
        objections=objections,
        competitors=mentions,
        sentiment_arc=[],
    )
    return ConversationInsightOut(
        summary=rules.summary_of(conversation) or conversation.plain[:300] or "(empty)",
        action_items=rules.action_items_of(conversation),
        topics=rules.topics_of(conversation),
        objections=objections[:12],
        competitor_mentions=mentions[:12],
        coaching_tips=tips,
    )


builtin_register(INSIGHT_PROMPT.key, builtin_insight)
