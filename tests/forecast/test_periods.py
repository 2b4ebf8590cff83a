from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from intelligence.forecast.periods import (
    MONTH,
    QUARTER,
    Period,
    period_containing,
    period_parse,
    period_relative,
    workspace_zone,
)


@pytest.mark.parametrize(
    ("text", "kind", "start", "end"),
    [
        ("2026-11", MONTH, date(2026, 11, 1), date(2026, 11, 30)),
        ("2026-12", MONTH, date(2026, 12, 1), date(2026, 12, 31)),
        ("2028-02", MONTH, date(2028, 2, 1), date(2028, 2, 29)),  # leap year
        ("2026-Q4", QUARTER, date(2026, 10, 1), date(2026, 12, 31)),
        ("2026-q1", QUARTER, date(2026, 1, 1), date(2026, 3, 31)),
        (" 2026-Q2 ", QUARTER, date(2026, 4, 1), date(2026, 6, 30)),
    ],
)
def test_good_periods(text, kind, start, end):
    period = period_parse(text)
    assert (period.kind, period.start, period.end) == (kind, start, end)
    assert period_parse(period.label) == period


@pytest.mark.parametrize(
    "text", ["2026-13", "2026-00", "2026-Q5", "2026-Q0", "26-11", "", "2026/11", "Q4-2026",
             "2026-11-01", "1999-01", "2101-Q1", "november"],
)  # fmt: skip
def test_bad_periods_say_what_is_accepted(text):
    with pytest.raises(ValidationError) as exc:
        period_parse(text)
    assert '"2026-11"' in exc.value.messages[0] and '"2026-Q4"' in exc.value.messages[0]


def test_next_and_relative_periods_cross_the_year():
    assert Period(MONTH, 2026, 12).next() == Period(MONTH, 2027, 1)
    assert Period(QUARTER, 2026, 4).next() == Period(QUARTER, 2027, 1)
    today = date(2026, 12, 15)
    assert period_relative(key="this-month", today=today).label == "2026-12"
    assert period_relative(key="next-month", today=today).label == "2027-01"
    assert period_relative(key="this-quarter", today=today).label == "2026-Q4"
    assert period_relative(key="next-quarter", today=today).label == "2027-Q1"
    assert period_containing(day=date(2026, 7, 1), kind=QUARTER).label == "2026-Q3"


def test_bounds_are_midnights_in_the_workspace_zone():
    zone = ZoneInfo("America/Chicago")
    start, end = period_parse("2026-11").bounds(zone)
    assert start == datetime(2026, 11, 1, tzinfo=zone)
    assert end == datetime(2026, 12, 1, tzinfo=zone)
    assert workspace_zone("Not/AZone") == ZoneInfo("UTC")
