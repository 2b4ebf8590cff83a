"""Sentiment -1..1 with VADER (offline, rule-based, tuned for short social text and emoji).

VADER's lexicon is English. For Spanish, a message recognised as Spanish is first glossed word
by word into the English words VADER knows ("muy bueno, gracias" → "very good, thanks"; "no"
→ "not"), so VADER's negation and booster rules apply. That covers the everyday vocabulary of
replies, not idiom or sarcasm (docs/language.md, "Limits").
"""

from __future__ import annotations

import re
import threading
import unicodedata

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

ENGINE = "vader"

# Spanish → an English word with the same weight in VADER's lexicon (or a negator/booster).
SPANISH_GLOSS: dict[str, str] = {
    "no": "not", "nunca": "never", "jamas": "never", "nada": "nothing", "ni": "nor",
    "muy": "very", "super": "very", "bastante": "quite", "demasiado": "too", "tan": "so",
    "mas": "more", "poco": "little", "algo": "somewhat",
    "bueno": "good", "buena": "good", "buenos": "good", "buenas": "good", "bien": "good",
    "excelente": "excellent", "perfecto": "perfect", "perfecta": "perfect",
    "genial": "great", "increible": "amazing", "maravilloso": "wonderful",
    "hermosa": "beautiful", "hermoso": "beautiful", "bonita": "pretty", "bonito": "pretty",
    "gracias": "thanks", "agradezco": "appreciate", "encanta": "love", "encanto": "loved",
    "amo": "love", "feliz": "happy", "contento": "happy", "contenta": "happy",
    "gusta": "like", "gusto": "like", "interesa": "interested", "interesado": "interested",
    "interesada": "interested", "claro": "sure", "listo": "ready", "lista": "ready",
    "ayuda": "help", "rapido": "quick", "amable": "kind", "recomiendo": "recommend",
    "malo": "bad", "mala": "bad", "mal": "bad", "pesimo": "terrible", "pesima": "terrible",
    "horrible": "horrible", "terrible": "terrible", "odio": "hate", "molesta": "annoying",
    "molesto": "annoyed", "molesten": "annoy", "enojado": "angry", "enojada": "angry",
    "triste": "sad", "caro": "expensive", "cara": "expensive", "problema": "problem",
    "problemas": "problems", "queja": "complaint", "estafa": "scam", "fraude": "fraud",
    "basura": "trash", "spam": "spam", "lento": "slow", "tarde": "late",
    "decepcionado": "disappointed", "decepcionada": "disappointed",
    "preocupado": "worried", "preocupada": "worried", "urgente": "urgent", "dano": "damage",
    "gotera": "leak", "roto": "broken", "rota": "broken", "lamentablemente": "unfortunately",
    "desafortunadamente": "unfortunately", "porfavor": "please", "favor": "please",
}  # fmt: skip
SPANISH_MARKERS = {
    "el", "la", "los", "las", "de", "que", "y", "en", "un", "una", "es", "por", "para", "con",
    "muy", "pero", "gracias", "mi", "su", "usted", "ustedes", "casa", "esta", "estoy", "quiero",
    "no", "si", "me", "nos", "ya", "bien", "bueno", "hola", "cuanto", "cuando", "donde",
}  # fmt: skip
ENGLISH_MARKERS = {
    "the", "and", "is", "are", "you", "i", "to", "of", "it", "my", "we", "this", "that", "for",
    "with", "not", "be", "have", "your", "please", "thanks", "but",
}  # fmt: skip

_lock = threading.Lock()
_analyzer: SentimentIntensityAnalyzer | None = None


def _vader() -> SentimentIntensityAnalyzer:
    global _analyzer
    with _lock:
        if _analyzer is None:
            _analyzer = SentimentIntensityAnalyzer()
        return _analyzer


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text if not unicodedata.combining(ch)).lower()


def looks_spanish(text: str) -> bool:
    words = re.findall(r"[a-zñ]+", _fold(text))
    spanish = sum(w in SPANISH_MARKERS for w in words)
    english = sum(w in ENGLISH_MARKERS for w in words)
    return (spanish >= 1 and spanish > english) or any(ch in text for ch in "¿¡ñ")


def _gloss(text: str) -> str:
    def swap(match: re.Match[str]) -> str:
        return SPANISH_GLOSS.get(match.group(0), match.group(0))

    return re.sub(r"[a-zñ]+", swap, _fold(text))


def sentiment_analyze(text: str) -> tuple[float, str]:
    """(compound score in -1..1, "en" or "es")."""
    if not text or not text.strip():
        return 0.0, "en"
    lang = "es" if looks_spanish(text) else "en"
    prepared = _gloss(text) if lang == "es" else text
    return round(float(_vader().polarity_scores(prepared)["compound"]), 4), lang
