from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports: aggregate reports and the partnership registers"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from reports import navigation  # noqa: F401 - registers the navigation entries
