from django.apps import AppConfig


class IspPortalConfig(AppConfig):
    name = "isp_portal"
    verbose_name = "ISP Portal core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from audit.alerts import register_alert_sender
        from isp_portal import api_schema, audit_panel, core_policy, dashboard  # noqa: F401 - registers policies, panels
        from isp_portal.notifications import NotificationDraft, notify_many

        # The audit app is the ground floor: it raises its alerts (a broken chain) through what the core registers.
        register_alert_sender(
            lambda alerts: notify_many(
                NotificationDraft(
                    recipient_id=one.recipient_id, key=one.key, subject=one.subject, body=one.body, link=one.link
                )
                for one in alerts
            )
        )
