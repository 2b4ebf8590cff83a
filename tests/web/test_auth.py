"""Sign-in, sign-out, password change and reset, each scoped to the workspace's own host."""

from __future__ import annotations

import re

from django.core import mail
from django.test import Client
from django_tenants.utils import schema_context

from crm.team.models import Role, User
from crm.team.services import user_create

from ..conftest import PASSWORD

NEW_PASSWORD = "Another-Horse-77"


def _login(client: Client, email: str, password: str = PASSWORD):
    return client.post("/accounts/login/", {"username": email, "password": password})


def _password_ok(schema: str, email: str, password: str) -> bool:
    with schema_context(schema):
        return User.objects.get(email=email).check_password(password)


def test_login_page_renders_on_workspace_host(alpha):
    response = alpha.client().get("/accounts/login/")
    assert response.status_code == 200
    assert b"Sign in to Alpha" in response.content


def test_alpha_user_logs_in_on_alpha(alpha):
    alpha.make_user(email="rep@alpha.test")
    client = alpha.client()
    response = _login(client, "rep@alpha.test")
    assert response.status_code == 302
    assert response["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert b"Welcome, rep@alpha.test" in home.content


def test_alpha_user_cannot_log_in_on_beta(alpha, beta):
    alpha.make_user(email="rep@alpha.test")
    response = _login(beta.client(), "rep@alpha.test")
    # The form is shown again with an error; no session is created.
    assert response.status_code == 200
    assert b"Please enter a correct email" in response.content
    assert "_auth_user_id" not in response.wsgi_request.session


def test_wrong_password_is_refused(alpha):
    alpha.make_user(email="rep@alpha.test")
    response = _login(alpha.client(), "rep@alpha.test", "not-the-password")
    assert response.status_code == 200
    assert b"Please enter a correct email" in response.content


def test_alpha_session_cookie_does_not_authenticate_on_beta(alpha, beta):
    alpha.make_user(email="rep@alpha.test")
    alpha_client = alpha.client()
    assert _login(alpha_client, "rep@alpha.test").status_code == 302
    session_id = alpha_client.cookies["sessionid"].value

    beta_client = beta.client()
    beta_client.cookies["sessionid"] = session_id
    response = beta_client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_same_email_in_two_workspaces_are_two_accounts(alpha, beta):
    alpha.make_user(email="shared@example.test", password=PASSWORD)
    beta.make_user(email="shared@example.test", password=NEW_PASSWORD)
    assert _login(alpha.client(), "shared@example.test", PASSWORD).status_code == 302
    assert _login(alpha.client(), "shared@example.test", NEW_PASSWORD).status_code == 200
    assert _login(beta.client(), "shared@example.test", NEW_PASSWORD).status_code == 302
    assert _login(beta.client(), "shared@example.test", PASSWORD).status_code == 200


def test_logout_requires_post_and_ends_the_session(alpha):
    user = alpha.make_user(email="rep@alpha.test")
    client = alpha.logged_in_client(user)
    assert client.get("/").status_code == 200
    assert client.get("/accounts/logout/").status_code == 405  # GET must not sign out
    assert client.get("/").status_code == 200

    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert client.get("/").status_code == 302


def test_password_change_with_correct_old_password(alpha):
    user = alpha.make_user(email="rep@alpha.test")
    client = alpha.logged_in_client(user)
    response = client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password_change/done/"
    assert _password_ok(alpha.schema, "rep@alpha.test", NEW_PASSWORD)
    # The session that changed the password stays signed in.
    assert client.get("/").status_code == 200
    assert _login(alpha.client(), "rep@alpha.test", NEW_PASSWORD).status_code == 302


def test_password_change_refuses_wrong_old_password(alpha):
    user = alpha.make_user(email="rep@alpha.test")
    client = alpha.logged_in_client(user)
    response = client.post(
        "/accounts/password_change/",
        {"old_password": "wrong-old", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    assert b"Your old password was entered incorrectly" in response.content
    assert _password_ok(alpha.schema, "rep@alpha.test", PASSWORD)


def test_password_change_needs_login(alpha):
    response = alpha.client().get("/accounts/password_change/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def _reset_link(message: mail.EmailMessage) -> str:
    match = re.search(r"(https?)://([^/\s]+)(/accounts/reset/\S+)", message.body)
    assert match, message.body
    scheme, host, path = match.groups()
    assert scheme == "http"
    return host, path


def _follow_reset(client: Client, path: str, password: str):
    """Open the emailed link (Django redirects it to a token-less URL) and set a password."""
    response = client.get(path)
    assert response.status_code == 302, response.content
    form_url = response["Location"]
    page = client.get(form_url)
    assert page.status_code == 200
    assert b"Set a new password" in page.content
    return client.post(form_url, {"new_password1": password, "new_password2": password})


def test_password_reset_sends_link_on_workspace_host_and_sets_new_password(alpha):
    alpha.make_user(email="rep@alpha.test")
    client = alpha.client()
    response = client.post("/accounts/password_reset/", {"email": "rep@alpha.test"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password_reset/done/"

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["rep@alpha.test"]
    host, path = _reset_link(message)
    assert host == alpha.host

    done = _follow_reset(client, path, NEW_PASSWORD)
    assert done.status_code == 302
    assert done["Location"] == "/accounts/reset/done/"
    assert _login(alpha.client(), "rep@alpha.test", NEW_PASSWORD).status_code == 302
    assert _login(alpha.client(), "rep@alpha.test", PASSWORD).status_code == 200


def test_password_reset_link_is_single_use(alpha):
    alpha.make_user(email="rep@alpha.test")
    alpha.client().post("/accounts/password_reset/", {"email": "rep@alpha.test"})
    _host, path = _reset_link(mail.outbox[0])
    assert _follow_reset(alpha.client(), path, NEW_PASSWORD).status_code == 302
    again = alpha.client().get(path, follow=True)
    assert b"This link has expired" in again.content


def test_password_reset_link_of_alpha_does_not_work_on_beta(alpha, beta):
    alpha.make_user(email="shared@example.test")
    beta.make_user(email="shared@example.test")
    alpha.client().post("/accounts/password_reset/", {"email": "shared@example.test"})
    _host, path = _reset_link(mail.outbox[0])
    response = beta.client().get(path, follow=True)
    assert b"This link has expired" in response.content
    assert _password_ok(beta.schema, "shared@example.test", PASSWORD)


def test_password_reset_unknown_email_shows_done_and_sends_nothing(alpha, beta):
    beta.make_user(email="only-in-beta@example.test")
    for email in ("nobody@alpha.test", "only-in-beta@example.test"):
        response = alpha.client().post("/accounts/password_reset/", {"email": email}, follow=True)
        assert response.status_code == 200
        assert b"Check your email" in response.content
    assert mail.outbox == []


def test_user_created_without_password_can_set_one_through_reset(alpha):
    # The admin's add form says "leave empty to have them set one through Forgot password".
    with schema_context(alpha.schema):
        user_create(email="invited@alpha.test", password=None, role=Role.REP)
    alpha.client().post("/accounts/password_reset/", {"email": "invited@alpha.test"})
    assert len(mail.outbox) == 1
    _host, path = _reset_link(mail.outbox[0])
    assert _follow_reset(alpha.client(), path, NEW_PASSWORD).status_code == 302
    assert _login(alpha.client(), "invited@alpha.test", NEW_PASSWORD).status_code == 302


def test_inactive_user_gets_no_reset_email(alpha):
    with schema_context(alpha.schema):
        user_create(email="gone@alpha.test", password=PASSWORD, is_active=False)
    alpha.client().post("/accounts/password_reset/", {"email": "gone@alpha.test"})
    assert mail.outbox == []
