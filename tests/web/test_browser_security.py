"""Escaping of user-controlled text and CSRF protection of the forms."""

from __future__ import annotations

from django.test import Client
from django_tenants.utils import schema_context

from crm.team.models import Role
from crm.team.services import user_create
from crm.tenancy.models import Workspace

from ..conftest import PASSWORD

SCRIPT = "<script>alert(1)</script>"


def test_full_name_is_escaped_on_home_page(alpha):
    with schema_context(alpha.schema):
        user = user_create(
            email="xss@alpha.test", password=PASSWORD, full_name=SCRIPT, role=Role.MANAGER
        )
    response = alpha.logged_in_client(user).get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert SCRIPT not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_full_name_is_escaped_in_workspace_admin(alpha):
    with schema_context(alpha.schema):
        user_create(email="xss@alpha.test", password=PASSWORD, full_name=SCRIPT)
        owner = user_create(email="boss@alpha.test", password=PASSWORD, role=Role.ADMIN)
    html = alpha.logged_in_client(owner).get("/admin/team/user/").content.decode()
    assert SCRIPT not in html
    assert "&lt;script&gt;" in html


def test_workspace_name_is_escaped_on_its_pages(alpha):
    # The name comes from the sign-up form, so it is as untrusted as any user input.
    Workspace.objects.filter(pk=alpha.workspace.pk).update(name=SCRIPT)
    html = alpha.client().get("/accounts/login/").content.decode()
    assert SCRIPT not in html
    assert "&lt;script&gt;" in html


def test_login_rejects_post_without_csrf_token(alpha):
    alpha.make_user(email="rep@alpha.test")
    client = Client(enforce_csrf_checks=True, HTTP_HOST=alpha.host)
    response = client.post("/accounts/login/", {"username": "rep@alpha.test", "password": PASSWORD})
    assert response.status_code == 403
    assert "sessionid" not in response.cookies


def test_login_accepts_post_with_csrf_token(alpha):
    alpha.make_user(email="rep@alpha.test")
    client = Client(enforce_csrf_checks=True, HTTP_HOST=alpha.host)
    client.get("/accounts/login/")
    token = client.cookies["csrftoken"].value
    response = client.post(
        "/accounts/login/",
        {"username": "rep@alpha.test", "password": PASSWORD, "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302


def test_signup_rejects_post_without_csrf_token(public_client):
    client = Client(enforce_csrf_checks=True, HTTP_HOST="localhost")
    response = client.post(
        "/signup/",
        {
            "name": "Delta",
            "slug": "delta",
            "owner_email": "d@delta.test",
            "password": PASSWORD,
            "password_confirm": PASSWORD,
        },
    )
    assert response.status_code == 403
    assert not Workspace.objects.filter(slug="delta").exists()


def test_logout_rejects_post_without_csrf_token(alpha):
    user = alpha.make_user(email="rep@alpha.test")
    client = Client(enforce_csrf_checks=True, HTTP_HOST=alpha.host)
    with schema_context(alpha.schema):
        client.force_login(user)
    assert client.post("/accounts/logout/").status_code == 403
    assert client.get("/").status_code == 200  # still signed in


def test_session_and_csrf_cookies_are_host_only(alpha):
    """No Domain attribute: a cookie set by alpha.localhost is never sent to beta.localhost."""
    alpha.make_user(email="rep@alpha.test")
    client = alpha.client()
    client.get("/accounts/login/")
    client.post("/accounts/login/", {"username": "rep@alpha.test", "password": PASSWORD})
    for name in ("sessionid", "csrftoken"):
        assert client.cookies[name]["domain"] == "", name
    assert client.cookies["sessionid"]["httponly"]
