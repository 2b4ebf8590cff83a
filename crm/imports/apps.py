from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "crm.imports"
    label = "imports"
    verbose_name = "CSV import and export"
