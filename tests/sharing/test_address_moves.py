"""A move on the day the current address began (issue 10, tester's finding 4): accepted, the earlier address kept
in the history as a one-day period ending that day (sharing.rules.address_ends_on); a move before the current
address began is still refused, by field, with nothing written; the table's period check stays as it was."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from sharing.models import ChildAddress
from sharing.rules import address_ends_on
from sharing.services import child_address_change
from tests.factories import World
from tests.sharing.fixtures import fresh, make_child, sharing_world

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("began", "moved", "ends"),
    [
        (date(2026, 3, 1), date(2026, 3, 10), date(2026, 3, 9)),  # the day before the move
        (date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 1)),  # one day at the earlier address
        (date(2026, 3, 1), date(2026, 3, 1), date(2026, 3, 1)),  # the same day: that day, not the day before
        (date(2026, 3, 1), date(2026, 2, 28), None),  # before it began: refused
    ],
)
def test_a_move_ends_the_current_address_on_a_day_that_keeps_the_period_ordered(
    began: date, moved: date, ends: date | None
) -> None:
    assert address_ends_on(began, moved) == ends


def _move(world: World, child: object, address: str, moved_on: date) -> ChildAddress:
    return child_address_change(
        actor=fresh(world.users["practitioner"]), child=child, address=address, postcode="", moved_on=moved_on
    )


def test_a_move_on_the_day_the_current_address_began_keeps_it_in_the_history(world: World) -> None:
    sw = sharing_world(world)
    child = make_child(sw)
    today = timezone.localdate()
    ChildAddress.objects.filter(child=child).update(from_on=today - timedelta(days=10))
    _move(sw, child, "2 Morning Road", today)
    _move(sw, child, "3 Evening Road", today)  # moved again the same day
    history = [(a.address, a.from_on, a.to_on) for a in ChildAddress.objects.filter(child=child).order_by("id")]
    assert history == [
        ("1 Test Street, Northbridge", today - timedelta(days=10), today - timedelta(days=1)),
        ("2 Morning Road", today, today),
        ("3 Evening Road", today, None),
    ]


def test_a_move_before_the_current_address_began_is_refused_with_nothing_written(world: World) -> None:
    sw = sharing_world(world)
    child = make_child(sw)
    today = timezone.localdate()
    ChildAddress.objects.filter(child=child).update(from_on=today - timedelta(days=3))
    with pytest.raises(ValidationError) as refused:
        _move(sw, child, "2 Early Road", today - timedelta(days=4))
    assert "on or after" in refused.value.message_dict["moved_on"][0]
    assert ChildAddress.objects.filter(child=child).count() == 1
    # The table still refuses a period that ends before it begins, whoever writes it.
    with pytest.raises(IntegrityError), transaction.atomic():
        ChildAddress.objects.filter(child=child).update(to_on=today - timedelta(days=4))
