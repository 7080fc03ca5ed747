"""The aggregate tier (issue 11; DESIGN 2.3, 3.2; Haringey 3.7a; Southampton 12): counts of children by two
dimensions, suppressed, for members of active signatory agencies and auditors; page and API; each view audited."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from audit.models import AuditEvent
from isp_portal.policy import NotPermitted
from sharing.api.aggregate import aggregate_out
from sharing.cell_key import ptable_noise
from sharing.models import Child, Gender
from sharing.rules import PTABLE_BOUND, age_on, age_reference_day, suppress_table
from sharing.selectors.aggregate import AggregateTable, Dimension, born_by, children_aggregate
from sharing.services import child_merge, involvement_add
from tests.factories import World, sign_in
from tests.sharing.fixtures import fresh, make_child, sharing_world

_serial = itertools.count(1)
LETTERS = "bcdfghjklmnpqrstvwxz"


def _word(number: int) -> str:
    letters = ""
    while True:
        number, digit = divmod(number, len(LETTERS))
        letters += LETTERS[digit] + "o"
        if not number:
            return letters.capitalize()


def children(world: World, how_many: int, *, born_on: date | None = None, **values: Any) -> list[Child]:
    """`how_many` children with names and birthdays of their own (so none is a likely match of another)."""
    made = []
    for _ in range(how_many):
        n = next(_serial)
        birthday = born_on or date(2012, 1, 1) + timedelta(days=7 * n)
        made.append(make_child(world, _word(n), _word(n + 500), born_on=birthday, **values))
    return made


def keyed_15() -> None:
    """The cell keys of the 15 children made: one 1, the others 0, so a count of all of them has key 1 and the
    ptable's noise +1 (sharing.cell_key: the row of 15 turned by 97 x 15 = 175, key 1 at 176, the first +1)."""
    made = list(Child.objects.order_by("pk").values_list("pk", flat=True))
    assert len(made) == 15
    Child.objects.update(cell_key=0)
    Child.objects.filter(pk=made[0]).update(cell_key=1)
    assert ptable_noise(15, 1) == 1


@given(st.dates(min_value=date(2001, 1, 1), max_value=date(2040, 12, 31)), st.integers(0, 30))
def test_born_by_is_the_latest_birthday_of_that_age(on: date, years: int) -> None:
    latest = born_by(on, years)
    assert age_on(latest, on) >= years
    assert age_on(latest + timedelta(days=1), on) < years


def test_born_by_on_29_february() -> None:
    assert born_by(date(2028, 2, 29), 5) == date(2023, 2, 28)


@pytest.mark.django_db
def test_counts_are_suppressed_and_each_view_is_audited(world: World) -> None:
    sharing_world(world)
    children(world, 12, gender=Gender.FEMALE)
    children(world, 3, gender=Gender.MALE)
    keyed_15()
    reader = fresh(world.users["practitioner"])
    aggregate = children_aggregate(actor=reader, rows=Dimension.AREA, columns=Dimension.GENDER)
    table = aggregate.table
    area = table.rows[0]
    assert aggregate.row_labels[area] == "Northbridge"
    assert list(table.columns) == list(Gender.values)
    # 3 boys are hidden (1 to 10), so the 12 girls are too, and their column totals; zeros and the area's total
    # of 15 are shown, the total with its cell-key noise (+1 for the keys keyed_15 sets), the zeros as they are.
    assert table.cell(area, Gender.MALE) is None and table.cell(area, Gender.FEMALE) is None
    assert table.cell(area, Gender.ANOTHER) == 0
    assert table.row_total(area) == 16 and table.grand_total == 16
    assert table.perturbed
    assert table.col_total(Gender.MALE) is None and table.col_total(Gender.FEMALE) is None
    event = AuditEvent.objects.get(kind="child.aggregate", actor_id=reader.pk)
    assert event.detail == {"rows": "area", "columns": "gender", "threshold": 10}


@pytest.mark.django_db
def test_merged_entries_are_left_out_shielded_children_counted_and_ages_banded(world: World) -> None:
    sharing_world(world)
    # Ages are counted on the last 31 August (sharing.rules.age_reference_day; break11e finding 4).
    today = age_reference_day(timezone.localdate())
    four = children(world, 1, born_on=born_by(today, 5) + timedelta(days=1))[0]  # 4 then, 5 the day after
    five = children(world, 1, born_on=born_by(today, 5))[0]
    children(world, 1, born_on=born_by(today, 18), shielded=True)
    kept = children(world, 1, born_on=born_by(today, 12))[0]
    merged = make_child(world, "Kept", "Twice", born_on=kept.born_on, considered=[kept.pk])
    child_merge(actor=fresh(world.users["partnership_admin"]), keep=kept, merge=merged, reason="The same child")
    aggregate = children_aggregate(
        actor=fresh(world.users["auditor"]), rows=Dimension.AGE_BAND, columns=Dimension.GENDER, threshold=0
    )
    table = aggregate.table
    counted = {band: table.row_total(band) for band in table.rows}
    assert counted == {"0-4": 1, "5-10": 1, "11-15": 1, "16-18": 1, "19-25": 0, "26+": 0}
    assert aggregate.row_labels["16-18"] == "16 to 18" and aggregate.row_labels["26+"] == "26 and over"
    assert aggregate.ages_on == today
    assert four.pk != five.pk


