from django.apps import AppConfig


class TeamConfig(AppConfig):
    name = "crm.team"
    label = "team"
    verbose_name = "Team"
