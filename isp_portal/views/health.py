"""/healthz: is the database reachable, is Redis reachable, when did beat last run a sweep."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from isp_portal.sweeps import last_sweep

# Beat runs the audit sealer every 5 seconds; no sweep for this long means beat (or the worker) is down.
BEAT_STALE_AFTER = timedelta(minutes=5)


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    checks: dict[str, Any] = {}
    healthy = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = {"ok": True}
    except Exception as error:
        healthy = False
        checks["database"] = {"ok": False, "error": type(error).__name__}
    try:
        client = redis.Redis.from_url(settings.REDIS.django_cache_url, socket_connect_timeout=1, socket_timeout=1)
        client.ping()
        checks["redis"] = {"ok": True}
    except Exception as error:
        healthy = False
        checks["redis"] = {"ok": False, "error": type(error).__name__}
    beat: dict[str, Any] = {"last_sweep_at": None, "sweep": None, "ok": False}
    if checks["database"]["ok"]:
        latest = last_sweep()
        if latest is not None and latest.last_finished_at is not None:
            beat = {
                "last_sweep_at": latest.last_finished_at.isoformat(),
                "sweep": latest.name,
                "ok": timezone.now() - latest.last_finished_at < BEAT_STALE_AFTER,
            }
    checks["beat"] = beat
    # Beat being late is reported but does not make the web tier unhealthy (it can still serve pages).
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": checks}, status=200 if healthy else 503
    )
