from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "crm.search"
    label = "search"
    verbose_name = "Search"

    def ready(self) -> None:
        from . import handlers

        handlers.register()
