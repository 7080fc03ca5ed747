from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports: aggregate reports and the partnership registers"
    default_auto_field = "django.db.models.BigAutoField"
