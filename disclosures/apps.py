from django.apps import AppConfig


class DisclosuresConfig(AppConfig):
    name = "disclosures"
    verbose_name = "Requests and disclosures"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from disclosures import (
            correction_policy,  # noqa: F401 - registers the correction policies (issue 13)
            dashboard,  # noqa: F401 - registers the navigation and the dashboard panels
            dispute_policy,  # noqa: F401 - registers the dispute policy (issue 13)
            onward_policy,  # noqa: F401 - registers the onward request policy (issue 13)
            policy,  # noqa: F401 - registers the policies
            receivers,  # noqa: F401 - connects the receivers
        )
