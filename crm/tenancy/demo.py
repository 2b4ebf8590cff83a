"""The demo data `make demo` starts with: an operator on the public site and the `acme`
workspace with an admin, a manager, two reps and a small book of business (demo_records).
Idempotent: a second run changes nothing."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django_tenants.utils import schema_context

from crm.team.models import Role, User
from crm.team.services import user_create

from .demo_accounts import DEMO_PASSWORD, DEMO_SLUG, DEMO_TEAM, OPERATOR_EMAIL
from .demo_records import demo_records_seed
from .models import Workspace
from .services import public_workspace_ensure, workspace_create


@dataclass(frozen=True)
class DemoLogin:
    url: str
    email: str
    role: str


def _ensure_user(*, email: str, full_name: str, role: str, superuser: bool = False) -> None:
    if User.objects.filter(email=email).exists():
        return
    user = user_create(email=email, password=DEMO_PASSWORD, full_name=full_name, role=role)
    if superuser:
        user.is_superuser = True
        user.save(update_fields=["is_superuser"])


def demo_seed(*, port: int = 8000) -> list[DemoLogin]:
    public_workspace_ensure()
    with schema_context(settings.PUBLIC_SCHEMA_NAME):
        _ensure_user(
            email=OPERATOR_EMAIL, full_name="Platform Operator", role=Role.ADMIN, superuser=True
        )
    admin_email, admin_name, _ = DEMO_TEAM[0]
    if not Workspace.objects.filter(slug=DEMO_SLUG).exists():
        workspace_create(
            name="Acme Roofing", slug=DEMO_SLUG, owner_email=admin_email,
            owner_password=DEMO_PASSWORD, owner_name=admin_name, timezone_name="America/Chicago",
        )  # fmt: skip
    workspace = Workspace.objects.get(slug=DEMO_SLUG)
    with schema_context(workspace.schema_name):
        for email, full_name, role in DEMO_TEAM:
            _ensure_user(email=email, full_name=full_name, role=role)
        demo_records_seed(
            owners=list(User.objects.filter(role=Role.REP).order_by("email")),
            manager=User.objects.get(email=DEMO_TEAM[1][0]),
        )
    site = f"http://{settings.BASE_DOMAIN}:{port}"
    acme = f"http://{DEMO_SLUG}.{settings.BASE_DOMAIN}:{port}"
    logins = [DemoLogin(url=f"{site}/admin/", email=OPERATOR_EMAIL, role="platform operator")]
    logins += [DemoLogin(url=f"{acme}/", email=email, role=role) for email, _, role in DEMO_TEAM]
    return logins
