"""Workspace lifecycle: provisioning, suspension. Every write to workspaces goes through here."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from django_tenants.clone import CloneSchema
from django_tenants.utils import schema_context, schema_exists

from crm.team.models import Role
from crm.team.services import role_groups_sync, user_create

from .models import Domain, Workspace
from .validation import SlugError, schema_name_for, validate_slug

logger = logging.getLogger(__name__)

# Serialises template (re)builds across processes; any constant int shared by all callers.
_TEMPLATE_LOCK_ID = 0x10DE57A2


class WorkspaceError(ValueError):
    """Provisioning refused; `field` names the input at fault so forms can show it in place."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class ProvisionedWorkspace:
    workspace: Workspace
    domain: Domain
    owner_id: int


def workspace_domain_for(slug: str) -> str:
    return f"{slug}.{settings.BASE_DOMAIN}"


def public_workspace_ensure() -> Workspace:
    """The public schema's own row and domain: the sign-up site and the operators' admin."""
    workspace, _ = Workspace.objects.get_or_create(
        schema_name=settings.PUBLIC_SCHEMA_NAME,
        defaults={"name": "Lodestar", "slug": "public"},
    )
    Domain.objects.get_or_create(
        domain=settings.BASE_DOMAIN, defaults={"tenant": workspace, "is_primary": True}
    )
    return workspace


def _schema_has_pending_migrations(schema_name: str) -> bool:
    connection.set_schema(schema_name, include_public=False)
    try:
        executor = MigrationExecutor(connection)
        return bool(executor.migration_plan(executor.loader.graph.leaf_nodes()))
    finally:
        connection.set_schema_to_public()


_template_checked_in_process = False


def template_schema_ensure(*, recheck: bool = False) -> None:
    """Keep the migrated schema that new workspaces are cloned from in step with the code.

    Checked once per process: migrations only change with a deploy, which restarts processes.
    """
    global _template_checked_in_process
    if _template_checked_in_process and not recheck:
        return
    _template_build()
    _template_checked_in_process = True


def _template_build() -> None:
    template = settings.TENANT_BASE_SCHEMA
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_TEMPLATE_LOCK_ID])
        if schema_exists(template) and not _schema_has_pending_migrations(template):
            return
        logger.info("Building workspace template schema %s", template)
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE SCHEMA IF NOT EXISTS "{template}"')
        call_command(
            "migrate_schemas", schema_name=template, tenant=True, interactive=False, verbosity=0
        )
        with schema_context(template):
            role_groups_sync()


def _validate_inputs(*, name: str, slug: str, owner_email: str) -> tuple[str, str, str]:
    name = name.strip()
    if not name:
        raise WorkspaceError("Give your workspace a name.", field="name")
    if len(name) > Workspace._meta.get_field("name").max_length:
        raise WorkspaceError("The workspace name is too long.", field="name")
    try:
        validate_slug(slug)
    except SlugError as exc:
        raise WorkspaceError(str(exc), field="slug") from exc
    owner_email = owner_email.strip().lower()
    try:
        validate_email(owner_email)
    except ValidationError as exc:
        raise WorkspaceError("Enter a valid email address.", field="owner_email") from exc
    return name, slug, owner_email


def _refuse_taken(slug: str, schema_name: str) -> None:
    taken = (
        Workspace.objects.filter(slug=slug).exists()
        or Domain.objects.filter(domain=workspace_domain_for(slug)).exists()
        or schema_exists(schema_name, case_sensitive=False)
    )
    if taken:
        raise WorkspaceError(f'The address "{slug}" is already taken.', field="slug")


def workspace_create(
    *,
    name: str,
    slug: str,
    owner_email: str,
    owner_password: str | None,
    owner_name: str = "",
    timezone_name: str = "UTC",
    locale: str = "en-us",
    plan: str = Workspace.Plan.FREE,
) -> ProvisionedWorkspace:
    """Create a workspace: its schema (cloned from the template), domain and admin owner.

    All or nothing: one transaction, so a failure leaves no schema, row or domain behind.
    """
    name, slug, owner_email = _validate_inputs(name=name, slug=slug, owner_email=owner_email)
    schema_name = schema_name_for(slug)
    template_schema_ensure()
    try:
        with transaction.atomic():
            _refuse_taken(slug, schema_name)
            workspace = Workspace(
                schema_name=schema_name,
                name=name,
                slug=slug,
                timezone=timezone_name,
                locale=locale,
                plan=plan,
            )
            # The clone below carries the template's data, including its migration records,
            # so the per-schema migrate that django-tenants would run is unnecessary.
            workspace.auto_create_schema = False
            workspace.save()
            CloneSchema().clone_schema(settings.TENANT_BASE_SCHEMA, schema_name, "DATA")
            domain = Domain.objects.create(
                domain=workspace_domain_for(slug), tenant=workspace, is_primary=True
            )
            with schema_context(schema_name):
                owner = user_create(
                    email=owner_email,
                    password=owner_password,
                    full_name=owner_name,
                    role=Role.ADMIN,
                )
    except IntegrityError as exc:  # lost a race with a concurrent sign-up for the same slug
        raise WorkspaceError(f'The address "{slug}" is already taken.', field="slug") from exc
    except ValidationError as exc:
        raise WorkspaceError(" ".join(exc.messages), field="owner_password") from exc
    logger.info("Provisioned workspace %s (%s)", slug, schema_name)
    return ProvisionedWorkspace(workspace=workspace, domain=domain, owner_id=owner.pk)


def workspace_suspend(*, workspace: Workspace, reason: str = "") -> Workspace:
    if workspace.schema_name == settings.PUBLIC_SCHEMA_NAME:
        raise WorkspaceError("The public site cannot be suspended.")
    workspace.status = Workspace.Status.SUSPENDED
    workspace.suspended_at = timezone.now()
    workspace.suspended_reason = reason[:255]
    workspace.save(update_fields=["status", "suspended_at", "suspended_reason"])
    logger.warning("Suspended workspace %s: %s", workspace.slug, reason or "no reason given")
    return workspace


def workspace_reactivate(*, workspace: Workspace) -> Workspace:
    workspace.status = Workspace.Status.ACTIVE
    workspace.suspended_at = None
    workspace.suspended_reason = ""
    workspace.save(update_fields=["status", "suspended_at", "suspended_reason"])
    logger.info("Reactivated workspace %s", workspace.slug)
    return workspace
