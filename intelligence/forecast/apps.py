from django.apps import AppConfig


class IntelligenceForecastConfig(AppConfig):
    name = "intelligence.forecast"
    label = "intelligence_forecast"
    verbose_name = "Forecast"
