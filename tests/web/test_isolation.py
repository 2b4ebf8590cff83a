"""Two workspaces, one database: nothing written in alpha can be read from beta."""

from __future__ import annotations

from django_tenants.utils import schema_context

from crm.team.models import Role, User

from ..conftest import PASSWORD


def _alpha_user_with_id_unused_in_beta(alpha, beta, email: str) -> User:
    """Ids come from per-schema sequences, so alpha's user 5 may coincide with beta's user 5;
    make sure the id we probe on beta names nobody there."""
    with schema_context(beta.schema):
        beta_max = max(User.objects.values_list("pk", flat=True))
    n = 0
    while True:
        user = alpha.make_user(email=f"{n}-{email}")
        if user.pk > beta_max:
            return user
        n += 1


def test_user_created_in_alpha_is_invisible_in_beta_orm(alpha, beta):
    alpha.make_user(email="secret@alpha.test")
    with schema_context(alpha.schema):
        assert User.objects.filter(email="secret@alpha.test").exists()
    with schema_context(beta.schema):
        assert not User.objects.filter(email="secret@alpha.test").exists()
        assert list(User.objects.values_list("email", flat=True)) == ["owner@beta.test"]


def test_workspace_admin_user_list_shows_only_own_users(alpha, beta):
    alpha.make_user(email="rep@alpha.test")
    beta.make_user(email="rep@beta.test")
    with schema_context(alpha.schema):
        owner = User.objects.get(email=alpha.owner_email)
    response = alpha.logged_in_client(owner).get("/admin/team/user/")
    assert response.status_code == 200
    assert b"rep@alpha.test" in response.content
    assert b"owner@alpha.test" in response.content
    assert b"rep@beta.test" not in response.content
    assert b"owner@beta.test" not in response.content


def test_beta_admin_cannot_open_alpha_user_by_id(alpha, beta):
    target = _alpha_user_with_id_unused_in_beta(alpha, beta, "target@alpha.test")
    with schema_context(beta.schema):
        beta_owner = User.objects.get(email=beta.owner_email)
    client = beta.logged_in_client(beta_owner)
    for path in (f"/admin/team/user/{target.pk}/change/", f"/admin/team/user/{target.pk}/delete/"):
        response = client.get(path)
        # Django's admin redirects to its index for an unknown id; 404 would do as well.
        assert response.status_code in (302, 404), path
        assert target.email.encode() not in response.content
        if response.status_code == 302:
            assert response["Location"] == "/admin/"
    # And the data is untouched in alpha.
    with schema_context(alpha.schema):
        assert User.objects.filter(pk=target.pk, email=target.email).exists()


def test_beta_admin_cannot_change_alpha_user_by_posting(alpha, beta):
    target = _alpha_user_with_id_unused_in_beta(alpha, beta, "target@alpha.test")
    with schema_context(beta.schema):
        beta_owner = User.objects.get(email=beta.owner_email)
    response = beta.logged_in_client(beta_owner).post(
        f"/admin/team/user/{target.pk}/change/",
        {"email": "hijacked@beta.test", "full_name": "x", "role": Role.ADMIN, "is_active": "on"},
    )
    assert response.status_code in (302, 404)
    with schema_context(alpha.schema):
        target.refresh_from_db()
        assert target.email.endswith("target@alpha.test")
        assert target.role == Role.REP


def test_workspace_admin_does_not_expose_platform_tables(alpha):
    with schema_context(alpha.schema):
        owner = User.objects.get(email=alpha.owner_email)
    client = alpha.logged_in_client(owner)
    for path in (
        "/admin/tenancy/workspace/",
        "/admin/tenancy/domain/",
        "/admin/django_celery_beat/periodictask/",
    ):
        assert client.get(path).status_code == 404, path
    index = client.get("/admin/")
    assert index.status_code == 200
    assert b"Workspaces" not in index.content
    assert b"/admin/tenancy/" not in index.content


def test_owner_password_is_per_workspace(alpha, beta):
    """Both owners were created with the same password; each hash lives in its own schema."""
    with schema_context(alpha.schema):
        alpha_hash = User.objects.get(email=alpha.owner_email).password
    with schema_context(beta.schema):
        assert not User.objects.filter(password=alpha_hash).exists()
        assert User.objects.get(email=beta.owner_email).check_password(PASSWORD)
