from django.apps import AppConfig


class DisclosuresConfig(AppConfig):
    name = "disclosures"
    verbose_name = "Requests and disclosures"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from disclosures import (
            dashboard,  # noqa: F401 - registers the navigation and the dashboard panels
            policy,  # noqa: F401 - registers the policies
            receivers,  # noqa: F401 - connects the receivers
        )
