"""A workspace always keeps at least one active admin."""

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import schema_context

from crm.team.models import Role, User
from crm.team.services import user_set_role, user_update


def test_the_only_admin_cannot_be_demoted_or_deactivated(alpha):
    with schema_context(alpha.schema):
        owner = User.objects.get(email=alpha.owner_email)
        with pytest.raises(ValidationError, match="only active admin"):
            user_set_role(user=owner, role=Role.REP)
        with pytest.raises(ValidationError, match="only active admin"):
            user_update(user=owner, email=owner.email, full_name="", is_active=False,
                        role=Role.ADMIN)  # fmt: skip
        owner.refresh_from_db()
        assert owner.role == Role.ADMIN and owner.is_active and owner.is_staff


def test_an_admin_can_step_down_once_another_admin_exists(alpha):
    second = alpha.make_user(email="second-admin@alpha.test", role=Role.ADMIN)
    with schema_context(alpha.schema):
        owner = User.objects.get(email=alpha.owner_email)
        user_set_role(user=owner, role=Role.MANAGER)
        owner.refresh_from_db()
        assert owner.role == Role.MANAGER
        with pytest.raises(ValidationError):  # now `second` is the last one
            user_update(user=second, email=second.email, full_name="", is_active=False,
                        role=Role.ADMIN)  # fmt: skip


def test_workspace_admin_form_explains_the_refusal(alpha):
    with schema_context(alpha.schema):
        owner = User.objects.get(email=alpha.owner_email)
    client = alpha.logged_in_client(owner)
    response = client.post(
        f"/admin/team/user/{owner.pk}/change/",
        {"email": owner.email, "full_name": "Owner", "role": Role.REP, "is_active": "on"},
    )
    assert response.status_code == 200
    assert "only active admin" in response.content.decode()
    with schema_context(alpha.schema):
        assert User.objects.get(pk=owner.pk).role == Role.ADMIN


def test_beta_admins_do_not_count_for_alpha(alpha, beta):
    beta.make_user(email="extra-admin@beta.test", role=Role.ADMIN)
    with schema_context(alpha.schema):
        owner = User.objects.get(email=alpha.owner_email)
        with pytest.raises(ValidationError):
            user_set_role(user=owner, role=Role.REP)
