from django.apps import AppConfig


class AgenciesConfig(AppConfig):
    name = "agencies"
    verbose_name = "Agencies and people"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from agencies import dashboard, policy  # noqa: F401 - registers policies and dashboard panels
        from agencies.identity import connect_signals
        from agencies.models import Agency, ApiToken, Membership, User
        from agencies.refusals import refusal_help
        from agencies.selectors import active_auditors
        from audit.alerts import register_auditor_directory
        from isp_portal.policy import register_helper

        register_helper(refusal_help)  # the 403 page names who can help each role
        # The audit app tells the auditors when the chain breaks and mails them its anchors (issue 15).
        register_auditor_directory(active_auditors)

        # Change history (who changed which field, from what, to what) for every record of people and
        # agencies. Secrets and session internals are never copied into it.
        auditlog.register(Agency)
        auditlog.register(Membership)
        auditlog.register(User, exclude_fields=["password", "session_stamp", "last_login"])
        auditlog.register(ApiToken, exclude_fields=["digest"])
        # A change to who someone is (user, membership, device, agency) invalidates their cached identity.
        connect_signals()
