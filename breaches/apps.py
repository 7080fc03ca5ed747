from django.apps import AppConfig


class BreachesConfig(AppConfig):
    name = "breaches"
    verbose_name = "Breaches"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from breaches import dashboard, policy  # noqa: F401 - registers the policies, navigation and panel
