from django.apps import AppConfig


class IntelligenceDealsConfig(AppConfig):
    name = "intelligence.deals"
    label = "intelligence_deals"
    verbose_name = "Deal intelligence"
