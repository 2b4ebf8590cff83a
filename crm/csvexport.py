"""CSV export of any filtered list of CRM records (used by the admin, the API and the UI).

Placeholder signature; the admin/identity work implements it.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import QuerySet


def csv_export(*, entity: str, queryset: QuerySet) -> Iterator[str]:
    """Yield CSV lines (header first) for `queryset` of `entity` ("contact", "company",
    "lead", "deal"), custom fields as `custom.<key>` columns."""
    raise NotImplementedError
