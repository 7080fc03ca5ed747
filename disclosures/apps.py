from django.apps import AppConfig


class DisclosuresConfig(AppConfig):
    name = "disclosures"
    verbose_name = "Requests and disclosures"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from disclosures import dashboard, policy  # noqa: F401 - registers the policies, navigation and panels
