from django.apps import AppConfig


class AgenciesConfig(AppConfig):
    name = "agencies"
    verbose_name = "Agencies and people"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from agencies import dashboard, policy  # noqa: F401 - registers policies and dashboard panels
