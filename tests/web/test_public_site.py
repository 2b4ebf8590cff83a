"""The public site (the platform's own domain): sign-up and the operators' admin."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django_tenants.utils import schema_context, schema_exists

from crm.team.models import Role, User
from crm.tenancy.models import Workspace
from crm.tenancy.services import WorkspaceError, workspace_suspend

from ..conftest import PASSWORD

SIGNUP = {
    "name": "Gamma Roofing",
    "slug": "gamma",
    "owner_name": "Gail Gamma",
    "owner_email": "gail@gamma.test",
    "password": PASSWORD,
    "password_confirm": PASSWORD,
}


def _field_block(html: str, field: str) -> str:
    """The markup of one field of the sign-up form: its label, input and errors."""
    for block in html.split('<div class="field')[1:]:
        if f'for="id_{field}"' in block.split("</label>")[0]:
            return block
    raise AssertionError(f"no field {field} in the page")


def test_landing_shows_signup_form(public_client):
    response = public_client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Create your workspace" in html
    assert 'action="/signup/"' in html
    for field in SIGNUP:
        assert f'name="{field}"' in html


def test_signup_page_get_shows_form(public_client):
    response = public_client.get("/signup/")
    assert response.status_code == 200
    assert b"Create your workspace" in response.content


def test_signup_creates_workspace_and_redirects_to_its_login(public_client):
    response = public_client.post("/signup/", SIGNUP)
    assert response.status_code == 302, response.content
    assert response["Location"] == "http://gamma.localhost/accounts/login/?created=1"

    workspace = Workspace.objects.get(slug="gamma")
    assert workspace.name == "Gamma Roofing" and workspace.schema_name == "ws_gamma"
    assert schema_exists("ws_gamma")
    with schema_context("ws_gamma"):
        owner = User.objects.get()
        assert owner.email == "gail@gamma.test" and owner.full_name == "Gail Gamma"
        assert owner.role == Role.ADMIN and owner.is_staff

    client = Client(HTTP_HOST="gamma.localhost")
    welcome = client.get("/accounts/login/?created=1")
    assert b"Your workspace is ready" in welcome.content
    login = client.post("/accounts/login/", {"username": "gail@gamma.test", "password": PASSWORD})
    assert login.status_code == 302 and login["Location"] == "/"
    assert b"Welcome, Gail" in client.get("/").content


def test_signup_redirect_keeps_the_port_the_visitor_used(db):
    # Development server: the browser is on localhost:8000.
    client = Client(HTTP_HOST="localhost:8000")
    response = client.post("/signup/", SIGNUP)
    assert response["Location"] == "http://gamma.localhost:8000/accounts/login/?created=1"


def test_signup_redirect_ignores_the_internal_port_behind_a_proxy(db):
    # A proxy on port 80 forwards to the app on 8000: the visitor never saw port 8000.
    client = Client(HTTP_HOST="localhost", SERVER_PORT="8000")
    response = client.post("/signup/", SIGNUP)
    assert response["Location"] == "http://gamma.localhost/accounts/login/?created=1"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"slug": "admin"}, "slug", "is reserved"),
        ({"slug": "www"}, "slug", "is reserved"),
        ({"slug": "Gamma"}, "slug", "Use lowercase letters only"),
        ({"slug": "alpha"}, "slug", "is already taken"),
        ({"slug": "ga"}, "slug", "at least 3 characters"),
        ({"slug": "gam_ma"}, "slug", "single hyphens"),
        ({"password_confirm": "Something-Else-1"}, "password_confirm", "The two passwords differ"),
        ({"password": "1234", "password_confirm": "1234"}, "password", "too short"),
        ({"password": "password", "password_confirm": "password"}, "password", "too common"),
        # Refused by the similarity check that needs the owner's email.
        (
            {
                "owner_email": "correcthorsebattery@gamma.test",
                "password": "correcthorsebattery",
                "password_confirm": "correcthorsebattery",
            },
            "password",
            "too similar",
        ),
        ({"owner_email": "not-an-email"}, "owner_email", "Enter a valid email address"),
        ({"name": ""}, "name", "This field is required"),
    ],
)
def test_signup_bad_input_is_refused_next_to_the_field(
    alpha, public_client, overrides, field, message
):
    before = set(Workspace.objects.values_list("slug", flat=True))
    response = public_client.post("/signup/", SIGNUP | overrides)
    assert response.status_code == 400
    block = _field_block(response.content.decode(), field)
    assert block.startswith(" has-error"), block
    assert message in block
    assert set(Workspace.objects.values_list("slug", flat=True)) == before
    assert not schema_exists("ws_gamma")


def test_signup_keeps_what_was_typed_except_passwords(public_client):
    response = public_client.post("/signup/", SIGNUP | {"slug": "admin"})
    html = response.content.decode()
    assert 'value="Gamma Roofing"' in html
    assert 'value="gail@gamma.test"' in html
    assert PASSWORD not in html


def test_signup_is_not_served_on_a_workspace_host(alpha):
    assert alpha.client().get("/signup/").status_code == 404


# --- the operators' admin -----------------------------------------------------------------


def _operator_client(operator: User) -> Client:
    client = Client(HTTP_HOST="localhost")
    response = client.post(
        "/admin/login/?next=/admin/", {"username": operator.email, "password": PASSWORD}
    )
    assert response.status_code == 302, response.content
    return client


def test_operator_logs_in_and_lists_workspaces(operator, alpha, beta):
    client = _operator_client(operator)
    index = client.get("/admin/")
    assert index.status_code == 200
    assert b"platform operators" in index.content
    listing = client.get("/admin/tenancy/workspace/")
    assert listing.status_code == 200
    html = listing.content.decode()
    assert "ws_alpha" in html and "ws_beta" in html


def test_operator_suspends_workspace_with_admin_action(operator, alpha, beta):
    client = _operator_client(operator)
    response = client.post(
        "/admin/tenancy/workspace/",
        {"action": "suspend_selected", "_selected_action": [alpha.workspace.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert b"Suspended 1 workspace(s)." in response.content
    assert Workspace.objects.get(pk=alpha.workspace.pk).status == Workspace.Status.SUSPENDED
    assert Workspace.objects.get(pk=beta.workspace.pk).status == Workspace.Status.ACTIVE
    assert alpha.client().get("/accounts/login/").status_code == 403


def test_public_site_is_not_listed_and_cannot_be_suspended(operator, alpha):
    client = _operator_client(operator)
    public = Workspace.objects.get(schema_name="public")
    listing = client.get("/admin/tenancy/workspace/").content.decode()
    assert "ws_alpha" in listing and ">public<" not in listing
    response = client.post(
        "/admin/tenancy/workspace/",
        {"action": "suspend_selected", "_selected_action": [public.pk]},
        follow=True,
    )
    assert b"Suspended 1 workspace" not in response.content
    assert Workspace.objects.get(pk=public.pk).status == Workspace.Status.ACTIVE
    with pytest.raises(WorkspaceError, match="cannot be suspended"):
        workspace_suspend(workspace=public)


def test_operator_reactivates_workspace_with_admin_action(operator, alpha):
    client = _operator_client(operator)
    for action in ("suspend_selected", "reactivate_selected"):
        client.post(
            "/admin/tenancy/workspace/",
            {"action": action, "_selected_action": [alpha.workspace.pk]},
        )
    assert Workspace.objects.get(pk=alpha.workspace.pk).status == Workspace.Status.ACTIVE
    assert alpha.client().get("/accounts/login/").status_code == 200


def test_workspace_user_cannot_log_in_to_operators_admin(alpha):
    client = Client(HTTP_HOST="localhost")
    response = client.post(
        "/admin/login/?next=/admin/", {"username": alpha.owner_email, "password": PASSWORD}
    )
    assert response.status_code == 200
    assert b"Please enter the correct email" in response.content
    assert client.get("/admin/").status_code == 302


def test_operator_cannot_log_in_to_a_workspace(operator, alpha):
    response = alpha.client().post(
        "/accounts/login/", {"username": operator.email, "password": PASSWORD}
    )
    assert response.status_code == 200
    response = alpha.client().post(
        "/admin/login/?next=/admin/", {"username": operator.email, "password": PASSWORD}
    )
    assert response.status_code == 200


def test_workspace_session_does_not_open_operators_admin(alpha):
    with schema_context(alpha.schema):
        owner = User.objects.get(email=alpha.owner_email)
    session_id = alpha.logged_in_client(owner).cookies["sessionid"].value
    client = Client(HTTP_HOST="localhost")
    client.cookies["sessionid"] = session_id
    response = client.get("/admin/")
    assert response.status_code == 302
    assert re.match(r"^/admin/login/", response["Location"])


def test_operator_opens_a_workspace_change_page(operator, alpha):
    client = _operator_client(operator)
    response = client.get(f"/admin/tenancy/workspace/{alpha.workspace.pk}/change/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "alpha.localhost" in html  # the domain inline
    assert 'name="status"' not in html  # status changes only through the actions


def test_operator_edits_a_workspace_name(operator, alpha):
    client = _operator_client(operator)
    path = f"/admin/tenancy/workspace/{alpha.workspace.pk}/change/"
    domain = alpha.workspace.domains.get()
    response = client.post(
        path,
        {
            "name": "Alpha Renamed",
            "timezone": "UTC",
            "locale": "en-us",
            "plan": Workspace.Plan.TEAM,
            "suspended_reason": "",
            "domains-TOTAL_FORMS": "1",
            "domains-INITIAL_FORMS": "1",
            "domains-MIN_NUM_FORMS": "0",
            "domains-MAX_NUM_FORMS": "1000",
            "domains-0-id": str(domain.pk),
            "domains-0-tenant": str(alpha.workspace.pk),
            "domains-0-domain": domain.domain,
            "domains-0-is_primary": "on",
        },
    )
    assert response.status_code == 302, response.content
    renamed = Workspace.objects.get(pk=alpha.workspace.pk)
    assert renamed.name == "Alpha Renamed" and renamed.plan == Workspace.Plan.TEAM
    assert renamed.status == Workspace.Status.ACTIVE


def test_operator_cannot_add_or_delete_workspaces_in_admin(operator, alpha):
    client = _operator_client(operator)
    assert client.get("/admin/tenancy/workspace/add/").status_code == 403
    delete = f"/admin/tenancy/workspace/{alpha.workspace.pk}/delete/"
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert Workspace.objects.filter(pk=alpha.workspace.pk).exists()


def test_operator_lists_operators_not_workspace_users(operator, alpha):
    client = _operator_client(operator)
    html = client.get("/admin/team/user/").content.decode()
    assert operator.email in html
    assert alpha.owner_email not in html


def test_unknown_path_on_public_site_is_friendly_404(public_client):
    response = public_client.get("/accounts/login/")
    assert response.status_code == 404
    assert b"Page not found" in response.content


def test_signups_from_one_address_are_capped_per_hour(public_client, settings):
    settings.SIGNUP_LIMIT_PER_HOUR = 1
    client = Client(HTTP_HOST=public_client.defaults["HTTP_HOST"], REMOTE_ADDR="203.0.113.40")
    assert client.post("/signup/", SIGNUP).status_code == 302
    second = SIGNUP | {"slug": "delta", "name": "Delta", "owner_email": "d@delta.test"}
    refused = client.post("/signup/", second)
    assert refused.status_code == 429
    assert b"Too many sign-ups from your network" in refused.content
    assert b'value="Delta"' in refused.content  # what was typed is kept
    assert not Workspace.objects.filter(slug="delta").exists()
    assert not schema_exists("ws_delta")


def test_the_signup_cap_counts_each_address_on_its_own(settings):
    from crm.tenancy.signup_throttle import signup_attempt_allow

    settings.SIGNUP_LIMIT_PER_HOUR = 2
    assert [signup_attempt_allow(address="203.0.113.41") for _ in range(3)] == [True, True, False]
    assert signup_attempt_allow(address="203.0.113.42")
