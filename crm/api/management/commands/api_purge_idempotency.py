"""Delete expired Idempotency-Key records in every workspace (run daily, e.g. from cron)."""

from django.core.management.base import BaseCommand
from django_tenants.utils import schema_context

from crm.api.idempotency import idempotency_purge_expired
from crm.tenancy.selectors import workspace_list_all


class Command(BaseCommand):
    help = "Delete expired API idempotency records in every workspace."

    def handle(self, *args, **options) -> None:
        total = 0
        for workspace in workspace_list_all():
            with schema_context(workspace.schema_name):
                total += idempotency_purge_expired()
        self.stdout.write(f"Deleted {total} expired idempotency record(s).")
