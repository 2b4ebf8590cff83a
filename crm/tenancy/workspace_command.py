"""Base for management commands that do one thing in every workspace (or one, --schema)."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand
from django_tenants.utils import get_tenant_model, schema_context


class WorkspaceCommand(BaseCommand):
    """Subclasses implement `handle_workspace() -> str` (the line printed for the workspace);
    it runs inside the workspace's schema, set explicitly because no request sets it."""

    def add_arguments(self, parser) -> None:
        parser.add_argument("--schema", help="only this workspace's schema")

    def handle(self, *args, schema: str | None = None, **options) -> None:
        workspaces = get_tenant_model().objects.exclude(schema_name=settings.PUBLIC_SCHEMA_NAME)
        if schema:
            workspaces = workspaces.filter(schema_name=schema)
        for name in workspaces.order_by("schema_name").values_list("schema_name", flat=True):
            with schema_context(name):
                summary = self.handle_workspace()
            self.stdout.write(f"{name}: {summary}")

    def handle_workspace(self) -> str:
        raise NotImplementedError
