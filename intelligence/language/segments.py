"""How many SMS segments a text costs (GSM 03.38 / 3GPP TS 23.038).

A text made only of GSM-7 characters is sent in 7-bit septets: 160 in one message, 153 per
part once it is split (each part carries a 6-byte header). The extension table characters
(^ { } \\ [ ] ~ | € and form feed) take an escape plus the character: 2 septets. Any other
character (emoji, most accents, curly quotes) switches the whole message to UCS-2: 70 UTF-16
code units alone, 67 per part; an emoji outside the BMP is a surrogate pair, 2 units. A
2-unit character is never split across two parts, which is why parts are packed greedily.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

GSM7 = "GSM-7"
UCS2 = "UCS-2"

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[]~|€\f")

LIMITS = {GSM7: (160, 153), UCS2: (70, 67)}


@dataclass(frozen=True)
class SegmentInfo:
    encoding: str  # "GSM-7" or "UCS-2"
    segments: int  # parts the carrier bills (0 for an empty text)
    chars: int  # septets (GSM-7) or UTF-16 code units (UCS-2) the text takes
    per_segment: int  # the room of one part at this length: 160/153 or 70/67
    remaining: int  # what still fits in the last part before another one is needed

    def as_dict(self) -> dict:
        return asdict(self)


def is_gsm7(text: str) -> bool:
    return all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text)


def _costs(text: str, encoding: str) -> list[int]:
    if encoding == GSM7:
        return [2 if c in GSM7_EXTENSION else 1 for c in text]
    return [2 if ord(c) > 0xFFFF else 1 for c in text]


def sms_segments(text: str) -> SegmentInfo:
    """The encoding, segment count and remaining room of `text` as an SMS."""
    encoding = GSM7 if is_gsm7(text) else UCS2
    single, part = LIMITS[encoding]
    costs = _costs(text, encoding)
    total = sum(costs)
    if total <= single:
        return SegmentInfo(encoding, 1 if total else 0, total, single, single - total)
    segments, used = 1, 0
    for cost in costs:
        if used + cost > part:  # a 2-unit character moves whole to the next part
            segments, used = segments + 1, 0
        used += cost
    return SegmentInfo(encoding, segments, total, part, part - used)
