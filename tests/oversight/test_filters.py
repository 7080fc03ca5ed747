"""The audit trail's filters (oversight.filters; issue 15): what a filter may be, and the SQL each filter and the
reader's scope become, run against the real audit tables so a wrong clause fails here."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from hypothesis import given
from hypothesis import strategies as st

from audit.models import AuditEvent
from isp_portal import bounds
from oversight.filters import (
    MAX_RANGE_DAYS,
    FilterError,
    Source,
    TrailFilter,
    day_start,
    filter_problems,
    scope_refusal,
    trail_where,
)

days = st.dates(min_value=bounds.EARLIEST_DATE, max_value=bounds.LATEST_DATE)


@given(first=days, last=days)
def test_a_range_is_usable_exactly_when_ordered_and_at_most_the_longest(first: date, last: date) -> None:
    problems = filter_problems(TrailFilter(occurred_from=first, occurred_to=last), source=Source.EVENTS)
    usable = first <= last and (last - first).days + 1 <= MAX_RANGE_DAYS
    assert (not problems) is usable
    assert all(problem.field == "occurred_to" for problem in problems)


@pytest.mark.parametrize(
    ("trail_filter", "source", "field"),
    [
        (TrailFilter(occurred_from=date(2026, 3, 2), occurred_to=date(2026, 3, 1)), Source.EVENTS, "occurred_to"),
        (TrailFilter(occurred_from=date(1999, 12, 31)), Source.DISCLOSURES, "occurred_from"),
        (TrailFilter(legal_basis="court_order"), Source.EVENTS, "legal_basis"),
        (TrailFilter(action="Child.View"), Source.EVENTS, "action"),
        (TrailFilter(action="child.view; drop table"), Source.EVENTS, "action"),
        (TrailFilter(action="a" * 65), Source.EVENTS, "action"),
        (TrailFilter(agency_id=0), Source.EVENTS, "agency_id"),
        (TrailFilter(child_id=2**63), Source.DISCLOSURES, "child_id"),
    ],
)
def test_a_filter_that_cannot_be_used_is_named_by_its_field(
    trail_filter: TrailFilter, source: Source, field: str
) -> None:
    problems = filter_problems(trail_filter, source=source)
    assert [problem.field for problem in problems] == [field]
    with pytest.raises(FilterError) as raised:
        trail_where(trail_filter, source=source, scope=None)
    assert raised.value.field == field


def test_a_day_starts_at_midnight_in_the_uk_in_summer_and_winter() -> None:
    assert day_start(date(2026, 7, 1)).astimezone(UTC) == datetime(2026, 6, 30, 23, 0, tzinfo=UTC)
    assert day_start(date(2026, 12, 1)).astimezone(UTC) == datetime(2026, 12, 1, 0, 0, tzinfo=UTC)


def test_an_agency_outside_the_readers_scope_is_refused_not_emptied() -> None:
    assert scope_refusal(TrailFilter(agency_id=7), scope=frozenset({3})) is not None
    assert scope_refusal(TrailFilter(agency_id=3), scope=frozenset({3})) is None
    assert scope_refusal(TrailFilter(agency_id=7), scope=None) is None


def test_the_detail_names_only_the_filters_given() -> None:
    detail = TrailFilter(occurred_from=date(2026, 1, 1), action="child.").as_detail()
    assert detail == {"occurred_from": "2026-01-01", "action": "child."}


def _event(**values: object) -> int:
    values.setdefault("occurred_at", datetime(2026, 6, 15, 12, tzinfo=UTC))
    values.setdefault("kind", "child.view")
    return AuditEvent.objects.create(**values).pk


def _matching(trail_filter: TrailFilter, scope: frozenset[int] | None, among: list[int]) -> set[int]:
    where, params = trail_where(trail_filter, source=Source.EVENTS, scope=scope)
    with connection.cursor() as cursor:
        statement = f"SELECT e.id FROM audit_event e WHERE {where} AND e.id = ANY(%(among)s)"  # noqa: S608 - filters' own
        cursor.execute(statement, {**params, "among": among})
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.django_db
def test_each_event_filter_selects_exactly_its_rows() -> None:
    at = datetime(2026, 6, 15, 12, tzinfo=UTC)
    ids = {
        "mine": _event(actor_agency_id=3, actor_id=30, child_id=300, kind="child.view"),
        "other": _event(actor_agency_id=4, actor_id=40, child_id=400, kind="disclosure.make"),
        "denied": _event(actor_agency_id=3, actor_id=31, kind="access.denied", outcome="denied"),
        "underscore": _event(actor_agency_id=3, kind="childXview"),
        "late": _event(actor_agency_id=3, kind="child.view", occurred_at=at + timedelta(days=20)),
    }
    among = list(ids.values())

    def names(trail_filter: TrailFilter, scope: frozenset[int] | None = None) -> set[str]:
        found = _matching(trail_filter, scope, among)
        return {name for name, pk in ids.items() if pk in found}

    assert names(TrailFilter()) == set(ids)
    assert names(TrailFilter(), scope=frozenset({3})) == {"mine", "denied", "underscore", "late"}
    assert names(TrailFilter(), scope=frozenset()) == set()
    assert names(TrailFilter(agency_id=4)) == {"other"}
    assert names(TrailFilter(user_id=30)) == {"mine"}
    assert names(TrailFilter(child_id=400)) == {"other"}
    assert names(TrailFilter(outcome="denied")) == {"denied"}
    assert names(TrailFilter(action="child.")) == {"mine", "late"}  # the prefix, with "." taken literally
    assert names(TrailFilter(action="child.view")) == {"mine", "late"}
    # The UK's 15 June (BST): the late event, twenty days on, is outside a range ending on the 15th.
    assert names(TrailFilter(occurred_from=date(2026, 6, 15), occurred_to=date(2026, 6, 15))) == {
        "mine",
        "other",
        "denied",
        "underscore",
    }


@pytest.mark.django_db
def test_a_kind_prefix_does_not_treat_an_underscore_as_a_wildcard() -> None:
    wanted = _event(kind="breach_ico.decide")
    unwanted = _event(kind="breachXico.decide")
    assert _matching(TrailFilter(action="breach_ico."), None, [wanted, unwanted]) == {wanted}
