from django.apps import AppConfig


class IntelligenceAiConfig(AppConfig):
    name = "intelligence.ai"
    label = "intelligence_ai"
    verbose_name = "AI gateway"

    def ready(self) -> None:
        from . import defaults  # noqa: F401  (registers the gateway's own prompts)
        from .state import config_signals_connect

        config_signals_connect()
