from django.apps import AppConfig


class IntelligenceConfig(AppConfig):
    name = "intelligence"
    label = "intelligence"
    verbose_name = "Intelligence"

    def ready(self) -> None:
        from crm.tenancy.schedules import Schedule, schedule_register

        from . import handlers, rescoring, services
        from .models import ModelKind
        from .registry import trainer_register

        # Bulk rescoring goes through the wrapper that tells owners about leads turning hot.
        trainer_register(
            ModelKind.LEAD_SCORE,
            train=services.lead_score_model_train,
            rescore_all=rescoring.lead_rescore_all,
        )
        handlers.register()
        schedule_register(
            Schedule(
                "Nightly model training (every workspace with nightly training on)",
                "intelligence.platform_nightly_training",
                daily_at=(2, 0),
            )
        )
        schedule_register(
            Schedule(
                "Nightly rescoring for time decay (every workspace)",
                "intelligence.platform_nightly_rescore",
                daily_at=(3, 0),
            )
        )
