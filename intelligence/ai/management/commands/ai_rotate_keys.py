"""Re-encrypt every workspace's stored provider keys with the newest
LODESTAR_SECRET_ENCRYPTION_KEY (run after putting a new key first in the list)."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django_tenants.utils import get_tenant_model, schema_context

from intelligence.ai.crypto import SecretUnreadable, secret_rotate
from intelligence.ai.models import ProviderConnection


class Command(BaseCommand):
    help = "Re-encrypt stored AI provider API keys with the newest encryption key."

    def handle(self, *args, **options) -> None:
        rotated = failed = 0
        for workspace in get_tenant_model().objects.exclude(schema_name="public"):
            with schema_context(workspace.schema_name):
                for connection in ProviderConnection.objects.exclude(api_key_encrypted=""):
                    try:
                        connection.api_key_encrypted = secret_rotate(connection.api_key_encrypted)
                    except SecretUnreadable:
                        failed += 1
                        self.stderr.write(f"{workspace.schema_name}: {connection.name} unreadable")
                        continue
                    connection.save(update_fields=["api_key_encrypted"])
                    rotated += 1
        self.stdout.write(f"Rotated {rotated} key(s); {failed} unreadable (enter them again).")
