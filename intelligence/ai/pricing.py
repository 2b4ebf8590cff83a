"""Cost of a call in USD from a price table per million tokens (input, output).

Matched by the longest model-name prefix; settings.LODESTAR_AI_PRICES overrides or extends it.
OpenAI-compatible servers (a local Llama) cost nothing; an external model missing from the table
is priced at UNKNOWN_MODEL so a budget still holds (and the report shows it was a guess).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

from .models import ProviderKind

PRICES_PER_MTOK: dict[str, tuple[str, str]] = {
    # Anthropic
    "claude-opus-4": ("15", "75"),
    "claude-opus-4-5": ("5", "25"),
    "claude-sonnet-4": ("3", "15"),
    "claude-haiku-4": ("1", "5"),
    "claude-3-5-haiku": ("0.80", "4"),
    "claude-3-haiku": ("0.25", "1.25"),
    # OpenAI
    "gpt-5": ("1.25", "10"),
    "gpt-5-mini": ("0.25", "2"),
    "gpt-5-nano": ("0.05", "0.40"),
    "gpt-4.1": ("2", "8"),
    "gpt-4.1-mini": ("0.40", "1.60"),
    "gpt-4.1-nano": ("0.10", "0.40"),
    "gpt-4o": ("2.50", "10"),
    "gpt-4o-mini": ("0.15", "0.60"),
}
UNKNOWN_MODEL = ("3", "15")
MILLION = Decimal(1_000_000)


def price_for(*, kind: str, model: str) -> tuple[Decimal, Decimal]:
    table = {**PRICES_PER_MTOK, **{k: tuple(v) for k, v in settings.LODESTAR_AI_PRICES.items()}}
    match = max((p for p in table if model.startswith(p)), key=len, default=None)
    if match is not None:
        price = table[match]
    elif kind == ProviderKind.OPENAI_COMPATIBLE:
        price = ("0", "0")
    else:
        price = UNKNOWN_MODEL
    return Decimal(str(price[0])), Decimal(str(price[1]))


def cost_usd(*, kind: str, model: str, tokens_in: int, tokens_out: int) -> Decimal:
    if kind == "builtin":
        return Decimal("0")
    price_in, price_out = price_for(kind=kind, model=model)
    cost = (price_in * tokens_in + price_out * tokens_out) / MILLION
    return cost.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)
