"""/api/v1/… resources, the OpenAPI schema (/api/schema/) and Swagger UI (/api/docs/).

No Redoc page: drf-spectacular's Redoc template pulls web fonts from Google, and every asset
here must be local (Swagger UI's come from drf-spectacular-sidecar)."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny
from rest_framework.routers import SimpleRouter

from crm.activities.api import ActivityViewSet, TaskViewSet
from crm.contacts.api import CompanyViewSet, ContactViewSet
from crm.customfields.api import CustomFieldViewSet
from crm.deals.api import DealViewSet, PipelineViewSet
from crm.leads.api import LeadViewSet

router = SimpleRouter()
router.register("contacts", ContactViewSet, basename="api-contact")
router.register("companies", CompanyViewSet, basename="api-company")
router.register("leads", LeadViewSet, basename="api-lead")
router.register("deals", DealViewSet, basename="api-deal")
router.register("pipelines", PipelineViewSet, basename="api-pipeline")
router.register("activities", ActivityViewSet, basename="api-activity")
router.register("tasks", TaskViewSet, basename="api-task")
router.register("customfields", CustomFieldViewSet, basename="api-customfield")

EXPORTS = {
    "contacts": ContactViewSet,
    "companies": CompanyViewSet,
    "leads": LeadViewSet,
    "deals": DealViewSet,
}

# The schema is the same for every workspace and holds no data, so the docs are open.
_docs = {"permission_classes": [AllowAny], "authentication_classes": []}

urlpatterns = [
    *[
        path(
            f"v1/{name}/export.csv",
            viewset.as_view({"get": "export"}),
            name=f"api-{name}-export",
        )
        for name, viewset in EXPORTS.items()
    ],
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(**_docs), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema", **_docs), name="api-docs"),
]
