"""Deterministic opt-out detection: the rules run before any model and a model can never
overrule them (docs/language.md, "Opt-out rules").

Three outcomes:
- OPT_OUT: a carrier keyword used as the message's command ("STOP", "stop please", "Not
  interested. STOP") or a plain-language revocation ("please stop texting me", "take me off
  your list", "no me escriban más");
- CONFIRM: it looks like a revocation but could be something else ("stop wasting my time",
  "I'll report this number"): treated as an opt-out until a rep confirms or corrects it;
- None: no opt-out ("I can't stop thinking about that house", "stop by Thursday").

Pure Python, no Django: the benchmark and the tests call it directly.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

OPT_OUT = "opt_out"
CONFIRM = "confirm"


@dataclass(frozen=True)
class OptOutVerdict:
    decision: str | None  # OPT_OUT, CONFIRM or None
    reason: str


# Carrier keywords (CTIA / the US carriers) and Spanish equivalents. "Anywhere" keywords mean
# opt-out wherever they stand (unless negated); "command" keywords only when they are a
# sentence of their own (with filler words) or open a sentence about messages.
ANYWHERE = {"unsubscribe", "stopall", "optout", "revoke", "unsub", "unsuscribe", "unsubscibe",
            "unsubcribe", "unsubscrbe", "desuscribir", "desuscribirme"}  # fmt: skip
COMMAND = {"stop", "cancel", "end", "quit", "alto", "parar", "pare", "para", "cancelar", "baja",
           "detener", "basta", "fin", "salir", "stp", "stpo", "sotp"}  # fmt: skip
# Opening a sentence, these keywords start a command unless followed by a known other use.
OPENERS = {"stop", "cancel", "cancelar", "detener", "revoke"}
OTHER_USE = {
    "stop": {"by", "in", "over", "at", "on", "light", "sign", "thinking", "worrying", "looking",
             "searching", "the", "autopay", "payment", "payments", "service", "work", "loss"},
    "cancel": {"my", "the", "our", "that", "appointment", "appt", "meeting", "visit", "showing",
               "order", "inspection", "service", "call", "tomorrow", "today", "monday",
               "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "install",
               "installation", "contract", "estimate", "tour"},
    "cancelar": {"la", "el", "mi", "cita", "visita", "pedido", "servicio"},
    "detener": set(),
    "revoke": set(),
}  # fmt: skip
# Words that may surround a keyword without changing that it is the command.
FILLER = {
    "please", "pls", "plz", "plez", "now", "ok", "okay", "k", "thanks", "thank", "you", "thx",
    "ty", "i", "said", "just", "already", "all", "me", "it", "this", "that", "the", "texts",
    "text", "texting", "messages", "message", "messaging", "msgs", "msg", "sms", "right",
    "immediately", "asap", "lol", "omg", "seriously", "god", "dude", "man", "bro", "hey", "hi",
    "hello", "yes", "yeah", "yea", "sir", "maam", "again", "fr", "damn", "fucking", "fuck",
    "hell", "and", "sorry", "reply", "send", "sending", "whatever", "here", "number",
    "anymore", "forever", "permanently", "everything", "these", "those", "them", "calls",
    "calling", "emails", "us", "my", "phone", "from", "list", "subscription", "to",
    # Spanish
    "por", "favor", "porfavor", "porfa", "ya", "gracias", "de", "la", "lo", "todo", "todos",
    "mensajes", "mensaje", "ahora", "mismo", "no", "mas", "interesa", "si", "oiga",
    "señor", "senor", "llamadas", "textos", "en",
}  # fmt: skip
NEGATORS = {"dont", "not", "never", "cant", "cannot", "wont", "couldnt", "shouldnt",
            "didnt", "doesnt", "wouldnt", "nunca", "jamas", "without"}  # fmt: skip
# After an opening keyword: words that say it is about our messages (always a command) ...
MESSAGING = re.compile(
    r"\b(text\w*|txt\w*|messag\w*|msgs?|sms|contacting|calling|emails|spam\w*|subscri\w*|list|"
    r"notifications?|alerts?|bother\w*|harass\w*|blowing up|reach\w* out|hitting me up|"
    r"mensaj\w*|llamadas|escrib\w*|molest\w*)\b"
)
# ... and words that make it a command unless the keyword's other use comes first.
WEAK_MESSAGING = re.compile(
    r"\b(calls?|contact|email|this number|my number|it|this|these|them|all|everything|now|pls|"
    r"please|llam\w*)\b"
)

# Plain-language revocations (text is normalised: lower case, no accents, no apostrophes).
_SUBJECTS = r"(texting|txting|texts?|messaging|messages?|msging|msgs?|sending|calling|contacting|emailing|bothering|spamming|harassing|hitting me up|reaching out|blowing up)"  # noqa: E501
_VERBS = r"(text|txt|message|msg|call|contact|email|sms|bother|spam)\w*"
REVOCATIONS: list[tuple[str, re.Pattern[str]]] = [
    (p, re.compile(p))
    for p in (
        rf"\b(stop|quit|cease|stp|pls stop|please stop)\s+(\w+\s+)?{_SUBJECTS}\b",
        r"\b(take|remove|delete|drop|erase|scratch|get)\s+(me|us|my (number|name|info\w*|contact\w*|phone\w*|cell))\s+(off|from)\b",  # noqa: E501
        r"\b(take|get)\s+my\s+(number|name|info\w*)\s+off\b",
        r"\b(take|remove|delete|erase)\s+(me|us)\b\s*$",
        r"\b(remove|delete|erase|lose)\s+(this|my)\s+(number|name|info\w*|contact\w*|phone number|cell)\b",  # noqa: E501
        r"\bopt (me |us )?out\b",
        r"\bno (more|further) (text|txt|message|msg|call|email|contact|sms)\w*",
        rf"\b(dont|do not|never|please dont|pls dont|stop)\s+(ever\s+)?{_VERBS}(\s+(or|and|nor)\s+{_VERBS})?\s+(me|us|this (number|phone)|my (number|phone|cell))\b",  # noqa: E501
        r"\b(say|said|saying|told you|tell you|asked you|reply|replied|typed|wrote|texted)\s+(to\s+)?(stop|unsubscribe|stopall|cancel|end|quit|alto|baja|parar)\s*$",  # noqa: E501
        r"\b(dont|do not)\s+want\s+(any\s*more\s+|to (receive|get)\s+(any\s*more\s+|these\s+|your\s+)?|these\s+|your\s+)(text|txt|message|msg|call|email|sms)\w*",  # noqa: E501
        r"\b(leave me alone|lose my number|go away|fuck off|f off|piss off|buzz off|get lost)\b",
        r"\bi (want|would like|wish) to (unsubscribe|opt out|be removed|stop (receiving|getting))",
        r"\bunsubscribe\b",
        r"\b(dont|do not) want to be (contacted|texted|called|messaged|emailed|bothered)",
        r"\b(do not|dont) (contact|text|txt|message|msg|call|email)\s*$",
        r"\bno longer (wish|want) to (receive|get|be (contacted|texted|called))",
        r"\b(withdraw|revoke|retract|rescind|cancel)\w* (my |all |any |your )?(consent|permission)",
        r"\b(do not|dont|never) (consent|agree\w*) to (these|your|this|any|the|receiving|being)",
        r"\bno (texts|txts|messages|msgs|calls|sms|emails)( (please|pls|plz|thanks|thank you|ever|again))*\s*$",  # noqa: E501
        r"\b(want|get|take) (me |us )?out of (this|your|the|ur) (list|texts|messages)",
        # Spanish: "no me escriba(n) más", "dejen de mandarme", "dar(me) de baja", ...
        r"\bno (me|nos) (escrib|mand|envi|llam|contact|molest|text)\w*",
        r"\b(deje|dejen|deja|dejan|pare|paren|para) de (escrib|mand|envi|llam|contact|molest|text)\w*",  # noqa: E501
        r"\b(dar|darme|darnos|den|denme|deme|dame|demen)\s+de\s+baja\b",
        r"\b(saqu|quit|borr|elimin|sac)\w*\s+(me |nos )?(de (la|su|tu|sus|esta) lista|mi numero|mis datos)",  # noqa: E501
        r"\b(saquenme|sacame|quitenme|quiteme|borrenme|borrame|eliminenme)\b",
        r"\bno quiero (recibir\s+)?(mas\s+)?(mensajes|textos|llamadas|correos)",
        r"\bno mas (mensajes|textos|llamadas|correos)\b",
        r"\bya no (me )?(escrib|mand|envi|llam|contact|molest)\w*",
        r"\bno (escrib|mand|envi|llam|contact|molest|text)\w*(me|nos)\b",
        r"\b(dejame|dejeme|dejenme|dejanos|dejenos) en paz\b",
        r"\bno quiero que (me |nos )?(escrib|mand|envi|llam|contact|molest|text)\w*",
    )
]
# Looks like a revocation, but a human should confirm.
DOUBTFUL: list[tuple[str, re.Pattern[str]]] = [
    (p, re.compile(p))
    for p in (
        r"\b(report|reporting|block|blocking|blocked)\s+(you|this|your|u)\b",
        r"\b(this is|its|stop the|quit the|enough with the|enough of the)\s+spam\b",
        r"\bhow (do|can) i (unsubscribe|opt out|stop (these|this|the|your) (texts|messages))",
        r"\b(stop|quit)\s+(wasting|bugging|pestering|hounding)\b",
        r"\b(no more|no mas)\b\s*$",
        r"\b(dont|do not|never) (text|txt|message|msg|sms|contact)\w*",
        r"\bno (texts|txts|messages|msgs|sms)\b",
        r"\b(enough|basta)\b\s*$",
        r"\bdo not (disturb|solicit)\b",
        r"\bdnc\b|\bdo not call list\b",
    )
]

_SENTENCE_SPLIT = re.compile(r"[.!?;,:\n\r\u2026()\[\]\u2013\u2014]+|\s-+\s|\s{3,}")
_WORD = re.compile(r"[a-z0-9ñ]+")


def normalize(text: str) -> str:
    """Lower case, accents folded, apostrophes dropped ("don't" → "dont"), emoji removed."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.lower().replace("\u2019", "").replace("'", "").replace("`", "")
    text = re.sub(r"[^\w\s.!?;,:\-\u2013\u2014()\[\]\n]", " ", text)  # emoji and symbols → space
    return re.sub(r"[ \t]+", " ", text).strip()


