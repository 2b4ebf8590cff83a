from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_tenants.middleware.main import TenantMainMiddleware

from .context import current_request_id, current_schema, new_request_id

# Paths a suspended workspace still answers: health probes and static assets.
SUSPENSION_EXEMPT_PREFIXES = ("/healthz", "/static/")


class RequestIdMiddleware:
    """Gives every request an id (kept from X-Request-ID when sane) for logs and the response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = new_request_id(request.headers.get("X-Request-ID"))
        request.request_id = request_id
        token = current_request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            current_request_id.reset(token)
        response["X-Request-ID"] = request_id
        return response


class WorkspaceMiddleware(TenantMainMiddleware):
    """django-tenants' host → schema routing, with friendly pages instead of bare errors.

    An unknown host gets a 404 page; a suspended workspace gets a page that says so. Neither
    reaches a view, so no workspace data can leak through them.
    """

    def no_tenant_found(self, request: HttpRequest, hostname: str) -> HttpResponse:
        return render(request, "tenancy/unknown_workspace.html", {"hostname": hostname}, status=404)

    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        current_schema.set(None)
        # A host outside ALLOWED_HOSTS is a bad request (400). django-tenants would swallow the
        # DisallowedHost and answer a bare 404; raising here lets Django answer 400 and log it.
        request.get_host()
        response = super().process_request(request)
        if response is not None:
            return response
        workspace = request.tenant
        current_schema.set(workspace.schema_name)
        if not workspace.is_active and not request.path.startswith(SUSPENSION_EXEMPT_PREFIXES):
            return render(request, "tenancy/suspended.html", {"workspace": workspace}, status=403)
        return None

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        # The workspace labels log lines only while its request runs: a WSGI thread keeps its
        # context between requests. (Django's own 4xx lines come later; they carry the request.)
        current_schema.set(None)
        return response
