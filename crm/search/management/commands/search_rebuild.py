"""`manage.py search_rebuild [--schema NAME]`: rebuild the search index of every workspace
(existing data, after a restore, or when in doubt)."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand
from django_tenants.utils import get_tenant_model, schema_context

from crm.search.services import search_rebuild


class Command(BaseCommand):
    help = "Rebuild the search index of every workspace (or of one, with --schema)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--schema", help="only this workspace's schema")

    def handle(self, *args, schema: str | None = None, **options) -> None:
        workspaces = get_tenant_model().objects.exclude(schema_name=settings.PUBLIC_SCHEMA_NAME)
        if schema:
            workspaces = workspaces.filter(schema_name=schema)
        for name in workspaces.order_by("schema_name").values_list("schema_name", flat=True):
            with schema_context(name):  # explicit: this runs outside any request
                written = search_rebuild()
            self.stdout.write(f"{name}: {written} entries")
