"""Opt-out is decided by rules, first: recall 1.0 on every opt-out in the shipped set and on
generated variations; no opt-out read into messages that only contain a trigger word."""

from __future__ import annotations

import itertools

import pytest

from intelligence.language.classifier import dataset_load
from intelligence.language.optout import CONFIRM, OPT_OUT, optout_detect

ROWS = dataset_load()
OPT_OUTS = [r.text for r in ROWS if r.intent == "opt_out"]
HARD_NEGATIVES = [r.text for r in ROWS if r.tag == "hard_negative"]

KEYWORDS = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT",
            "ALTO", "PARAR", "PARE", "CANCELAR", "BAJA", "opt out", "stop all"]  # fmt: skip
CASES = [str.upper, str.lower, str.title,
         lambda k: "".join(c.upper() if i % 2 else c.lower() for i, c in enumerate(k))]  # fmt: skip
PUNCTUATION = ["{}", "{}.", "{}!", "{}!!!", "{}?", "{} 🛑", "{}...", '"{}"', "*{}*", "({})",
               "  {}  ", "\n{}\n", "\t{}", "{} 😡"]  # fmt: skip
SURROUNDINGS = ["{}", "please {}", "{} please", "{} now", "ok {}", "I said {}",
                "{}. not interested", "Not interested. {}", "no thanks, {}", "{} thanks",
                "{}!!! thank you", "Por favor {}", "{} por favor", "ya {}", "Reply {}",
                "{} {}", "Hi, {}", "{} - wrong number", "{}\nSent from my iPhone"]  # fmt: skip
PLAIN = ["please stop texting me", "take me off your list", "no more messages",
         "don't contact me again", "remove me from your list", "stop messaging me",
         "I don't want any more texts", "lose my number", "leave me alone",
         "unsubscribe me from everything", "do not text this number again",
         "no me escriban más", "dejen de mandarme mensajes", "quiero darme de baja",
         "sáquenme de su lista", "no quiero recibir más mensajes", "ya no me llamen"]  # fmt: skip
NOT_OPT_OUTS = [
    "I can't stop thinking about that house", "don't stop sending me listings",
    "the deal won't end well if we wait", "Stop by Thursday at 4", "Cancel my appointment",
    "We need to cancel the appointment tomorrow", "I quit my job so we're moving soon",
    "The end of the month works", "Can I cancel anytime?", "bus stop near the house?",
    "one stop shop for everything?", "No puedo parar de pensar en esa casa",
    "¿Para cuándo pueden venir?", "Please don't stop the project",
    "we won't quit until we find the right house", "Can you text me the address?",
    "Your texts have been really helpful, keep them coming", "I never stop looking at Zillow",
]  # fmt: skip


@pytest.mark.parametrize("text", OPT_OUTS)
def test_every_shipped_opt_out_is_a_rules_opt_out(text):
    assert optout_detect(text).decision == OPT_OUT, text


def test_shipped_set_has_enough_opt_outs_and_hard_negatives():
    assert len(OPT_OUTS) >= 100 and len(HARD_NEGATIVES) >= 40
    assert any(r.lang == "es" for r in ROWS if r.intent == "opt_out")


def _variations():
    for keyword, case, punct, around in itertools.product(
        KEYWORDS, CASES, PUNCTUATION, SURROUNDINGS
    ):
        word = punct.format(case(keyword))
        yield around.format(word, word) if around.count("{}") == 2 else around.format(word)


def test_keyword_variations_are_all_opt_outs_without_confirmation():
    variations = list(_variations())
    missed = [t for t in variations if optout_detect(t).decision != OPT_OUT]
    assert len(variations) > 10_000
    assert missed == []


@pytest.mark.parametrize("text", PLAIN)
@pytest.mark.parametrize("form", ["{}", "{}!!", "{}.", "{} 🙏", "PLEASE {}", "ok {} thanks"])
def test_plain_language_revocations(text, form):
    for variant in (text, text.upper(), text.capitalize()):
        assert optout_detect(form.format(variant)).decision == OPT_OUT, form.format(variant)


@pytest.mark.parametrize("text", [*HARD_NEGATIVES, *NOT_OPT_OUTS])
def test_no_false_opt_out(text):
    assert optout_detect(text).decision is None, (text, optout_detect(text).reason)


@pytest.mark.parametrize(
    "text",
    ["stop wasting my time", "I'm going to report this number", "no more",
     "Stop the spam", "how do I unsubscribe from these texts?"],
)  # fmt: skip
def test_doubtful_messages_are_revocations_to_confirm(text):
    assert optout_detect(text).decision in (CONFIRM, OPT_OUT)


def test_spaced_and_stretched_keywords():
    for text in ("S T O P", "s.t.o.p", "Stooooop", "STOPPP", "U N S U B S C R I B E"):
        assert optout_detect(text).decision == OPT_OUT, text


@pytest.mark.parametrize("text", ["", "   ", None, 42])
def test_no_text_is_no_opt_out(text):
    assert optout_detect(text).decision is None
