"""ISP Portal project package: settings, URL routing, and the cross-cutting machinery every app uses
(access policy mechanism, working days, notifications, sweeps, sign-in, the API base)."""

from isp_portal.celery import app as celery_app

__all__ = ["celery_app"]
