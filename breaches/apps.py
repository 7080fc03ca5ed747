from django.apps import AppConfig


class BreachesConfig(AppConfig):
    name = "breaches"
    verbose_name = "Breaches"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from breaches import (
            dashboard,  # noqa: F401 - the breaches navigation and the "breach steps for you" panel
            dashboard_register,  # noqa: F401 - the navigation of indemnity notices and the central register
            hearing_policy,  # noqa: F401 - registers the hearing policies: recusal (Haringey 6.4-6.5)
            indemnity_policy,  # noqa: F401 - registers the indemnity notice policy (Haringey 11.1)
            policy,  # noqa: F401 - registers the policies
            register_policy,  # noqa: F401 - registers the central register's resources (Southampton 13)
        )
