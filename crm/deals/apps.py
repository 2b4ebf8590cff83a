from django.apps import AppConfig


class DealsConfig(AppConfig):
    name = "crm.deals"
    label = "deals"
    verbose_name = "Deals and pipelines"
