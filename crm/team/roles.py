"""What each role may do, as Django permissions. Later apps add their labels here.

Admins: everything in their workspace. Managers: every CRM record and the team's accounts, but
not the role groups themselves. Reps: no admin access; they work in the rep UI, whose views
check ownership rather than model permissions.
"""

from .models import Role, User

# App labels whose every model a manager may view, add, change and delete.
MANAGER_APP_LABELS: tuple[str, ...] = (
    "contacts", "customfields", "deals", "leads", "activities", "webhooks", "imports",
    # Predictive intelligence: model versions (card, activate, retrain), runs, settings.
    "intelligence", "intelligence_deals", "intelligence_customers", "intelligence_forecast",
    # Language: reply-intent corrections; insights: the competitor list.
    "intelligence_language", "intelligence_insights",
)  # fmt: skip
MANAGER_READ_ONLY_APP_LABELS: tuple[str, ...] = ("audit",)
# Individual permissions a manager has outside those apps ("app_label.codename").
MANAGER_EXTRA_PERMISSIONS: tuple[str, ...] = (
    "team.view_user",
    "team.add_user",
    "team.change_user",
    # Managers issue and revoke the partner API's keys.
    "team.view_apikey",
    "team.add_apikey",
    "team.change_apikey",
)
STAFF_ROLES = frozenset({Role.ADMIN, Role.MANAGER})
# Which roles a member of each role may hand out. A manager granting "admin" could make an
# account with every permission, so only admins make admins; reps hand out nothing.
GRANTABLE_ROLES = {
    Role.ADMIN: (Role.ADMIN, Role.MANAGER, Role.REP),
    Role.MANAGER: (Role.MANAGER, Role.REP),
    Role.REP: (),
}
GROUP_NAMES = {Role.ADMIN: "Admins", Role.MANAGER: "Managers", Role.REP: "Sales reps"}


def roles_grantable_by(user: User) -> tuple[Role, ...]:
    """The roles `user` may give others (superusers, e.g. platform operators: all of them)."""
    if user.is_superuser:
        return tuple(Role)
    return GRANTABLE_ROLES.get(user.role, ())
