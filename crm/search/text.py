"""Normalising text for the search index and for queries: the same rules on both sides."""

from __future__ import annotations

import re
import unicodedata

from crm.contacts.normalize import phone_search_variants

MAX_QUERY_LENGTH = 200  # longer input is cut: nobody types more into a search box
_WORD = re.compile(r"[a-z0-9]+")
_PHONEISH = re.compile(r"^[\d\s().+\-/]{7,}$")


def fold(value: str) -> str:
    """Lowercase without accents ("José" -> "jose")."""
    decomposed = unicodedata.normalize("NFKD", value or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def words(value: str) -> list[str]:
    return _WORD.findall(fold(value))


def trigrams_of(tokens: list[str]) -> list[str]:
    """pg_trgm's 3-grams: each word padded with two spaces before and one after."""
    grams: set[str] = set()
    for word in tokens:
        padded = f"  {word} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return sorted(grams)


def phone_keys(e164: str) -> list[str]:
    """An E.164 number and its national digits (US: without the leading 1)."""
    if not e164:
        return []
    digits = e164.lstrip("+")
    keys = [e164, digits]
    if e164.startswith("+1") and len(digits) == 11:
        keys.append(digits[1:])
    return keys


def query_terms(raw: str, *, region: str = "US") -> tuple[list[str], list[str]]:
    """(words, exact keys) of what the user typed. A phone in any format becomes its E.164
    key; an email its lowercase self. A phone's digits also count as one word, so a partial
    number still matches by trigrams."""
    # Control characters (NUL included) never reach the database.
    text = "".join(c for c in (raw or "") if c.isprintable()).strip()[:MAX_QUERY_LENGTH]
    keys: list[str] = []
    tokens = words(text)
    if _PHONEISH.match(text):
        digits = re.sub(r"\D", "", text)
        tokens = [digits]
        e164 = phone_search_variants(text, region=region)
        keys.extend(phone_keys(e164) if e164 else [digits])
    elif "@" in text and " " not in text and len(text) <= 254:
        keys.append(text.lower())
    return tokens[:12], keys
