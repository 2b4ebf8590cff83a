"""Writes for team members and their roles."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q

from . import roles
from .models import Role, User
from .selectors import user_email_taken


def _permissions_for(role: str) -> list[Permission]:
    if role == Role.ADMIN:
        return list(Permission.objects.all())
    if role == Role.MANAGER:
        extra = Q()
        for dotted in roles.MANAGER_EXTRA_PERMISSIONS:
            app_label, codename = dotted.split(".", 1)
            extra |= Q(content_type__app_label=app_label, codename=codename)
        by_app = Q(content_type__app_label__in=roles.MANAGER_APP_LABELS) | Q(
            content_type__app_label__in=roles.MANAGER_READ_ONLY_APP_LABELS,
            codename__startswith="view_",
        )
        return list(Permission.objects.filter(by_app | extra))
    return []


@transaction.atomic
def role_groups_sync() -> dict[str, Group]:
    """Create or refresh one group per role in the current schema; idempotent."""
    groups = {}
    for role, group_name in roles.GROUP_NAMES.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        group.permissions.set(_permissions_for(role))
        groups[role] = group
    return groups


def _check_may_grant(*, by: User | None, role: str) -> None:
    # `by` is the person acting (from a request); None means trusted code (provisioning, CLI).
    if by is not None and role not in roles.roles_grantable_by(by):
        raise ValidationError({"role": f'You cannot give the role "{Role(role).label}".'})


def user_ensure_admin_remains(*, user_id: int | None, role: str, is_active: bool) -> None:
    """Refuse a change that would leave the workspace without an active admin (nobody could
    then manage the team or recover access)."""
    if user_id is None or (role == Role.ADMIN and is_active):
        return
    current = User.objects.filter(pk=user_id).values("role", "is_active").first()
    if not current or current["role"] != Role.ADMIN or not current["is_active"]:
        return
    others = User.objects.filter(role=Role.ADMIN, is_active=True).exclude(pk=user_id)
    if not others.exists():
        raise ValidationError(
            {"role": "This is the workspace's only active admin. Make someone else admin first."}
        )


@transaction.atomic
def user_update(
    *, user: User, email: str, full_name: str, is_active: bool, role: str, by: User | None = None
) -> User:
    """Edit a team member's profile, status and role, keeping at least one active admin."""
    user_ensure_admin_remains(user_id=user.pk, role=role, is_active=is_active)
    email = email.strip().lower()
    if user_email_taken(email=email, exclude_pk=user.pk):
        raise ValidationError({"email": f"{email} already has an account here."})
    user.email, user.full_name, user.is_active = email, full_name.strip(), is_active
    user.save(update_fields=["email", "full_name", "is_active"])
    if role != User.objects.values_list("role", flat=True).get(pk=user.pk):
        user_set_role(user=user, role=role, by=by)
    return user


@transaction.atomic
def user_set_role(*, user: User, role: str, by: User | None = None) -> User:
    """Role decides admin access (is_staff) and group membership; nothing else sets them."""
    if role not in Role.values:
        raise ValidationError({"role": f'Unknown role "{role}".'})
    _check_may_grant(by=by, role=role)
    user_ensure_admin_remains(user_id=user.pk, role=role, is_active=user.is_active)
    group_names = roles.GROUP_NAMES
    user.role = role
    user.is_staff = role in roles.STAFF_ROLES
    user.save(update_fields=["role", "is_staff"])
    user.groups.remove(*Group.objects.filter(name__in=group_names.values()))
    group, _ = Group.objects.get_or_create(name=group_names[Role(role)])
    if not group.permissions.exists() and role != Role.REP:
        group = role_groups_sync()[role]
    user.groups.add(group)
    return user


@transaction.atomic
def user_create(
    *,
    email: str,
    password: str | None,
    role: str = Role.REP,
    full_name: str = "",
    is_active: bool = True,
    by: User | None = None,
) -> User:
    """Create a team member in the current schema. No password means they must reset one."""
    if role not in Role.values:
        raise ValidationError({"role": f'Unknown role "{role}".'})
    _check_may_grant(by=by, role=role)
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationError({"email": "Enter a valid email address."}) from exc
    if user_email_taken(email=email):
        raise ValidationError({"email": f"{email} already has an account here."})
    user = User(email=email, full_name=full_name.strip(), is_active=is_active)
    if password:
        validate_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    return user_set_role(user=user, role=role)
