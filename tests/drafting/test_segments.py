"""SMS segment counting: GSM-7 160/153 with 2-septet extension characters, UCS-2 70/67 in
UTF-16 units (emoji are surrogate pairs), never splitting a 2-unit character across parts."""

import pytest

from intelligence.language.segments import GSM7, UCS2, sms_segments


@pytest.mark.parametrize(
    ("length", "segments", "remaining"),
    [(0, 0, 160), (1, 1, 159), (160, 1, 0), (161, 2, 145), (306, 2, 0), (307, 3, 152)],
)
def test_gsm7_boundaries(length, segments, remaining):
    info = sms_segments("a" * length)
    assert info.encoding == GSM7
    assert (info.segments, info.chars, info.remaining) == (segments, length, remaining)
    assert info.per_segment == (160 if length <= 160 else 153)


@pytest.mark.parametrize(
    ("length", "segments", "remaining"),
    [(70, 1, 0), (71, 2, 63), (134, 2, 0), (135, 3, 66)],
)
def test_ucs2_boundaries(length, segments, remaining):
    info = sms_segments("ж" * length)
    assert info.encoding == UCS2
    assert (info.segments, info.chars, info.remaining) == (segments, length, remaining)
    assert info.per_segment == (70 if length <= 70 else 67)


def test_extension_characters_take_two_septets():
    info = sms_segments("€" * 80)  # 160 septets: still one message
    assert (info.encoding, info.chars, info.segments) == (GSM7, 160, 1)
    assert sms_segments("€" * 80 + "a").segments == 2
    assert sms_segments("a{b}c[d]~|^\\").chars == 4 + 2 * 8


def test_extension_character_is_not_split_across_parts():
    # 152 plain + € (2 septets) does not fit the first 153-septet part: the € moves on whole.
    info = sms_segments("a" * 152 + "€" + "a" * 10)
    assert info.chars == 164
    assert info.segments == 2
    assert info.remaining == 153 - 12


def test_gsm_accents_stay_gsm_but_others_switch_to_ucs2():
    assert sms_segments("Café à Zürich, señor Ñoño").encoding == GSM7
    assert sms_segments("Ñandú").encoding == UCS2  # ú is not in GSM-7 (ù is)
    assert sms_segments("Curly “quotes”").encoding == UCS2
    assert sms_segments("Zoë").encoding == UCS2


def test_emoji_is_two_utf16_units_and_not_split():
    info = sms_segments("Hi 👋")
    assert (info.encoding, info.chars, info.segments) == (UCS2, 5, 1)
    assert sms_segments("👍" * 35).segments == 1  # 70 units
    over = sms_segments("a" * 66 + "👍")  # 68 units: one message
    assert over.segments == 1
    split = sms_segments("a" * 66 + "👍" + "a" * 4)  # 72 units: parts of 67; the pair moves on
    assert (split.chars, split.segments, split.remaining) == (72, 2, 67 - 6)


def test_one_emoji_turns_a_160_char_text_into_three_parts():
    assert sms_segments("a" * 159).segments == 1
    assert sms_segments("a" * 158 + "🙂").segments == 3  # 160 units of UCS-2: ceil(160/67)