def _squeeze(word: str) -> str:
    return re.sub(r"(.)\1+", r"\1", word)  # "stooop", "stopp" → "stop"


_ANYWHERE_SQ = {_squeeze(k) for k in ANYWHERE}
_COMMAND_SQ = {_squeeze(k): k for k in COMMAND}


def _keyword(word: str) -> tuple[str | None, bool]:
    """(keyword, anywhere?) for a word, tolerant of repeated letters."""
    sq = _squeeze(word)
    if sq in _ANYWHERE_SQ:
        return sq, True
    if sq in _COMMAND_SQ:
        return _COMMAND_SQ[sq], False
    return None, False


def _negated(words: list[str], index: int) -> bool:
    """A negator just before the word ("don't stop", "can't you stop"); a plain "not" only
    right before it, so "not interested, stop texting" stays a revocation."""
    before = words[max(0, index - 2) : index]
    if words[max(0, index - 3) : index - 1][-2:] in (["if", "you"], ["if", "u"]):
        return False  # "if you don't stop texting me, I'll report you" is a demand to stop
    if before and before[-1] == "not":
        return True
    return any(w in NEGATORS - {"not"} for w in before)


def _sentences(norm: str) -> list[list[str]]:
    out = []
    for part in _SENTENCE_SPLIT.split(norm):
        words = _WORD.findall(part)
        if words:
            out.append(words)
    return out


