from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.http.request import split_domain_port
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from crm.throttle import client_address

from .forms import SignupForm
from .health import health_report
from .services import WorkspaceError, workspace_create
from .signup_throttle import REFUSAL, signup_attempt_allow

# The service names its inputs; the form calls two of them differently.
_FORM_FIELD_FOR = {"owner_password": "password"}


def _login_url_on(request: HttpRequest, domain: str) -> str:
    """The new workspace's sign-in page, on the same scheme and port the visitor used.

    The port comes from the Host header the browser sent, not from SERVER_PORT: behind a proxy
    the app listens on a port (8000) that the visitor never sees.
    """
    _host, port = split_domain_port(request.get_host())
    host = f"{domain}:{port}" if port and port not in ("80", "443") else domain
    scheme = "https" if request.is_secure() else "http"
    return f"{scheme}://{host}/accounts/login/?created=1"


@require_GET
def landing(request: HttpRequest) -> HttpResponse:
    return render(request, "tenancy/landing.html", {"form": SignupForm()})


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not signup_attempt_allow(address=client_address(request)):
            form.add_error(None, REFUSAL)
            return render(request, "tenancy/signup.html", {"form": form}, status=429)
        data = form.cleaned_data
        try:
            provisioned = workspace_create(
                name=data["name"],
                slug=data["slug"],
                owner_email=data["owner_email"],
                owner_password=data["password"],
                owner_name=data["owner_name"],
            )
        except WorkspaceError as exc:
            field = _FORM_FIELD_FOR.get(exc.field or "", exc.field)
            form.add_error(field if field in form.fields else None, str(exc))
        else:
            return HttpResponseRedirect(_login_url_on(request, provisioned.domain.domain))
    status = 400 if request.method == "POST" else 200
    return render(request, "tenancy/signup.html", {"form": form}, status=status)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    report = health_report()
    return JsonResponse(report, status=200 if report["status"] == "ok" else 503)
