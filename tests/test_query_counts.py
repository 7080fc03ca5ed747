"""Every page and endpoint runs a fixed number of SQL statements, whatever the amount of data.

For each row of the permission matrix, the first principal that is allowed in makes the request twice:
once with the test world as it is, once after much more data has been added (agencies, people,
notifications, audit events). Both counts must equal the budget written here, so a query inside a loop
fails this test the day it is written.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agencies.models import Role
from audit.services import ActorIdentity, audit_record
from isp_portal.notifications import notify
from tests.factories import World, make_agency, make_user
from tests.matrix import PRINCIPALS, Case, client_as
from tests.test_permission_matrix import CASES

# Statements per request for the first allowed principal (see the matrix for who that is).
BUDGET: dict[str, int] = {
    "GET sign-in": 0,
    "GET two-factor without a pending sign-in": 3,
    "GET two-factor-setup without a pending sign-in": 3,
    "POST sign-out": 9,
    "GET signed-out": 0,
    "GET dashboard": 6,
    "GET notifications": 6,
    "POST notification-read": 7,
    "GET accessibility": 0,
    "GET privacy": 0,
    "GET healthz": 2,
    "GET api-docs": 4,
    "GET api-schema": 3,
    "GET api-me": 4,
    "GET api-notification-list": 5,
    "GET api-notification-detail": 4,
    "POST api-notification-read": 7,
}


def first_allowed(case: Case) -> str | None:
    """The principal to measure: the first who gets a page (2xx), else the first signed-in principal who is
    redirected (a redirect after a write), else anyone redirected."""
    signed_in_first = [p for p in PRINCIPALS if p != "anonymous"] + ["anonymous"]
    for wanted, order in ((range(200, 300), PRINCIPALS), (range(300, 400), signed_in_first)):
        for principal in order:
            if case.expect[principal] in wanted:
                return principal
    return None


MEASURED = [(case, principal) for case in CASES if (principal := first_allowed(case)) is not None]


def grow(world: World, scale: int) -> None:
    """Add `scale` times a little of everything, so that a per-row query would show as the data grows."""
    start = world.objects.setdefault("grown", 0)
    for number in range(start, start + scale):
        agency = make_agency(f"Growth agency {number}")
        make_user(agency=agency, roles=[Role.PRACTITIONER])
        make_user(agency=world.home, roles=[Role.PRACTITIONER])
        for role in ("practitioner", "designated_manager", "agency_admin", "partnership_admin", "auditor"):
            notify(
                recipient_id=world.users[role].pk,
                key=f"growth-{number}",
                subject=f"Growth {number}",
                body="b",
            )
        audit_record(kind="growth", actor=ActorIdentity(user_id=None, label="growth"), detail={"n": number})
    world.objects["grown"] = start + scale


def count(case: Case, world: World, principal: str) -> tuple[int, int]:
    client = client_as(world, principal)
    url = reverse(case.route, kwargs=case.kwargs(world))
    with CaptureQueriesContext(connection) as queries:
        response = getattr(client, case.method)(url)
    return response.status_code, len(queries)


@pytest.mark.django_db
@pytest.mark.parametrize(("case", "principal"), MEASURED, ids=[f"{c.id} as {p}" for c, p in MEASURED])
def test_statement_count_is_fixed(case: Case, principal: str, world: World, request: Any) -> None:
    grow(world, 1)
    status_before, before = count(case, world, principal)
    grow(world, 5)
    status_after, after = count(case, world, principal)
    assert status_before == status_after == case.expect[principal]
    assert before == after, f"{case.id}: {before} statements before the data grew, {after} after"
    budget = BUDGET.get(case.id)
    if budget is None:
        request.node.user_properties.append(("measured", before))
    assert budget is not None, f"{case.id} as {principal} ran {before} statements: add it to BUDGET"
    assert after == budget, f"{case.id} as {principal}: {after} statements, budget {budget}"
