from django.apps import AppConfig


class IntelligenceAiConfig(AppConfig):
    name = "intelligence.ai"
    label = "intelligence_ai"
    verbose_name = "AI gateway"
