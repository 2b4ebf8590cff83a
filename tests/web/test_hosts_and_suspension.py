"""Routing by host: suspended workspaces, unknown workspaces and hosts we do not serve."""

from __future__ import annotations

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from crm.team.models import User
from crm.tenancy.models import Workspace
from crm.tenancy.services import workspace_reactivate, workspace_suspend

from ..conftest import PASSWORD


@pytest.fixture
def suspended_alpha(alpha):
    # The test's transaction rolls the suspension back afterwards.
    workspace_suspend(workspace=Workspace.objects.get(pk=alpha.workspace.pk), reason="unpaid")
    return alpha


def _is_suspended_page(response) -> bool:
    return response.status_code == 403 and b"is suspended" in response.content


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/admin/", "/admin/team/user/", "/x"])
def test_suspended_workspace_shows_suspended_page_everywhere(suspended_alpha, path):
    response = suspended_alpha.client().get(path)
    assert _is_suspended_page(response), (response.status_code, path)
    assert b"Alpha is suspended" in response.content


def test_suspended_workspace_refuses_login_post(suspended_alpha):
    response = suspended_alpha.client().post(
        "/accounts/login/", {"username": suspended_alpha.owner_email, "password": PASSWORD}
    )
    assert _is_suspended_page(response)
    assert "sessionid" not in response.cookies


def test_suspended_workspace_locks_out_existing_sessions(alpha):
    with schema_context(alpha.schema):
        owner = User.objects.get(email=alpha.owner_email)
    client = alpha.logged_in_client(owner)
    assert client.get("/").status_code == 200
    workspace_suspend(workspace=Workspace.objects.get(pk=alpha.workspace.pk))
    assert _is_suspended_page(client.get("/"))
    assert _is_suspended_page(client.get("/admin/"))


def test_suspended_workspace_healthz_still_answers(suspended_alpha):
    response = suspended_alpha.client().get("/healthz")
    # Health depends on a live worker, so 200 or 503; never the suspended page.
    assert response.status_code in (200, 503)
    assert not _is_suspended_page(response)
    assert "status" in response.json()  # the health report, not an HTML page


def test_suspension_of_alpha_leaves_beta_alone(suspended_alpha, beta):
    assert beta.client().get("/accounts/login/").status_code == 200


def test_reactivated_workspace_lets_users_log_in_again(suspended_alpha):
    workspace_reactivate(workspace=Workspace.objects.get(pk=suspended_alpha.workspace.pk))
    client = suspended_alpha.client()
    response = client.post(
        "/accounts/login/", {"username": suspended_alpha.owner_email, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_unknown_workspace_host_gets_friendly_404(db):
    response = Client(HTTP_HOST="nope.localhost").get("/")
    assert response.status_code == 404
    assert b"There is no workspace at nope.localhost" in response.content


@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/", "/healthz"])
def test_unknown_workspace_host_is_404_on_every_path(db, path):
    response = Client(HTTP_HOST="nope.localhost").get(path)
    assert response.status_code == 404
    assert b"There is no workspace" in response.content


def test_unknown_host_with_port_gets_friendly_404(db):
    response = Client(HTTP_HOST="nope.localhost:8000").get("/")
    assert response.status_code == 404
    assert b"There is no workspace at nope.localhost" in response.content


@pytest.mark.parametrize("host", ["evil.com", "alpha.localhost.evil.com", "localhost@evil.com"])
def test_host_not_in_allowed_hosts_gets_400(db, host):
    response = Client(HTTP_HOST=host).get("/")
    assert response.status_code == 400


def test_workspace_and_public_hosts_with_port_are_routed(alpha, public_client):
    assert Client(HTTP_HOST=f"{alpha.host}:8000").get("/accounts/login/").status_code == 200
    assert Client(HTTP_HOST="localhost:8000").get("/").status_code == 200


def test_every_response_carries_a_request_id(alpha):
    response = alpha.client().get("/accounts/login/", HTTP_X_REQUEST_ID="abc-123")
    assert response["X-Request-ID"] == "abc-123"
    response = Client(HTTP_HOST="nope.localhost").get("/")
    assert len(response["X-Request-ID"]) == 32
