"""Tester break11b's findings on issue 11 in the sharing app: the suppressed aggregate and leaving the age scope.
Each test fails against main as found (c1d53c4) and is marked xfail(strict) so the suite stays green until it is
fixed. Data is built through the services.

High
 1. Two tables by different dimensions that split the children alike hide different copies of the same count.

Medium
 5. The agency tables count child-agency pairs: a margin shown in both kinds of table differs by a small count.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.utils import timezone

from sharing.cell_key import perturb
from sharing.models import Child, Ethnicity, Gender
from sharing.rules import SuppressedTable, age_reference_day
from sharing.selectors.aggregate import Dimension, born_by, children_aggregate
from sharing.services import involvement_add
from tests.factories import World
from tests.sharing.fixtures import fresh, make_child, sharing_world

pytestmark = pytest.mark.django_db

_serial = itertools.count(1300)
_LETTERS = "bcdfghjklmnpqrstvwxz"


def _word(number: int) -> str:
    letters = ""
    while True:
        number, digit = divmod(number, len(_LETTERS))
        letters += _LETTERS[digit] + "u"
        if not number:
            return letters.capitalize()


def _children(
    world: World, how_many: int, age: int, gender: str, ethnicity: str = Ethnicity.NOT_STATED, by: str = "practitioner"
) -> list[Child]:
    today = timezone.localdate()
    made = []
    for _ in range(how_many):
        n = next(_serial)
        made.append(
            make_child(
                world,
                _word(n),
                _word(n + 900),
                born_on=born_by(age_reference_day(today), age) - timedelta(days=3 * (n % 80)),
                gender=gender,
                ethnicity=ethnicity,
                by=by,
                agency=world.home if by == "practitioner" else world.other,
            )
        )
    return made


def _known(table: SuppressedTable, rename: dict[str, str]) -> dict[tuple[str, str], int]:
    """What `table` shows, its columns renamed by `rename` (("T", c) a column total, (r, "T") a row total)."""
    known: dict[tuple[str, str], int] = {}
    for row in table.rows:
        for col, name in rename.items():
            value = table.cell(row, col)
            if value is not None:
                known[row, name] = value
        if table.row_total(row) is not None:
            known[row, "T"] = table.row_total(row)  # type: ignore[assignment]
    for col, name in rename.items():
        if table.col_total(col) is not None:
            known["T", name] = table.col_total(col)  # type: ignore[assignment]
    if table.grand_total is not None:
        known["T", "T"] = table.grand_total
    return known


def _worked_out(known: dict[tuple[str, str], int], rows: list[str], cols: list[str]) -> dict[tuple[str, str], int]:
    """Every count a reader solves from the lines of the table (cells and their total) that have one unknown."""
    lines = [([(r, c) for c in cols], (r, "T")) for r in rows]
    lines += [([(r, c) for r in rows], ("T", c)) for c in cols]
    lines += [([(r, "T") for r in rows], ("T", "T")), ([("T", c) for c in cols], ("T", "T"))]
    solved: dict[tuple[str, str], int] = {}
    changed = True
    while changed:
        changed = False
        for cells, total in lines:
            unknown = [place for place in [*cells, total] if place not in known]
            if len(unknown) != 1:
                continue
            place = unknown[0]
            others = sum(known[cell] for cell in cells if cell != place)
            known[place] = others if place == total else known[total] - others
            solved[place] = known[place]
            changed = True
    return solved


# --- High ---------------------------------------------------------------------------------------------------------


def test_two_dimensions_that_split_the_children_alike_do_not_give_away_a_hidden_count(world: World) -> None:
    """48 children: aged 0-4, 2 girls and 1 boy; aged 11-15, 12 girls and 11 boys; aged 16-18, 11 girls and 11
    boys. In this small index every girl is recorded "Other ethnic group: any other" and every boy "Black
    Caribbean" (any two dimensions that happen to split a small population the same way do). A member of a
    signatory agency asks the aggregate page for age band x gender and then age band x ethnicity. The two tables
    hold the same counts under different column labels, but suppress_table breaks ties between equal counts by
    the labels (fixed after break11 finding 10 only for the same table transposed), so the first table hides the
    16-18 girls (11) as the secondary count and shows the 11-15 boys, the second hides the 11-15 "Black Caribbean"
    (11) and shows the 16-18 "Other" (11). Putting what both show together, a reader solves the lines and gets
    the one boy aged 0 to 4 (a count of 1 that primary suppression hid). Southampton 12: "care must be taken to
    ensure that a person's identity cannot be deduced from the data shared"; issue 11: "no suppressed cell can be
    recovered", the suppression "attacked with crafted tables (combine several tables ...)". Right: the choice of
    secondary cells does not depend on the labels of the column dimension (e.g. ties broken by the counts alone
    or by something every table over the same children shares, or the secondary suppression done over the
    children's full cross-classification), so tables that split the children alike hide alike."""
    sharing_world(world)
    for age, girls, boys in ((2, 2, 1), (13, 12, 11), (17, 11, 11)):
        _children(world, girls, age, Gender.FEMALE, Ethnicity.OTHER)
        _children(world, boys, age, Gender.MALE, Ethnicity.BLACK_CARIBBEAN)
    Child.objects.update(cell_key=0)  # the cell-key noise made fixed (sharing.cell_key)
    reader = fresh(world.users["practitioner"])
    by_gender = children_aggregate(actor=reader, rows=Dimension.AGE_BAND, columns=Dimension.GENDER).table
    by_ethnicity = children_aggregate(actor=reader, rows=Dimension.AGE_BAND, columns=Dimension.ETHNICITY).table
    assert by_gender.grand_total == perturb(48, 0) == 47  # 48 with its cell-key noise
    assert by_gender.cell("0-4", Gender.MALE) is None  # primary: 1 is hidden
    known = _known(by_gender, {Gender.FEMALE: "girls", Gender.MALE: "boys"})
    for place, value in _known(by_ethnicity, {Ethnicity.OTHER: "girls", Ethnicity.BLACK_CARIBBEAN: "boys"}).items():
        known.setdefault(place, value)
    solved = _worked_out(known, list(by_gender.rows), ["girls", "boys"])
    small = {place: value for place, value in solved.items() if 1 <= value <= 10}
    assert small == {}, f"worked out from the two tables together: {small}"


# --- Medium -------------------------------------------------------------------------------------------------------


def test_the_same_margin_in_two_tables_does_not_differ_by_a_small_count(world: World) -> None:
    """31 children aged 11 to 15: 20 girls known to the home agency, 11 boys to the other agency, and one of the
    girls also to the other agency (involvement_add). A member of a signatory agency asks for agency x age band:
    home 20, other 12, every cell over the threshold, the 11-15 column total 32 (the agency tables count each
    child once per agency involved: sharing.selectors.aggregate). Then gender x age band: the 11-15 total is 31
    (children). Both are the total of the same age band, shown in full; their difference, 1, is a count the
    threshold exists to hide: exactly one child aged 11 to 15 is known to both agencies (and by the gender
    columns of agency x gender against area x gender, that it is a girl). Issue 11: "No count from 1 to the
    threshold (10, a setting) is shown - totals included"; Southampton 12: "care must be taken to ensure that a
    person's identity cannot be deduced from the data shared". Right: a margin of the agency tables that
    counts child-agency pairs is not shown beside the children's count of the same margin when the two differ by
    1 to the threshold (suppress the pair totals of the agency tables, or count each child once there), so no
    two totals of the same dimension value give a small count by subtraction."""
    sharing_world(world)
    girls = _children(world, 20, 13, Gender.FEMALE)
    _children(world, 11, 13, Gender.MALE, by="other_agency")
    involvement_add(actor=fresh(world.users["other_agency"]), child=girls[0], agency=world.other, service="Youth work")
    Child.objects.update(cell_key=0)  # the cell-key noise made fixed (sharing.cell_key)
    reader = fresh(world.users["practitioner"])
    by_agency = children_aggregate(actor=reader, rows=Dimension.AGENCY, columns=Dimension.AGE_BAND).table
    by_gender = children_aggregate(actor=reader, rows=Dimension.GENDER, columns=Dimension.AGE_BAND).table
    pairs, children = by_agency.col_total("11-15"), by_gender.col_total("11-15")
    assert children == perturb(31, 0) == 32  # 31 with its cell-key noise
    differences = [
        pairs - children if pairs is not None and children is not None else None,
        by_agency.grand_total - by_gender.grand_total
        if by_agency.grand_total is not None and by_gender.grand_total is not None
        else None,
    ]
    assert not any(difference is not None and 1 <= difference <= 10 for difference in differences), differences
