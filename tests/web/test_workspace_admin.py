"""The workspace admin (/admin/ on a workspace host): who gets in and what a manager may do."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django_tenants.utils import schema_context

from crm.team.admin import UserAdmin
from crm.team.models import Role, User
from crm.team.services import user_create, user_set_role
from crm.tenancy.admin_sites import workspace_admin

from ..conftest import PASSWORD


@pytest.fixture
def alpha_owner(alpha) -> User:
    with schema_context(alpha.schema):
        return User.objects.get(email=alpha.owner_email)


@pytest.fixture
def manager_client(alpha):
    manager = alpha.make_user(email="manager@alpha.test", role=Role.MANAGER)
    return alpha.logged_in_client(manager)


def _user(schema: str, email: str) -> User | None:
    with schema_context(schema):
        return User.objects.filter(email=email).first()


def _add_form(**overrides) -> dict:
    data = {
        "email": "new@alpha.test",
        "full_name": "New Person",
        "role": Role.REP,
        "password": "Fresh-Person-93",
    }
    return data | overrides


def test_manager_can_open_workspace_admin(manager_client):
    response = manager_client.get("/admin/")
    assert response.status_code == 200
    assert b"Alpha" in response.content  # site header names the workspace
    assert manager_client.get("/admin/team/user/").status_code == 200


def test_rep_is_refused_workspace_admin(alpha):
    rep = alpha.make_user(email="rep@alpha.test", role=Role.REP)
    response = alpha.logged_in_client(rep).get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    users = alpha.logged_in_client(rep).get("/admin/team/user/")
    assert users.status_code == 302


def test_rep_cannot_log_in_to_workspace_admin(alpha):
    alpha.make_user(email="rep@alpha.test", role=Role.REP)
    response = alpha.client().post(
        "/admin/login/?next=/admin/", {"username": "rep@alpha.test", "password": PASSWORD}
    )
    assert response.status_code == 200  # the login form again, with an error
    assert b"staff account" in response.content


def test_manager_has_no_change_permission_on_admin_user(alpha, alpha_owner):
    manager = alpha.make_user(email="manager@alpha.test", role=Role.MANAGER)
    rep = alpha.make_user(email="rep@alpha.test", role=Role.REP)
    request = RequestFactory().get("/admin/")
    request.user = manager
    model_admin = UserAdmin(User, workspace_admin)
    with schema_context(alpha.schema):
        assert model_admin.has_change_permission(request, alpha_owner) is False
        assert model_admin.has_change_permission(request, rep) is True


def test_manager_cannot_edit_admin_user_over_http(alpha, alpha_owner, manager_client):
    path = f"/admin/team/user/{alpha_owner.pk}/change/"
    page = manager_client.get(path)
    # View-only: the manager may see the owner but the page offers no save.
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    response = manager_client.post(
        path,
        {"email": "owner@alpha.test", "full_name": "x", "role": Role.REP, "is_active": ""},
    )
    assert response.status_code == 403
    owner = _user(alpha.schema, alpha.owner_email)
    assert owner.role == Role.ADMIN and owner.is_active and owner.is_staff


def test_manager_adds_user_through_admin_in_own_schema_only(alpha, beta, manager_client):
    response = manager_client.post("/admin/team/user/add/", _add_form(role=Role.MANAGER))
    assert response.status_code == 302, response.content
    created = _user(alpha.schema, "new@alpha.test")
    assert created is not None
    assert created.role == Role.MANAGER and created.is_staff and not created.is_superuser
    assert created.check_password("Fresh-Person-93")
    with schema_context(alpha.schema):
        assert list(created.groups.values_list("name", flat=True)) == ["Managers"]
    assert _user(beta.schema, "new@alpha.test") is None


def test_manager_adds_rep_without_admin_access(alpha, manager_client):
    response = manager_client.post("/admin/team/user/add/", _add_form(role=Role.REP))
    assert response.status_code == 302
    created = _user(alpha.schema, "new@alpha.test")
    assert created.role == Role.REP and not created.is_staff
    with schema_context(alpha.schema):
        assert list(created.groups.values_list("name", flat=True)) == ["Sales reps"]


def test_manager_cannot_create_an_admin(alpha, manager_client):
    # An admin account made by a manager would let the manager do anything an admin can.
    response = manager_client.post("/admin/team/user/add/", _add_form(role=Role.ADMIN))
    assert response.status_code == 200
    assert b"Select a valid choice" in response.content
    assert _user(alpha.schema, "new@alpha.test") is None


def test_manager_cannot_promote_a_rep_or_themselves_to_admin(alpha):
    manager = alpha.make_user(email="manager@alpha.test", role=Role.MANAGER)
    rep = alpha.make_user(email="rep@alpha.test", role=Role.REP)
    client = alpha.logged_in_client(manager)
    for target in (rep, manager):
        response = client.post(
            f"/admin/team/user/{target.pk}/change/",
            {"email": target.email, "full_name": "x", "role": Role.ADMIN, "is_active": "on"},
        )
        assert response.status_code == 200, target.email
        assert b"Select a valid choice" in response.content
    assert _user(alpha.schema, "rep@alpha.test").role == Role.REP
    assert _user(alpha.schema, "manager@alpha.test").role == Role.MANAGER


def test_admin_can_promote_a_rep_to_manager(alpha, alpha_owner):
    rep = alpha.make_user(email="rep@alpha.test", role=Role.REP)
    response = alpha.logged_in_client(alpha_owner).post(
        f"/admin/team/user/{rep.pk}/change/",
        {"email": rep.email, "full_name": "Promoted", "role": Role.MANAGER, "is_active": "on"},
    )
    assert response.status_code == 302, response.content
    promoted = _user(alpha.schema, "rep@alpha.test")
    assert promoted.role == Role.MANAGER and promoted.is_staff
    assert promoted.full_name == "Promoted"
    with schema_context(alpha.schema):
        assert list(promoted.groups.values_list("name", flat=True)) == ["Managers"]


def test_admin_add_form_refuses_weak_password_with_field_error(alpha, manager_client):
    response = manager_client.post("/admin/team/user/add/", _add_form(password="123"))
    assert response.status_code == 200
    assert b"This password is too short" in response.content
    assert _user(alpha.schema, "new@alpha.test") is None


def test_admin_add_form_refuses_existing_email_in_any_case(alpha, manager_client):
    alpha.make_user(email="taken@alpha.test")
    response = manager_client.post("/admin/team/user/add/", _add_form(email="Taken@Alpha.TEST"))
    assert response.status_code == 200
    assert b"already has an account" in response.content
    with schema_context(alpha.schema):
        assert User.objects.filter(email__iexact="taken@alpha.test").count() == 1


def test_admin_add_form_without_password_creates_user_who_must_reset(alpha, manager_client):
    response = manager_client.post("/admin/team/user/add/", _add_form(password=""))
    assert response.status_code == 302
    assert not _user(alpha.schema, "new@alpha.test").has_usable_password()


def test_role_groups_exist_per_workspace(alpha, beta):
    for schema in (alpha.schema, beta.schema):
        with schema_context(schema):
            names = set(Group.objects.values_list("name", flat=True))
            assert {"Admins", "Managers", "Sales reps"} <= names


def test_manager_cannot_manage_role_groups_or_delete_users(alpha, manager_client):
    rep = alpha.make_user(email="rep@alpha.test", role=Role.REP)
    assert manager_client.get("/admin/auth/group/").status_code == 403
    assert (
        manager_client.post(f"/admin/team/user/{rep.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert _user(alpha.schema, "rep@alpha.test") is not None


def test_admin_deletes_a_user(alpha, alpha_owner):
    rep = alpha.make_user(email="rep@alpha.test", role=Role.REP)
    client = alpha.logged_in_client(alpha_owner)
    response = client.post(f"/admin/team/user/{rep.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert _user(alpha.schema, "rep@alpha.test") is None


def test_unknown_path_on_workspace_is_friendly_404(alpha):
    response = alpha.client().get("/no-such-page/")
    assert response.status_code == 404
    assert b"Page not found" in response.content


def test_services_refuse_a_manager_granting_admin(alpha):
    """The admin form hides the choice; the services refuse it anyway (defence in depth)."""
    manager = alpha.make_user(email="manager@alpha.test", role=Role.MANAGER)
    rep = alpha.make_user(email="rep@alpha.test", role=Role.REP)
    with schema_context(alpha.schema):
        with pytest.raises(ValidationError, match="cannot give the role"):
            user_create(email="x@alpha.test", password=None, role=Role.ADMIN, by=manager)
        with pytest.raises(ValidationError, match="cannot give the role"):
            user_set_role(user=rep, role=Role.ADMIN, by=manager)
        assert User.objects.get(pk=rep.pk).role == Role.REP
        assert not User.objects.filter(email="x@alpha.test").exists()
        # Managers may still hand out the roles below admin.
        assert user_set_role(user=rep, role=Role.MANAGER, by=manager).is_staff


def test_superuser_may_grant_any_role_whatever_its_own_role(db):
    with schema_context(settings.PUBLIC_SCHEMA_NAME):
        root = user_create(email="root@lodestar.test", password=None, role=Role.REP)
        root.is_superuser = True
        made = user_create(email="ops2@lodestar.test", password=None, role=Role.ADMIN, by=root)
        assert made.role == Role.ADMIN
