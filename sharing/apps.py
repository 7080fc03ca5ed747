from django.apps import AppConfig


class SharingConfig(AppConfig):
    name = "sharing"
    verbose_name = "Information sharing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the policies of children, involvements and entries. Children are not registered with
        # django-auditlog: its change log would copy names, dates of birth and NHS numbers into a table auditors
        # read; the services write their own audit events naming the fields changed, never their values.
        from sharing import navigation, policy  # noqa: F401
