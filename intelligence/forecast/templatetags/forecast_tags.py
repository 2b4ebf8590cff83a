"""Formatting for the forecast page."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def percent(value: float | None) -> str:
    """0.123 → "12.3 %"; None (undefined, e.g. no revenue to compare with) → "—"."""
    if value is None:
        return "—"
    return f"{value * 100:.1f} %"


@register.filter
def money(value) -> str:
    """Whole units with thousands separators: 12345.6 → "12,346"."""
    if value is None:
        return "—"
    return f"{float(value):,.0f}"
