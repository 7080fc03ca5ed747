"""Rows for the core: sign-in, home, notifications, static pages, health, the API's own endpoints."""

from __future__ import annotations

from typing import Any

from isp_portal.models import Notification
from isp_portal.notifications import notify
from tests.factories import World
from tests.matrix import Case, api_signed_in, expect, html_signed_in, only


def practitioner_notification(world: World) -> dict[str, Any]:
    user = world.users["practitioner"]
    notify(recipient_id=user.pk, key=f"matrix-{Notification.objects.count()}", subject="A test", body="Body")
    return {"pk": Notification.objects.filter(recipient=user).latest("id").pk}


CASES: list[Case] = [
    Case("sign-in", expect(302, anonymous=200, token=200), queries=0),
    Case("two-factor", expect(302), note="without a pending sign-in", queries=1),
    Case("two-factor-setup", expect(302), note="without a pending sign-in", queries=1),
    Case("sign-out", expect(302), method="post", queries=6),
    Case("sign-out", expect(405), note="GET is refused: signing out needs a CSRF-protected POST"),
    Case("signed-out", expect(200), queries=0),
    # Issue 13 (WP5): +1 for the dispute steps waiting for the reader (disclosures.dashboard.disputes_waiting); the
    # corrections panel costs one more for a practitioner who may use the index (the matrix's may not: none()).
    # Issue 14: +1 for the breach steps waiting for the reader (breaches.selectors.obligations_waiting).
    Case("dashboard", html_signed_in(), queries=4),
    Case("notifications", html_signed_in(), queries=3),
    Case(
        "notification-read",
        only({"practitioner": 302}, otherwise=404, anonymous=302, token=302),
        method="post",
        kwargs=practitioner_notification,
        queries=5,
    ),
    Case("accessibility", expect(200), queries=0),
    Case("privacy", expect(200), queries=0),
    # Issue 15: +1 for the last verification of the audit chain (audit.anchoring.chain_state).
    Case("healthz", expect(200), queries=4),
    Case("healthz-live", expect(200), queries=0),
    Case("api-docs", html_signed_in(), queries=1),
    Case("api-schema", expect(200), note="public: it describes the API and holds no data", queries=0),
    Case("api-me", api_signed_in(), queries=1),
    Case("api-not-found", expect(404), note="an /api/ address no endpoint answers: JSON, audited", queries=1),
    Case("api-notification-list", api_signed_in(), queries=3),
    Case(
        "api-notification-detail",
        only({"practitioner": 200}, otherwise=404, anonymous=401, token=404),
        kwargs=practitioner_notification,
        queries=2,
    ),
    Case(
        "api-notification-read",
        only({"practitioner": 200}, otherwise=404, anonymous=401, token=403),  # no scope marks notifications read
        method="post",
        kwargs=practitioner_notification,
        queries=5,
    ),
]
