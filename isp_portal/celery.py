"""The Celery application. Tasks are thin: they load by id and call a service (DESIGN 3.3)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "isp_portal.settings.development")

app = Celery("isp_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
