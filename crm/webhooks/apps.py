from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "crm.webhooks"
    label = "webhooks"
    verbose_name = "Partner webhooks"

    def ready(self) -> None:
        from . import handlers

        handlers.register()
