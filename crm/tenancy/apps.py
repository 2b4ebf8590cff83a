from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "crm.tenancy"
    label = "tenancy"
    verbose_name = "Workspaces"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (post_migrate: keep the beat schedule in place)
