"""breaches.rules.done_on: a step done on a day and recorded later counts as done that day (Haringey 6.3, 6.6)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from breaches import rules


@pytest.mark.parametrize(
    ("day", "now", "expected"),
    [
        # Recorded the same day: the moment of recording.
        (date(2026, 11, 13), datetime(2026, 11, 13, 15, 0, tzinfo=UTC), datetime(2026, 11, 13, 15, 0, tzinfo=UTC)),
        # Recorded days later, in winter (GMT): the last second of the day it was done.
        (date(2026, 11, 13), datetime(2026, 12, 1, 9, 0, tzinfo=UTC), datetime(2026, 11, 13, 23, 59, 59, tzinfo=UTC)),
        # In summer (BST) the day ends at 23:00 UTC.
        (date(2026, 7, 1), datetime(2026, 7, 20, 9, 0, tzinfo=UTC), datetime(2026, 7, 1, 22, 59, 59, tzinfo=UTC)),
        # Just after midnight in London (still the day before in UTC) is the next day: the day before is over.
        (date(2026, 7, 1), datetime(2026, 7, 1, 23, 30, tzinfo=UTC), datetime(2026, 7, 1, 22, 59, 59, tzinfo=UTC)),
    ],
)
def test_done_on(day: date, now: datetime, expected: datetime) -> None:
    assert rules.done_on(day, now=now) == expected


@given(
    day=st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)),
    later=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=400)),
)
def test_a_step_done_on_its_due_day_is_never_late_however_late_it_is_recorded(day: date, later: timedelta) -> None:
    now = rules.start_of_day(day) + later
    done = rules.done_on(day, now=now)
    assert done <= now
    assert rules.lateness(rules.end_of_day(day), done, now=now) is None
