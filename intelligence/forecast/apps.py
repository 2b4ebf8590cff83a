from django.apps import AppConfig


class IntelligenceForecastConfig(AppConfig):
    name = "intelligence.forecast"
    label = "intelligence_forecast"
    verbose_name = "Forecast"

    def ready(self) -> None:
        from crm.tenancy.schedules import Schedule, schedule_register

        schedule_register(
            Schedule(
                "Forecast snapshots at the start of each month and quarter (every workspace)",
                "intelligence.forecast_snapshot_platform",
                daily_at=(0, 30),
            )
        )
