from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "crm.search"
    label = "search"
    verbose_name = "Search"
