from django.apps import AppConfig


class IntelligenceConfig(AppConfig):
    name = "intelligence"
    label = "intelligence"
    verbose_name = "Intelligence"
