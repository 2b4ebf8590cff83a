from django.apps import AppConfig


class IntelligenceCustomersConfig(AppConfig):
    name = "intelligence.customers"
    label = "intelligence_customers"
    verbose_name = "Customer intelligence"

    def ready(self) -> None:
        from crm.tenancy.schedules import schedule_retire
        from intelligence.models import ModelKind
        from intelligence.registry import trainer_register

        from . import handlers
        from .services import churn_model_train, customer_rescore_all

        handlers.register()
        trainer_register(ModelKind.CHURN, train=churn_model_train, rescore_all=customer_rescore_all)
        # Churn now trains and rescores with the other kinds in the generic nightly jobs.
        schedule_retire("Customer churn and lifetime value: retrain and rescore (every workspace)")
