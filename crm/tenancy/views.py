from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from .forms import SignupForm
from .health import health_report
from .services import WorkspaceError, workspace_create


@require_GET
def landing(request: HttpRequest) -> HttpResponse:
    return render(request, "tenancy/landing.html", {"form": SignupForm()})


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
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
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            port = request.get_port()
            host = provisioned.domain.domain + ("" if port in ("80", "443") else f":{port}")
            scheme = "https" if request.is_secure() else "http"
            return HttpResponseRedirect(f"{scheme}://{host}/accounts/login/?created=1")
    status = 400 if request.method == "POST" else 200
    return render(request, "tenancy/signup.html", {"form": form}, status=status)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    report = health_report()
    return JsonResponse(report, status=200 if report["status"] == "ok" else 503)
