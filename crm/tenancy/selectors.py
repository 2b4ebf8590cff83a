from django.conf import settings
from django.db.models import QuerySet

from .models import Workspace


def workspace_list_active() -> QuerySet[Workspace]:
    """Every customer workspace that may run jobs: excludes the public schema and suspended ones."""
    return Workspace.objects.exclude(schema_name=settings.PUBLIC_SCHEMA_NAME).filter(
        status=Workspace.Status.ACTIVE
    )


def workspace_get_by_schema(*, schema_name: str) -> Workspace | None:
    return Workspace.objects.filter(schema_name=schema_name).first()


def workspace_get_by_host(*, host: str) -> Workspace | None:
    """Resolve a Host header (port stripped) to its workspace, or None."""
    hostname = host.split(":")[0].lower().removeprefix("www.")
    return (
        Workspace.objects.filter(domains__domain=hostname).select_related(None).first()
        if hostname
        else None
    )


def workspace_list_all() -> QuerySet[Workspace]:
    """Every customer workspace, suspended ones included (they still need migrating)."""
    return Workspace.objects.exclude(schema_name=settings.PUBLIC_SCHEMA_NAME)


def workspace_current() -> Workspace:
    """The workspace whose schema the connection is in (tenant code only)."""
    from django.db import connection

    workspace = Workspace.objects.filter(schema_name=connection.schema_name).first()
    if workspace is None:
        raise LookupError(f"No workspace for schema {connection.schema_name}")
    return workspace
