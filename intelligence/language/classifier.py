"""The reply-intent text classifier: TF-IDF word and character n-grams into a calibrated
logistic regression, trained on the shipped labelled replies (data/replies.csv) plus a
workspace's own corrections. Pure scikit-learn, no Django: the benchmark uses it directly.

Opt-out is decided by optout.py before this model is asked, and the model is not trained on
opt-outs at all: it chooses among the other six intents.
"""

from __future__ import annotations

import csv
import re
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import FeatureUnion, Pipeline

INTENTS = (
    "opt_out",
    "interested",
    "not_interested",
    "question",
    "appointment_request",
    "wrong_number",
    "unknown",
)
DATASET = Path(__file__).resolve().parent / "data" / "replies.csv"
SEED = 7


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    lang: str = "en"
    tag: str = ""


def dataset_load(path: Path = DATASET) -> list[Example]:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = [Example(r["text"], r["intent"], r["lang"], r["tag"]) for r in csv.DictReader(fh)]
    unknown = {r.intent for r in rows} - set(INTENTS)
    if unknown:
        raise ValueError(f"{path.name}: unknown intents {sorted(unknown)}")
    return rows


def _prepare(text: str) -> str:
    """Accents folded (Spanish typed with or without them), emoji kept as word tokens."""
    text = unicodedata.normalize("NFKD", text.lower())
    out = []
    for ch in text:
        if unicodedata.combining(ch) or ch in "\ufe0f\u200d":
            continue
        if unicodedata.category(ch) == "So":  # emoji and symbols: 👍 → " emo1f44d "
            out.append(f" emo{ord(ch):x} ")
        else:
            out.append(ch)
    return re.sub(r"\s+", " ", "".join(out).replace("\u2019", "'")).strip()


# Generic cues a reader uses to tell replies apart (a question, a day or time, a scheduling
# verb, "wrong number", a refusal, a yes, a bare acknowledgement), English and Spanish. They
# give the model signal that 600 examples of n-grams alone cannot.
CUES: dict[str, str] = {
    "question_mark": r"\?",
    "question_start": r"^\s*(how|what|whats|when|where|who|whos|why|which|is|are|do|does|did|can i|can we|could i|will|would it|any|cuanto|cuanta|cuantos|cuantas|que|quien|donde|cuando|como|tienen|hay|incluye|hablan)\b",  # noqa: E501
    "day_or_time": r"\b(mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(day)?\b|\b(tomorrow|tmrw|2moro|today|tonight|weekend|morning|afternoon|evening|noon|next week|this week|asap|lunes|martes|miercoles|jueves|viernes|sabado|domingo|manana|tarde|hoy)\b|\b\d{1,2}(:\d\d)?\s*(am|pm)\b|\bat \d|\ba las \d|\b\d{1,2}:\d\d\b|\bthe \d{1,2}(st|nd|rd|th)\b",  # noqa: E501
    "scheduling": r"\b(schedule|reschedule|book|appointment|appt|showing|tour|walk ?through|come (out|by|over)|swing by|stop (by|in)|available|availability|free (on|at|after|before)|meet|invite|zoom|demo|call me|give me a call|cita|agendar|venir|pasar|llameme|llamame)\b",  # noqa: E501
    "wrong_party": r"\b(wrong (number|person|guy|numbr|num|#)|not (me|him|her)|no one by that name|dont know (any|anyone|who)|never (owned|filled|requested|asked|signed)|didnt sign up|no idea who|not the (owner|homeowner|right contact)|the tenant|(this|that) (used to be|was) (his|her)|equivocad|no soy|ningun|ya no es de)\b|^(this|that) (isnt|is not)\b|\btheres no\b",  # noqa: E501
    "refusal": r"\b(no|not|nope|nah|never|pass|already|all set|were good|im good|dont need|no need|decided|too (expensive|low|high)|cant afford|gracias pero|ya (no|compramos|contratamos))\b",  # noqa: E501
    "assent": r"\b(yes|yeah|yea|yep|ya|sure|definitely|absolutely|interested|intrested|intersted|love|great|perfect|lets|ready|send|si|claro|adelante|me interesa)\b",  # noqa: E501
    "acknowledgement": r"^\W*(ok|okay|k|thanks|thank you|thx|got it|noted|received|will do|cool|nice|lol|haha|jaja|gracias|bueno|hi|hey|hello)\W*$",  # noqa: E501
}
_CUES = [re.compile(p) for p in CUES.values()]
CUE_WEIGHT = 0.5


