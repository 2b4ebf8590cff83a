"""The LLM second opinion on a reply's intent, for classifier readings under REFINE_BELOW
confidence. Runs only when the workspace has an AI provider (the built-in engine has nothing to
add to the classifier, so the call is skipped rather than billed as a no-op). The answer can
never make an opt-out final: `services._refined` marks any model opt-out for a rep to confirm."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from intelligence.ai.builtin import BuiltinCannotAnswer, BuiltinRequest, builtin_register
from intelligence.ai.prompts import PromptSpec, prompt_register
from intelligence.ai.services import ai_settings_get, ai_structured

from .models import Intent

PROMPT_KEY = "intent.refine"
FEATURE = "intent"


class IntentReading(BaseModel):
    intent: Literal[
        "opt_out", "interested", "not_interested", "question", "appointment_request",
        "wrong_number", "unknown",
    ]  # fmt: skip
    confidence: float = Field(ge=0, le=1)
    reason: str = Field(max_length=200, description="a few words a rep understands")


def _no_offline_opinion(request: BuiltinRequest) -> str:
    raise BuiltinCannotAnswer("the classifier already gave the offline reading")


def intent_refine_register() -> None:
    """Declare the prompt and hook the refiner in (AppConfig.ready; idempotent)."""
    from .services import intent_refiner_register

    prompt_register(
        PromptSpec(
            key=PROMPT_KEY,
            feature=FEATURE,
            description="Second opinion on an SMS / chat reply's intent when the classifier "
            "is unsure.",
            system="You read short replies that prospects send to a sales team and name their "
            "intent. Answer only from the message.",
            template="Message: {{ text }}\n\nThe classifier guessed {{ guess }} "
            "({{ confidence }}). Choose the intent: opt_out, interested, not_interested, "
            "question, appointment_request, wrong_number or unknown.",
            variables=("text", "guess", "confidence"),
        )
    )
    builtin_register(PROMPT_KEY, _no_offline_opinion)
    intent_refiner_register(intent_refine)


def intent_refine(*, text: str, result):
    """A better IntentResult from the workspace's AI provider, or None (keep the classifier)."""
    from .services import IntentResult

    if ai_settings_get().primary_id is None:
        return None
    answer = ai_structured(
        feature=FEATURE,
        prompt_key=PROMPT_KEY,
        schema=IntentReading,
        variables={"text": text, "guess": result.intent, "confidence": f"{result.confidence:.2f}"},
    )
    if not answer.ok or answer.is_builtin or not answer.data:
        return None
    reading = IntentReading.model_validate(answer.data)
    if reading.intent not in Intent.values:
        return None
    return IntentResult(
        reading.intent, reading.confidence, False, reading.reason or "AI reading", answer.engine
    )
