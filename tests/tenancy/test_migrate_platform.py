import io

from django.core.management import call_command

from crm.tenancy.models import Workspace


def test_a_workspace_without_its_schema_is_reported_not_fatal(alpha):
    orphan = Workspace(schema_name="ws_orphan", name="Orphan", slug="orphan")
    orphan.auto_create_schema = False
    orphan.save()
    out, err = io.StringIO(), io.StringIO()
    call_command("migrate_platform", verbosity=0, stdout=out, stderr=err)
    assert "ws_orphan is missing" in err.getvalue()
    assert "Platform migrated." in out.getvalue()
