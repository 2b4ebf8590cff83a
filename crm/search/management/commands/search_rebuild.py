"""`manage.py search_rebuild [--schema NAME]`: rebuild the search index of every workspace
(existing data, after a restore, or when in doubt)."""

from __future__ import annotations

from crm.search.services import search_rebuild
from crm.tenancy.workspace_command import WorkspaceCommand


class Command(WorkspaceCommand):
    help = "Rebuild the search index of every workspace (or of one, with --schema)."

    def handle_workspace(self) -> str:
        return f"{search_rebuild()} entries"
