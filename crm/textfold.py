"""One comparison form for text people type: the same email or name however it is typed
(case, Unicode compatibility forms such as full-width letters)."""

from __future__ import annotations

import unicodedata


def fold(value: str) -> str:
    return unicodedata.normalize("NFKC", value).casefold()
