"""Workspace provisioning speed (target: p50 under 1.0 s), and `migrate_schemas` over 100
workspaces with nothing to migrate. A baseline — one workspace migrated from scratch, the way
django-tenants does without a template — is measured in the same run for the ratio."""

from __future__ import annotations

import io

from _harness import report, setup_django, summary, throwaway_database, timed

PROVISION_RUNS = 20
MIGRATE_WORKSPACES = 100
PASSWORD = "Bench-Pass-2026"


def main() -> None:
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    from crm.tenancy.services import public_workspace_ensure, workspace_create

    def create(index: int) -> None:
        workspace_create(
            name=f"Bench {index}", slug=f"bench{index}", owner_email=f"owner@bench{index}.test",
            owner_password=PASSWORD,
        )  # fmt: skip

    with throwaway_database():
        public_workspace_ensure()
        template_build_s = timed(lambda: create(0))  # first call also builds the template
        provision = [timed(lambda i=i: create(i)) for i in range(1, PROVISION_RUNS + 1)]
        for index in range(PROVISION_RUNS + 1, MIGRATE_WORKSPACES):
            create(index)

        def scratch_migrate() -> None:
            with connection.cursor() as cursor:
                cursor.execute('CREATE SCHEMA "ws_scratch"')
            call_command("migrate_schemas", schema_name="ws_scratch", tenant=True,
                         interactive=False, verbosity=0, stdout=io.StringIO())  # fmt: skip

        baseline_s = timed(scratch_migrate)

        def migrate_all() -> None:
            call_command("migrate_schemas", interactive=False, verbosity=0, stdout=io.StringIO())

        migrate_all_s = timed(migrate_all)

    stats = summary(provision)
    report(
        "provisioning",
        {
            "provision_workspace": stats,
            "target_p50_s": 1.0,
            "meets_target": stats["p50_s"] < 1.0,
            "first_workspace_with_template_build_s": round(template_build_s, 3),
            "baseline_migrate_one_schema_from_scratch_s": round(baseline_s, 3),
            "speedup_vs_scratch_migrate": round(baseline_s / stats["p50_s"], 1),
            "migrate_schemas_100_workspaces_nothing_to_do_s": round(migrate_all_s, 2),
            "workspaces_migrated": MIGRATE_WORKSPACES,
        },
    )


if __name__ == "__main__":
    main()
