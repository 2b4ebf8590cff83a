from django.apps import AppConfig


class IntelligenceLanguageConfig(AppConfig):
    name = "intelligence.language"
    label = "intelligence_language"
    verbose_name = "Language intelligence"
