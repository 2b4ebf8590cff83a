from django.apps import AppConfig


class CustomFieldsConfig(AppConfig):
    name = "crm.customfields"
    label = "customfields"
    verbose_name = "Custom fields"
