from django.apps import AppConfig


class ContactsConfig(AppConfig):
    name = "crm.contacts"
    label = "contacts"
    verbose_name = "Contacts and companies"