class Cues(BaseEstimator, TransformerMixin):
    """The CUES as 0/1 columns, plus very short, long and emoji-only."""

    def __init__(self, weight: float = CUE_WEIGHT) -> None:
        self.weight = weight

    def fit(self, X, y=None) -> Cues:
        return self

    def transform(self, X) -> sp.csr_matrix:
        rows = []
        for text in X:
            prepared = _prepare(text).replace("'", "")
            words = re.findall(r"\w+", prepared)
            cues = [1.0 if rx.search(prepared) else 0.0 for rx in _CUES]
            plain = re.sub(r"emo[0-9a-f]+", "", prepared)
            cues += [float(len(words) <= 2), float(len(words) >= 15),
                     float(not re.search(r"[a-z0-9]", plain))]  # fmt: skip
            rows.append(cues)
        return sp.csr_matrix(np.array(rows) * self.weight)


def pipeline_build() -> Pipeline:
    features = FeatureUnion(
        [
            ("words", TfidfVectorizer(preprocessor=_prepare, ngram_range=(1, 2),
                                      sublinear_tf=True, token_pattern=r"(?u)\b\w+\b|\?")),
            ("chars", TfidfVectorizer(preprocessor=_prepare, analyzer="char_wb",
                                      ngram_range=(1, 4), sublinear_tf=True)),
            ("cues", Cues()),
        ]
    )  # fmt: skip
    # One-vs-rest liblinear: as accurate here as multinomial lbfgs and several times faster,
    # which matters when a workspace retrains after each batch of corrections.
    model = CalibratedClassifierCV(
        OneVsRestClassifier(LogisticRegression(C=10.0, solver="liblinear",
                                               class_weight="balanced")),
        method="sigmoid",
        cv=3,
        ensemble=False,  # one model (calibrated on out-of-fold scores): 3x faster to ask
    )  # fmt: skip
    return Pipeline([("features", features), ("model", model)])


def model_train(texts: list[str], labels: list[str], weights: list[int] | None = None) -> Pipeline:
    """Fit on the texts; a weight of n repeats the example n times (the one-vs-rest model
    does not take sample weights, and repetition is what a weight means here anyway).

    Opt-out examples are left out: opt-out is decided by the rules, and a model that learns
    "stop" and "text" reads "I can't stop thinking about that house" as an opt-out."""
    weights = weights if weights is not None else [1] * len(texts)
    kept = [(t, y, w) for t, y, w in zip(texts, labels, weights, strict=True) if y != "opt_out"]
    texts, labels, weights = [k[0] for k in kept], [k[1] for k in kept], [k[2] for k in kept]
    pairs = [(t, y) for t, y, w in zip(texts, labels, weights, strict=True)
             for _ in range(max(1, int(w)))]  # fmt: skip
    texts, labels = [t for t, _ in pairs], [y for _, y in pairs]
    pipe = pipeline_build()
    pipe.fit(texts, labels)
    return pipe


def model_predict(model: Pipeline, text: str) -> tuple[str, float]:
    """(intent, probability of that intent)."""
    probs = model.predict_proba([text])[0]
    best = int(probs.argmax())
    return str(model.classes_[best]), float(probs[best])


_base_lock = threading.Lock()
_base: Pipeline | None = None


def base_model() -> Pipeline:
    """The model trained on the shipped set alone (what a workspace without corrections
    uses); trained once per process, deterministically."""
    global _base
    with _base_lock:
        if _base is None:
            rows = dataset_load()
            _base = model_train([r.text for r in rows], [r.intent for r in rows])
        return _base
