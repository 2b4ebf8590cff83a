from django.apps import AppConfig


class IntelligenceLanguageConfig(AppConfig):
    name = "intelligence.language"
    label = "intelligence_language"
    verbose_name = "Language intelligence"

    def ready(self) -> None:
        from . import handlers
        from .drafting import drafting_register
        from .intent_refine import intent_refine_register

        handlers.register()
        drafting_register()
        intent_refine_register()
