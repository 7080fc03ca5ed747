"""An agency that is suspended, has left, or whose ICO registration has lapsed can neither send nor
receive information (Haringey 4.1-4.2; DESIGN 2.1). The sharing app calls agency_can_share."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from agencies.policy import agency_can_share
from agencies.rules import agency_may_share
from agencies.services import agency_status_change, agency_update
from tests.factories import SYSTEM, World

TODAY = date(2026, 11, 22)


@pytest.mark.parametrize(
    ("status", "expires", "allowed"),
    [
        ("active", TODAY + timedelta(days=300), True),
        ("active", TODAY + timedelta(days=10), True),  # expiring soon still counts
        ("active", TODAY, True),  # the last day counts
        ("active", TODAY - timedelta(days=1), False),  # lapsed
        ("active", None, False),  # never recorded
        ("suspended", TODAY + timedelta(days=300), False),
        ("left", TODAY + timedelta(days=300), False),
    ],
)
def test_agency_may_share(status: str, expires: date | None, allowed: bool) -> None:
    assert agency_may_share(status, expires, TODAY) is allowed


@pytest.mark.django_db
def test_agency_can_share_follows_the_register(world: World) -> None:
    today = date.today()
    assert not agency_can_share(world.home, today)  # no ICO registration recorded yet
    agency_update(
        actor=SYSTEM,
        agency=world.home,
        ico_registration_number="Z7654321",
        ico_registration_expires_on=today + timedelta(days=100),
    )
    world.home.refresh_from_db()
    assert agency_can_share(world.home, today)
    assert not agency_can_share(world.home, today + timedelta(days=101))
    agency_status_change(actor=SYSTEM, agency=world.home, to_status="suspended", reason="Breach sanction")
    world.home.refresh_from_db()
    assert not agency_can_share(world.home, today)
