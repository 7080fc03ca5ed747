"""The permission matrix: every URL and API route x every principal -> the expected status (DESIGN 3.2).

A route missing from CASES fails `test_every_route_is_in_the_matrix`. For each denial (401/403/404 from the
policy) the audit trail must hold an `access.denied` event for that very request (by request id).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from audit.models import AuditEvent
from isp_portal.models import Notification
from isp_portal.notifications import notify
from tests.factories import World
from tests.matrix import (
    PRINCIPALS,
    Case,
    api_signed_in,
    client_as,
    expect,
    html_signed_in,
    only,
)


def practitioner_notification(world: World) -> dict[str, Any]:
    user = world.users["practitioner"]
    notify(recipient_id=user.pk, key=f"matrix-{Notification.objects.count()}", subject="A test", body="Body")
    return {"pk": Notification.objects.filter(recipient=user).latest("id").pk}


CASES: list[Case] = [
    # --- The core: sign-in, home, notifications, static pages, health, API docs -------------------------
    Case("sign-in", expect(302, anonymous=200, token=200)),
    Case("two-factor", expect(302), note="without a pending sign-in"),
    Case("two-factor-setup", expect(302), note="without a pending sign-in"),
    Case("sign-out", expect(302), method="post"),
    Case("sign-out", expect(405), note="GET is refused: signing out needs a CSRF-protected POST"),
    Case("signed-out", expect(200)),
    Case("dashboard", html_signed_in()),
    Case("notifications", html_signed_in()),
    Case(
        "notification-read",
        only({"practitioner": 302}, otherwise=404, anonymous=302, token=302),
        method="post",
        kwargs=practitioner_notification,
    ),
    Case("accessibility", expect(200)),
    Case("privacy", expect(200)),
    Case("healthz", expect(200)),
    Case("api-docs", html_signed_in()),
    Case("api-schema", api_signed_in()),
    Case("api-me", api_signed_in()),
    Case("api-notification-list", api_signed_in()),
    Case(
        "api-notification-detail",
        only({"practitioner": 200}, otherwise=404, anonymous=401, token=404),
        kwargs=practitioner_notification,
    ),
    Case(
        "api-notification-read",
        only({"practitioner": 200}, otherwise=404, anonymous=401, token=404),
        method="post",
        kwargs=practitioner_notification,
    ),
]


def _route_names(resolver: URLResolver, prefix: str = "") -> set[str]:
    names: set[str] = set()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            names |= _route_names(pattern)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(pattern.name)
    return names


def test_every_route_is_in_the_matrix() -> None:
    routes = _route_names(get_resolver())
    covered = {case.route for case in CASES}
    assert routes - covered == set(), f"routes missing from the permission matrix: {sorted(routes - covered)}"
    assert covered - routes == set(), f"matrix rows for routes that do not exist: {sorted(covered - routes)}"


def _request(case: Case, world: World, principal: str) -> Any:
    from django.urls import reverse

    client = client_as(world, principal)
    url = reverse(case.route, kwargs=case.kwargs(world))
    data = case.data(world) if case.data else None
    call = getattr(client, case.method)
    if case.json and data is not None:
        return call(url, data=data, content_type="application/json")
    return call(url, data=data) if data is not None else call(url)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_permission_matrix(case: Case, world: World) -> None:
    mismatches = []
    for principal in PRINCIPALS:
        response = _request(case, world, principal)
        wanted = case.expect[principal]
        if response.status_code != wanted:
            mismatches.append(f"{principal}: expected {wanted}, got {response.status_code}")
            continue
        if wanted in {401, 403, 404}:
            request_id = response.get("X-Request-ID")
            if not AuditEvent.objects.filter(
                kind__in=["access.denied", "auth.api_token_rejected"], request_id=request_id
            ).exists():
                mismatches.append(f"{principal}: {wanted} without an access.denied audit event")
    assert not mismatches, f"{case.id}:\n  " + "\n  ".join(mismatches)
