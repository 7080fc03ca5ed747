from django.apps import AppConfig


class OversightConfig(AppConfig):
    name = "oversight"
    verbose_name = "Oversight: the auditors' workspace"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from oversight import navigation  # noqa: F401 - registers the navigation entries