def optout_detect(text: str) -> OptOutVerdict:
    if not isinstance(text, str) or not text.strip():
        return OptOutVerdict(None, "empty")
    norm = normalize(text)
    letters = re.sub(r"[^a-z]", "", norm)
    # "S T O P", "s.t.o.p", "STOP!!!" — the whole message is one keyword.
    if letters and (_keyword(letters)[0] or letters in {"optout", "stopall", "optmeout"}):
        return OptOutVerdict(OPT_OUT, f'carrier keyword "{letters.upper()}"')

    sentences = _sentences(norm)
    doubtful = ""
    for words in sentences:
        for i, word in enumerate(words):
            keyword, anywhere = _keyword(word)
            if keyword is None:
                continue
            rest = words[i + 1 :]
            if _negated(words, i):
                continue
            if anywhere:
                return OptOutVerdict(OPT_OUT, f'carrier keyword "{keyword.upper()}"')
            others = [w for j, w in enumerate(words) if j != i]
            if all(w in FILLER or _keyword(w)[0] for w in others):
                return OptOutVerdict(OPT_OUT, f'carrier keyword "{keyword.upper()}" as a command')
            if i == 0 and rest:
                head, other_use = " ".join(rest[:4]), rest[0] in OTHER_USE.get(keyword, set())
                if MESSAGING.search(head) or (WEAK_MESSAGING.search(head) and not other_use):
                    return OptOutVerdict(OPT_OUT, f'"{keyword.upper()}" followed by what to stop')
                if keyword in OPENERS and not other_use:
                    doubtful = doubtful or f'a sentence starting with "{keyword.upper()}"'
    # An all-caps keyword shouted inside an otherwise lower-case message.
    if not doubtful:
        for raw in re.findall(r"[A-Za-z]+", text):
            shouted = raw.isupper() and len(raw) >= 3 and not text.isupper()
            if shouted and _keyword(raw.lower())[0]:
                words = _WORD.findall(norm)
                idx = words.index(raw.lower()) if raw.lower() in words else 0
                if not _negated(words, idx):
                    doubtful = f'"{raw}" written in capitals'
                    break

    flat = " ".join(" ".join(w) for w in sentences)
    for _pattern, regex in REVOCATIONS:
        match = regex.search(flat)
        before = flat[: match.start()].split() if match else []
        if match and not _negated(before, len(before)):
            return OptOutVerdict(OPT_OUT, f'plain-language revocation ("{match.group(0)}")')
    if doubtful:
        return OptOutVerdict(CONFIRM, doubtful)
    for _pattern, regex in DOUBTFUL:
        match = regex.search(flat)
        if match:
            return OptOutVerdict(CONFIRM, f'possible revocation ("{match.group(0)}")')
    return OptOutVerdict(None, "no opt-out keyword or revocation")
