from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "consent"
    verbose_name = "Consent"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from consent import receivers  # noqa: F401 - connects the receivers
