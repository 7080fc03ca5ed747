"""Every page and endpoint runs a fixed number of SQL statements, whatever the amount of data.

For each row of the permission matrix, the first principal that is allowed in makes the request twice:
once with the test world as it is, once after much more data has been added (agencies, people,
notifications, audit events). Both counts must equal the Case's `queries` budget, so a query inside a loop
fails this test the day it is written.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agencies.models import Role
from audit.services import ActorIdentity, audit_record
from isp_portal.notifications import notify
from tests.cases import all_cases
from tests.factories import World, make_agency, make_user
from tests.matrix import PRINCIPALS, Case, prepare_request


def first_allowed(case: Case) -> str | None:
    """The principal to measure: the first who gets a page (2xx), else the first signed-in principal who is
    redirected (a redirect after a write), else anyone redirected."""
    signed_in_first = [p for p in PRINCIPALS if p != "anonymous"] + ["anonymous"]
    for wanted, order in ((range(200, 300), PRINCIPALS), (range(300, 400), signed_in_first)):
        for principal in order:
            if case.expect[principal] in wanted:
                return principal
    return None


MEASURED = [(case, principal) for case in all_cases() if (principal := first_allowed(case)) is not None]


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
    send = prepare_request(case, world, principal)
    # Content types are cached for the life of a server process (change history looks them up); warm the
    # cache so that the first request of a test is not charged for it.
    ContentType.objects.get_for_models(*apps.get_models())
    with CaptureQueriesContext(connection) as queries:
        response = send()
    return response.status_code, len(queries)


@pytest.mark.django_db
@pytest.mark.parametrize(("case", "principal"), MEASURED, ids=[f"{c.id} as {p}" for c, p in MEASURED])
def test_statement_count_is_fixed(case: Case, principal: str, world: World) -> None:
    grow(world, 1)
    status_before, before = count(case, world, principal)
    grow(world, 5)
    status_after, after = count(case, world, principal)
    assert status_before == status_after == case.expect[principal]
    assert before == after, f"{case.id}: {before} statements before the data grew, {after} after"
    assert case.queries is not None, (
        f"{case.id} as {principal} ran {before} statements: set queries={before} on its Case"
    )
    assert after == case.queries, f"{case.id} as {principal}: {after} statements, budget {case.queries}"
