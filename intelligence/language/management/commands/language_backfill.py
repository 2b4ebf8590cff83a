"""`manage.py language_backfill [--schema NAME]`: sentiment for notes and inbound messages
and intent for inbound replies logged before the language app ran (or while it was down)."""

from __future__ import annotations

from crm.tenancy.workspace_command import WorkspaceCommand
from intelligence.language.services import language_backfill


class Command(WorkspaceCommand):
    help = "Fill in missing sentiment and reply intents in every workspace (or one, --schema)."

    def handle_workspace(self) -> str:
        done = language_backfill()
        return f"{done['sentiments']} sentiments, {done['intents']} intents"
