"""Forecast periods: a calendar month ("2026-11") or quarter ("2026-Q4") in the workspace's
time zone. Pure date arithmetic, no database."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError

MONTH, QUARTER = "month", "quarter"
_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER_RE = re.compile(r"^(\d{4})-[Qq]([1-4])$")
MIN_YEAR, MAX_YEAR = 2000, 2100  # wide enough for any CRM history, narrow enough to catch typos
PERIOD_HELP = 'Use a month like "2026-11" or a quarter like "2026-Q4".'


@dataclass(frozen=True)
class Period:
    kind: str  # MONTH or QUARTER
    year: int
    number: int  # month 1-12 or quarter 1-4

    @property
    def label(self) -> str:
        return (
            f"{self.year}-{self.number:02d}"
            if self.kind == MONTH
            else f"{self.year}-Q{self.number}"
        )

    @property
    def title(self) -> str:
        if self.kind == MONTH:
            return self.start.strftime("%B %Y")
        return f"Q{self.number} {self.year}"

    @property
    def _first_month(self) -> int:
        return self.number if self.kind == MONTH else 3 * (self.number - 1) + 1

    @property
    def start(self) -> date:
        return date(self.year, self._first_month, 1)

    @property
    def end(self) -> date:
        """The last day (inclusive)."""
        return self.next().start - timedelta(days=1)

    def next(self) -> Period:
        last = 12 if self.kind == MONTH else 4
        if self.number == last:
            return Period(self.kind, self.year + 1, 1)
        return Period(self.kind, self.year, self.number + 1)

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """[start, end) as aware datetimes: midnight to midnight in the workspace's zone."""
        start = datetime.combine(self.start, time.min, tzinfo=tz)
        return start, datetime.combine(self.next().start, time.min, tzinfo=tz)

    def __str__(self) -> str:
        return self.label


def period_parse(value: str) -> Period:
    """ "2026-11" or "2026-Q4" (q in either case) → Period; anything else is a ValidationError
    that says what is accepted."""
    text = (value or "").strip()
    if match := _MONTH_RE.match(text):
        year, number, kind = int(match[1]), int(match[2]), MONTH
        if not 1 <= number <= 12:
            raise ValidationError(f'"{text}" has no month {number}. {PERIOD_HELP}', code="period")
    elif match := _QUARTER_RE.match(text):
        year, number, kind = int(match[1]), int(match[2]), QUARTER
    else:
        shown = text[:20] or "(empty)"
        raise ValidationError(f'"{shown}" is not a period. {PERIOD_HELP}', code="period")
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValidationError(
            f"The year must be between {MIN_YEAR} and {MAX_YEAR}. {PERIOD_HELP}", code="period"
        )
    return Period(kind, year, number)


def period_containing(*, day: date, kind: str) -> Period:
    if kind == MONTH:
        return Period(MONTH, day.year, day.month)
    return Period(QUARTER, day.year, (day.month - 1) // 3 + 1)


def workspace_zone(name: str | None) -> ZoneInfo:
    """The workspace's zone; UTC when unset or unknown (a bad zone must not break forecasts)."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


# The page's period picker: relative choices resolved against today.
RELATIVE = {
    "this-month": ("This month", MONTH, 0),
    "next-month": ("Next month", MONTH, 1),
    "this-quarter": ("This quarter", QUARTER, 0),
    "next-quarter": ("Next quarter", QUARTER, 1),
}


def period_relative(*, key: str, today: date) -> Period:
    _, kind, ahead = RELATIVE[key]
    period = period_containing(day=today, kind=kind)
    return period.next() if ahead else period
