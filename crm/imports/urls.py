from django.urls import path

from . import api

urlpatterns = [
    path("", api.ImportListCreateApi.as_view(), name="import-list"),
    path("presets/", api.PresetListApi.as_view(), name="import-presets"),
    path("presets/bank-marketing/", api.BankMarketingPresetApi.as_view(), name="import-bank"),
    path("<int:job_id>/", api.ImportDetailApi.as_view(), name="import-detail"),
    path("<int:job_id>/mapping/", api.ImportMappingApi.as_view(), name="import-mapping"),
    path("<int:job_id>/start/", api.ImportStartApi.as_view(), name="import-start"),
    path("<int:job_id>/errors.csv", api.ImportErrorReportApi.as_view(), name="import-errors"),
]
