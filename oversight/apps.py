from django.apps import AppConfig


class OversightConfig(AppConfig):
    name = "oversight"
    verbose_name = "Oversight: the auditors' workspace"
    default_auto_field = "django.db.models.BigAutoField"
