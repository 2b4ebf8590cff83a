from __future__ import annotations

from django.db.models import QuerySet

from .models import Lead


def lead_list() -> QuerySet[Lead]:
    """Leads with their contact loaded in the same query (lists show who the lead is)."""
    return Lead.objects.select_related("contact")
