from django.conf import settings
from django.http import HttpRequest


def workspace(request: HttpRequest) -> dict:
    tenant = getattr(request, "tenant", None)
    is_public = tenant is None or tenant.schema_name == settings.PUBLIC_SCHEMA_NAME
    return {"workspace": None if is_public else tenant, "base_domain": settings.BASE_DOMAIN}
