"""`manage.py language_backfill [--schema NAME]`: sentiment for notes and inbound messages
and intent for inbound replies logged before the language app ran (or while it was down)."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand
from django_tenants.utils import get_tenant_model, schema_context

from intelligence.language.services import language_backfill


class Command(BaseCommand):
    help = "Fill in missing sentiment and reply intents in every workspace (or one, --schema)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--schema", help="only this workspace's schema")

    def handle(self, *args, schema: str | None = None, **options) -> None:
        workspaces = get_tenant_model().objects.exclude(schema_name=settings.PUBLIC_SCHEMA_NAME)
        if schema:
            workspaces = workspaces.filter(schema_name=schema)
        for name in workspaces.order_by("schema_name").values_list("schema_name", flat=True):
            with schema_context(name):  # explicit: this runs outside any request
                done = language_backfill()
            self.stdout.write(f"{name}: {done['sentiments']} sentiments, {done['intents']} intents")
