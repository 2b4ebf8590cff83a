from django.apps import AppConfig


class IntelligenceDealsConfig(AppConfig):
    name = "intelligence.deals"
    label = "intelligence_deals"
    verbose_name = "Deal intelligence"

    def ready(self) -> None:
        from crm.tenancy.schedules import Schedule, schedule_register
        from intelligence.models import ModelKind
        from intelligence.registry import trainer_register

        from . import handlers, services

        trainer_register(
            ModelKind.DEAL_WIN,
            train=services.deal_win_model_train,
            rescore_all=services.deal_scores_rescore_all,
        )
        handlers.register()
        schedule_register(
            Schedule(
                "Deal scores older than a day: rescore (every workspace)",
                "intelligence.deals.platform_nightly_sweep",
                daily_at=(3, 30),
            )
        )
