from django.apps import AppConfig


class ProtocolsConfig(AppConfig):
    name = "protocols"
    verbose_name = "Protocols"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from protocols import dashboard, policy  # noqa: F401 - registers policies, navigation and panels
        from protocols.models import Consultation, Meeting, Protocol, Review, ReviewAction, Signature

        for model in (Protocol, Signature, Consultation, Review, ReviewAction, Meeting):
            auditlog.register(model)
