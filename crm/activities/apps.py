from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "crm.activities"
    label = "activities"
    verbose_name = "Activities and tasks"

    def ready(self) -> None:
        from . import handlers

        handlers.register()
