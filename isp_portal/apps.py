from django.apps import AppConfig


class IspPortalConfig(AppConfig):
    name = "isp_portal"
    verbose_name = "ISP Portal core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from isp_portal import api_schema, core_policy, dashboard  # noqa: F401 - registers policies, panels, schema
