import pytest
from django.db import connection
from django_tenants.utils import schema_context, schema_exists

from crm.team.models import Role, User
from crm.tenancy.models import Domain, Workspace
from crm.tenancy.services import WorkspaceError, workspace_create

from ..conftest import PASSWORD


def test_provisioning_creates_schema_domain_and_admin_owner(db):
    provisioned = workspace_create(
        name="Gamma Roofing", slug="gamma", owner_email="Boss@Gamma.TEST", owner_password=PASSWORD
    )
    workspace = provisioned.workspace
    assert workspace.schema_name == "ws_gamma"
    assert schema_exists("ws_gamma")
    assert provisioned.domain.domain == "gamma.localhost"
    with schema_context("ws_gamma"):
        owner = User.objects.get()
        assert owner.email == "boss@gamma.test"
        assert owner.role == Role.ADMIN and owner.is_staff
        assert owner.check_password(PASSWORD)
        assert owner.groups.filter(name="Admins").exists()


@pytest.mark.parametrize(
    ("slug", "message"),
    [
        ("www", "reserved"),
        ("admin", "reserved"),
        ("api", "reserved"),
        ("public", "reserved"),
        ("Acme", "lowercase"),
        ("a" * 31, "at most 30"),
        ("ab", "at least 3"),
        ("-acme", "start with a letter"),
        ("acme-", "start with a letter"),
        ("ac_me", "single hyphens"),
        ("", "Choose an address"),
    ],
)
def test_bad_slugs_are_refused_with_a_clear_message(db, slug, message):
    with pytest.raises(WorkspaceError, match=message) as info:
        workspace_create(name="X", slug=slug, owner_email="a@x.test", owner_password=PASSWORD)
    assert info.value.field == "slug"
    assert not Workspace.objects.filter(name="X").exists()


def test_duplicate_slug_is_refused_and_first_workspace_untouched(alpha):
    with pytest.raises(WorkspaceError, match="already taken"):
        workspace_create(
            name="Other", slug="alpha", owner_email="x@other.test", owner_password=PASSWORD
        )
    assert Workspace.objects.get(slug="alpha").name == "Alpha"


def test_failed_provisioning_leaves_nothing_behind(db):
    with pytest.raises(WorkspaceError) as info:
        workspace_create(name="Weak", slug="weak", owner_email="a@weak.test", owner_password="1")
    assert info.value.field == "owner_password"
    assert not Workspace.objects.filter(slug="weak").exists()
    assert not Domain.objects.filter(domain="weak.localhost").exists()
    assert not schema_exists("ws_weak")
    assert connection.schema_name == "public"
