from django.apps import AppConfig


class IntelligenceInsightsConfig(AppConfig):
    name = "intelligence.insights"
    label = "intelligence_insights"
    verbose_name = "Conversation insights"

    def ready(self) -> None:
        from . import handlers, prompts  # noqa: F401  (prompts: registers the prompts)

        handlers.register()
