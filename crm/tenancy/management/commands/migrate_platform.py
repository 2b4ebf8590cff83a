from django.core.management import call_command
from django.core.management.base import BaseCommand
from django_tenants.utils import schema_context

from crm.team.services import role_groups_sync
from crm.tenancy.selectors import workspace_list_all
from crm.tenancy.services import public_workspace_ensure, template_schema_ensure


class Command(BaseCommand):
    help = (
        "Bring the whole platform up to date: the public schema, the template new workspaces "
        "are cloned from, every workspace, and each workspace's role groups."
    )

    def handle(self, *args, **options) -> None:
        verbosity = options["verbosity"]
        call_command("migrate_schemas", shared=True, interactive=False, verbosity=verbosity)
        public_workspace_ensure()
        template_schema_ensure(recheck=True)
        call_command("migrate_schemas", tenant=True, interactive=False, verbosity=verbosity)
        for schema_name in workspace_list_all().values_list("schema_name", flat=True):
            with schema_context(schema_name):
                role_groups_sync()
        self.stdout.write(self.style.SUCCESS("Platform migrated."))
