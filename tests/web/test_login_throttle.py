"""Sign-in throttling on the team's sign-in page and both admin sites: repeated failures lock
out that name from that address (before the password is checked), other addresses and other
workspaces are unaffected, a success clears the count, and lockouts end."""

from __future__ import annotations

import pytest
from django.core.cache import caches
from django.test import Client, override_settings

from crm.team import login_throttle
from crm.team.models import Role

from ..conftest import PASSWORD

LIMIT = 5
LOCKED = b"Too many failed sign-ins"


def _login(client: Client, email: str, password: str, path: str = "/accounts/login/"):
    return client.post(path, {"username": email, "password": password})


def _from(workspace, address: str) -> Client:
    return Client(HTTP_HOST=workspace.host, REMOTE_ADDR=address)


def test_five_failures_lock_that_name_from_that_address_even_with_the_right_password(alpha):
    alpha.make_user(email="rep@alpha.test")
    guesser = _from(alpha, "203.0.113.9")
    for _ in range(LIMIT):
        response = _login(guesser, "rep@alpha.test", "guess")
        assert b"Please enter a correct email" in response.content
    refused = _login(guesser, "REP@alpha.test ", PASSWORD)  # case and spaces do not help
    assert refused.status_code == 200 and LOCKED in refused.content
    assert b"Try again in 15 minutes" in refused.content
    assert "_auth_user_id" not in refused.wsgi_request.session
    # The member, from their own machine, still signs in.
    assert _login(_from(alpha, "198.51.100.7"), "rep@alpha.test", PASSWORD).status_code == 302


def test_a_success_clears_the_count(alpha):
    alpha.make_user(email="rep@alpha.test")
    client = _from(alpha, "203.0.113.10")
    for _ in range(LIMIT - 1):
        _login(client, "rep@alpha.test", "typo")
    assert _login(client, "rep@alpha.test", PASSWORD).status_code == 302
    client.post("/accounts/logout/")
    for _ in range(LIMIT - 1):
        _login(client, "rep@alpha.test", "typo")
    assert _login(client, "rep@alpha.test", PASSWORD).status_code == 302


def test_one_address_trying_many_names_is_locked_out(alpha):
    alpha.make_user(email="rep@alpha.test")
    stuffer = _from(alpha, "203.0.113.11")
    with override_settings(LOGIN_ADDRESS_FAILURE_LIMIT=3):
        for n in range(3):
            _login(stuffer, f"nobody{n}@alpha.test", "guess")
        response = _login(stuffer, "rep@alpha.test", PASSWORD)
    assert LOCKED in response.content


def test_a_lockout_in_one_workspace_does_not_touch_another(alpha, beta):
    alpha.make_user(email="shared@example.test")
    beta.make_user(email="shared@example.test")
    for _ in range(LIMIT):
        _login(_from(alpha, "203.0.113.12"), "shared@example.test", "guess")
    assert LOCKED in _login(_from(alpha, "203.0.113.12"), "shared@example.test", PASSWORD).content
    beta_response = _login(_from(beta, "203.0.113.12"), "shared@example.test", PASSWORD)
    assert beta_response.status_code == 302


def test_the_workspace_admin_sign_in_is_throttled_too(alpha):
    alpha.make_user(email="boss@alpha.test", role=Role.MANAGER)
    client = _from(alpha, "203.0.113.13")
    for _ in range(LIMIT):
        _login(client, "boss@alpha.test", "guess", path="/admin/login/")
    response = _login(client, "boss@alpha.test", PASSWORD, path="/admin/login/")
    assert response.status_code == 200 and LOCKED in response.content


def test_the_platform_admin_sign_in_is_throttled_too(public_client):
    client = Client(HTTP_HOST=public_client.defaults["HTTP_HOST"], REMOTE_ADDR="203.0.113.14")
    for _ in range(LIMIT):
        _login(client, "operator@platform.test", "guess", path="/admin/login/")
    response = _login(client, "operator@platform.test", "guess", path="/admin/login/")
    assert LOCKED in response.content


def test_a_lockout_ends(alpha, monkeypatch):
    alpha.make_user(email="rep@alpha.test")
    client = _from(alpha, "203.0.113.15")
    for _ in range(LIMIT):
        _login(client, "rep@alpha.test", "guess")
    assert LOCKED in _login(client, "rep@alpha.test", PASSWORD).content
    caches["throttle"].clear()  # what the cache's expiry does after 15 minutes
    assert _login(client, "rep@alpha.test", PASSWORD).status_code == 302


@pytest.mark.parametrize("username", ["", " ", "x" * 500, "名前@例え.テスト"])
def test_odd_names_are_counted_without_error(username):
    for _ in range(LIMIT):
        login_throttle.login_failure_record(username=username, address="203.0.113.16")
    with pytest.raises(login_throttle.ValidationError) as refused:
        login_throttle.login_attempt_check(username=username, address="203.0.113.16")
    assert refused.value.code == "throttled"


def _reset(client: Client, email: str):
    return client.post("/accounts/password_reset/", {"email": email}, follow=True)


def test_reset_mail_is_capped_per_email_and_the_page_never_says(alpha, mailoutbox):
    alpha.make_user(email="rep@alpha.test")
    for n in range(4):  # the fourth request within the hour sends nothing
        page = _reset(_from(alpha, f"203.0.113.{20 + n}"), "Rep@Alpha.test")
        assert page.status_code == 200 and page.redirect_chain[-1][0].endswith("/done/")
    assert len(mailoutbox) == 3


def test_reset_mail_is_capped_per_address(alpha, mailoutbox):
    for n in range(12):
        alpha.make_user(email=f"rep{n}@alpha.test")
    flooder = _from(alpha, "203.0.113.30")
    for n in range(12):
        assert _reset(flooder, f"rep{n}@alpha.test").status_code == 200
    assert len(mailoutbox) == 10


def test_reset_mail_caps_are_per_workspace(alpha, beta, mailoutbox):
    alpha.make_user(email="shared@example.test")
    beta.make_user(email="shared@example.test")
    for _ in range(3):
        _reset(_from(alpha, "203.0.113.31"), "shared@example.test")
    _reset(_from(beta, "203.0.113.31"), "shared@example.test")
    assert len(mailoutbox) == 4
    assert beta.host in mailoutbox[-1].body


def test_a_rep_refused_by_the_admin_with_the_right_password_is_not_counted(alpha):
    alpha.make_user(email="rep@alpha.test")  # a rep: not staff, so the admin refuses them
    client = _from(alpha, "203.0.113.17")
    for _ in range(LIMIT + 1):
        response = _login(client, "rep@alpha.test", PASSWORD, path="/admin/login/")
        assert response.status_code == 200 and LOCKED not in response.content
    assert _login(client, "rep@alpha.test", PASSWORD).status_code == 302
