from django.apps import AppConfig


class ProtocolsConfig(AppConfig):
    name = "protocols"
    verbose_name = "Protocols"
    default_auto_field = "django.db.models.BigAutoField"
