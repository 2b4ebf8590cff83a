"""Redaction of email addresses and phone numbers before text leaves for an external provider.

Each distinct value becomes a numbered placeholder ("[email 1]"), and the same placeholders in
the answer are put back, so a draft can still name the address the model never saw.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .builtin import EMAIL, PHONE

_PLACEHOLDER = re.compile(r"\[(email|phone) (\d+)\]")


@dataclass
class Redactor:
    values: dict[str, str] = field(default_factory=dict)  # placeholder -> original
    _by_value: dict[tuple[str, str], str] = field(default_factory=dict)

    def _swap(self, kind: str, match: re.Match) -> str:
        original = match.group(0)
        key = (kind, original)
        if key not in self._by_value:
            count = sum(1 for k, _ in self._by_value if k == kind) + 1
            placeholder = f"[{kind} {count}]"
            self._by_value[key] = placeholder
            self.values[placeholder] = original
        return self._by_value[key]

    def redact(self, text: str) -> str:
        text = EMAIL.sub(lambda m: self._swap("email", m), text)
        # Digits only count as a phone when there are enough of them (not "$1,200" or a year).
        return PHONE.sub(
            lambda m: self._swap("phone", m) if _digits(m.group(0)) >= 7 else m.group(0), text
        )

    def restore(self, text: str) -> str:
        return _PLACEHOLDER.sub(lambda m: self.values.get(m.group(0), m.group(0)), text)

    @property
    def changed(self) -> bool:
        return bool(self.values)


def _digits(text: str) -> int:
    return sum(ch.isdigit() for ch in text)
