from django.core.management import call_command
from django.core.management.base import BaseCommand
from django_tenants.utils import schema_context, schema_exists

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
        schemas = list(workspace_list_all().values_list("schema_name", flat=True))
        present = [name for name in schemas if schema_exists(name)]
        for missing in sorted(set(schemas) - set(present)):
            # A row whose schema is gone (restored backup, manual DROP) cannot be migrated;
            # say so and carry on with the others rather than leave every workspace behind.
            self.stderr.write(
                self.style.WARNING(f"Workspace schema {missing} is missing; skipped.")
            )
        if present == schemas:
            call_command("migrate_schemas", tenant=True, interactive=False, verbosity=verbosity)
        else:
            for name in present:
                call_command("migrate_schemas", schema_name=name, tenant=True,
                             interactive=False, verbosity=verbosity)  # fmt: skip
        for schema_name in present:
            with schema_context(schema_name):
                role_groups_sync()
        self.stdout.write(self.style.SUCCESS("Platform migrated."))
