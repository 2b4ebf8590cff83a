from django.http import HttpRequest

from .selectors import notification_unread_count


def unread_notifications(request: HttpRequest) -> dict:
    """The bell's count, rendered server-side so it is right before any JavaScript runs.
    Only inside a workspace: the public schema has no notifications table."""
    user = getattr(request, "user", None)
    tenant = getattr(request, "tenant", None)
    if user is None or not user.is_authenticated or tenant is None:
        return {}
    from django.conf import settings

    if tenant.schema_name == settings.PUBLIC_SCHEMA_NAME:
        return {}
    return {"notifications_unread": notification_unread_count(user_id=user.pk)}
