"""The permission matrix: every URL and API route x every principal -> the expected status (DESIGN 3.2).

The rows live in tests/cases/<app>.py. A route missing from them fails `test_every_route_is_in_the_matrix`.
For each denial (401/403/404 from the policy) the audit trail must hold an `access.denied` event for that very
request (by request id).
"""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from audit.models import AuditEvent
from tests.cases import all_cases
from tests.factories import World
from tests.matrix import PRINCIPALS, Case, make_request

CASES = all_cases()
# The audit kinds that record a refused request.
DENIAL_KINDS = ["access.denied", "auth.api_token_rejected", "auth.invitation_rejected"]
# A write refused as bad input is recorded too (with the fields refused), or as a denial when it reached out of scope.
REFUSED_WRITE_KINDS = [*DENIAL_KINDS, "request.refused"]


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


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_permission_matrix(case: Case, world: World) -> None:
    mismatches = []
    for principal in PRINCIPALS:
        response = make_request(case, world, principal)
        wanted = case.expect[principal]
        if response.status_code != wanted:
            mismatches.append(f"{principal}: expected {wanted}, got {response.status_code}")
            continue
        if wanted in {401, 403, 404}:
            request_id = response.get("X-Request-ID")
            if not AuditEvent.objects.filter(kind__in=DENIAL_KINDS, request_id=request_id).exists():
                mismatches.append(f"{principal}: {wanted} without an access.denied audit event")
        if wanted == 400 and case.method != "get" and case.route.startswith("api-"):
            request_id = response.get("X-Request-ID")
            if AuditEvent.objects.filter(kind__in=REFUSED_WRITE_KINDS, request_id=request_id).count() != 1:
                mismatches.append(f"{principal}: a refused write without exactly one audit event")
    assert not mismatches, f"{case.id}:\n  " + "\n  ".join(mismatches)
