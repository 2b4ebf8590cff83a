from django.apps import AppConfig


class IntelligenceCustomersConfig(AppConfig):
    name = "intelligence.customers"
    label = "intelligence_customers"
    verbose_name = "Customer intelligence"