@pytest.mark.django_db
def test_the_agency_dimension_counts_a_child_under_each_agency_involved(world: World) -> None:
    sharing_world(world)
    both, home_only = children(world, 2)
    involvement_add(actor=fresh(world.users["other_agency"]), child=both, agency=world.other, service="Police")
    aggregate = children_aggregate(
        actor=fresh(world.users["practitioner"]), rows=Dimension.AGENCY, columns=Dimension.GENDER, threshold=0
    )
    by_name = {aggregate.row_labels[key]: aggregate.table.row_total(key) for key in aggregate.table.rows}
    assert by_name == {world.home.name: 2, world.other.name: 1}
    assert home_only.pk


@pytest.mark.django_db
def test_the_counts_are_for_members_of_active_signatory_agencies_and_auditors(world: World) -> None:
    sharing_world(world)
    for role in ("practitioner", "agency_admin", "other_agency", "auditor", "untrained"):
        children_aggregate(actor=fresh(world.users[role]), rows=Dimension.AREA, columns=Dimension.GENDER)
    for role in ("unsigned", "partnership_admin", "no_role"):
        with pytest.raises(NotPermitted):
            children_aggregate(actor=fresh(world.users[role]), rows=Dimension.AREA, columns=Dimension.GENDER)
    with pytest.raises(ValueError, match="different dimensions"):
        children_aggregate(actor=fresh(world.users["auditor"]), rows=Dimension.AREA, columns=Dimension.AREA)


@pytest.mark.django_db
def test_the_api_answers_the_table_with_nulls_and_refuses_bad_dimensions_by_field(world: World) -> None:
    sharing_world(world)
    children(world, 12, gender=Gender.FEMALE)
    children(world, 3, gender=Gender.MALE)
    keyed_15()
    client = sign_in(Client(), world.users["practitioner"])
    url = reverse("api-child-aggregate")
    answer = client.get(url, {"rows": "area", "columns": "gender"})
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert [key["key"] for key in body["column_keys"]] == list(Gender.values)
    row = body["table_rows"][0]
    assert row["name"] == "Northbridge" and row["total"] == 16  # 15 with its noise (keyed_15)
    assert row["counts"] == [None, None, 0, 0]
    assert body["grand_total"] == 16 and body["threshold"] == 10 and body["withheld"] is False
    assert body["perturbed"] is True and body["noise_bound"] == PTABLE_BOUND
    assert "changed slightly" in body["perturbation"]
    unknown = client.get(url, {"rows": "postcode", "columns": "gender"})
    assert unknown.status_code == 400 and "rows" in unknown.json()["error"]["fields"]
    twice = client.get(url, {"rows": "gender", "columns": "gender"})
    assert twice.status_code == 400 and "columns" in twice.json()["error"]["fields"]
    missing = client.get(url, {"rows": "gender"})
    assert missing.status_code == 400 and "columns" in missing.json()["error"]["fields"]
    given_twice = client.get(url, {"rows": ["area", "agency"], "columns": "gender"})
    assert given_twice.status_code == 400 and "rows" in given_twice.json()["error"]["fields"]
    assert AuditEvent.objects.filter(kind="child.aggregate").count() == 1


@pytest.mark.django_db
def test_the_page_shows_suppressed_counts_and_explains_them(world: World) -> None:
    sharing_world(world)
    children(world, 12, gender=Gender.FEMALE)
    children(world, 3, gender=Gender.MALE)
    client = sign_in(Client(), world.users["auditor"])
    page = client.get(reverse("child-aggregate"), {"rows": "area", "columns": "gender"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "[c]" in text and "Why some counts are not shown" in text
    assert "Any count from 1 to 10" in text
    assert "every count shown, totals included, has been changed slightly, by at most 2 either way" in text
    bad = client.get(reverse("child-aggregate"), {"rows": "gender", "columns": "gender"})
    assert bad.status_code == 400
    assert "Choose a different dimension for the columns from the rows" in bad.content.decode()
    default = client.get(reverse("child-aggregate"))
    assert default.status_code == 200 and "Children by age band and gender" in default.content.decode()


def test_the_api_says_when_a_whole_table_is_withheld() -> None:
    # Two areas of one girl and one boy each beside a large one: every count would be worked out whatever is
    # hidden inside (tests/sharing/test_suppression.py), so the table is withheld and the answer says so, not
    # merely nulls a reader could take for small counts.
    counts = {("a", "f"): 1, ("a", "m"): 1, ("b", "f"): 1, ("b", "m"): 1, ("c", "f"): 25, ("c", "m"): 25}
    labels = {key: key.upper() for key in ("a", "b", "c", "f", "m")}
    table = AggregateTable(
        rows=Dimension.AREA,
        columns=Dimension.GENDER,
        table=suppress_table(counts),
        row_labels=labels,
        column_labels=labels,
        on=date(2026, 11, 30),
        as_at=datetime(2026, 11, 30, 0, 5, tzinfo=UTC),
    )
    body = aggregate_out(table)
    assert body["withheld"] is True
    assert body["grand_total"] is None and set(body["column_totals"]) == {None}
    assert all(set(row["counts"]) == {None} and row["total"] is None for row in body["table_rows"])
