"""Health: liveness (`/healthz/live`) and dependencies (`/healthz`).

Two different questions (issue 8 item 16):
- "Can this process serve?" — `/healthz/live` answers 200 whenever the process answers HTTP at all. It
  touches no database, Redis or session, so an outage of a dependency never makes an orchestrator restart
  web servers that are still serving (pages and sign-in work without Redis). docker-compose's healthcheck
  uses it. `LivenessMiddleware` answers it before anything else (even the Host check); `live` below is
  the same answer for the URL map.
- "Is every dependency up?" — `/healthz` reports the database, Redis and beat, each with its own state, and
  answers 503 when the database or Redis cannot be reached (for a load balancer's readiness check, or
  monitoring). Beat is reported (which beat schedules, which wait, when a sweep last ran) but does not decide
  the status code: web servers serve without it.
- The audit chain (issue 15): the last verification's verdict (audit.anchoring.chain_state). A broken chain
  makes the status "degraded" with the reason, still 200: the portal serves, but the audit trail needs its
  auditors now. Never verified yet: ok, with `verified_at` null.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from audit.anchoring import chain_state
from isp_portal.beat import beat_instances
from isp_portal.sweeps import last_sweep

# Beat runs the audit sealer every 5 seconds; no sweep for this long means beat (or the worker) is down.
BEAT_STALE_AFTER = timedelta(minutes=5)


@never_cache
def live(request: HttpRequest) -> JsonResponse:
    """Liveness: this process can serve. Deliberately checks no dependency."""
    return JsonResponse({"status": "ok"})


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Dependencies: each one's state; 503 when the database or Redis is down."""
    checks: dict[str, Any] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = {"ok": True}
    except Exception as error:
        checks["database"] = {"ok": False, "error": type(error).__name__}
    try:
        client = redis.Redis.from_url(settings.REDIS.django_cache_url, socket_connect_timeout=1, socket_timeout=1)
        client.ping()
        checks["redis"] = {"ok": True}
    except Exception as error:
        checks["redis"] = {"ok": False, "error": type(error).__name__}
    checks["beat"] = _beat() if checks["database"]["ok"] else {"ok": False, "error": "database unavailable"}
    checks["audit_chain"] = (
        _audit_chain() if checks["database"]["ok"] else {"ok": False, "error": "database unavailable"}
    )
    healthy = checks["database"]["ok"] and checks["redis"]["ok"]
    status = "ok" if checks["audit_chain"]["ok"] else "degraded"
    body = {"status": status if healthy else "unavailable", "checks": checks}
    return JsonResponse(body, status=200 if healthy else 503)


def _audit_chain() -> dict[str, Any]:
    """The last verification of the audit chain: when, up to which link, and what it found broken."""
    anchor = chain_state()
    if anchor is None:
        return {"ok": True, "verified_at": None}
    state: dict[str, Any] = {
        "ok": anchor.ok,
        "verified_at": anchor.finished_at.isoformat(),
        "head_seq": anchor.head_seq,
        "head_hash": anchor.head_hash,
    }
    if not anchor.ok:
        state["error"] = f"audit chain broken: {anchor.problem}"
    return state


def _beat() -> dict[str, Any]:
    """Which beat holds the scheduling lock, which wait as standby, and when a sweep last finished."""
    beat: dict[str, Any] = {"last_sweep_at": None, "sweep": None, "ok": False}
    latest = last_sweep()
    if latest is not None and latest.last_finished_at is not None:
        beat = {
            "last_sweep_at": latest.last_finished_at.isoformat(),
            "sweep": latest.name,
            "ok": timezone.now() - latest.last_finished_at < BEAT_STALE_AFTER,
        }
    instances = beat_instances()
    beat["scheduling"] = [name for name, holds in instances if holds]
    beat["standby"] = [name for name, holds in instances if not holds]
    return beat
