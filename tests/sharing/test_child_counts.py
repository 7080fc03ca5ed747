"""The aggregate tier's kept counts (issue 11 "Speed"; sharing.models.counts, sharing migration 0006): the tables by
agency read counts the triggers keep, and every table must still equal a plain count over the children and
their open involvements, whatever wrote them: the services, a queryset's multi-row `update()`, a bulk insert, a
delete, a merge, two writers at once."""

from __future__ import annotations

import contextlib
import itertools
import random
import threading
from collections import Counter, defaultdict
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, connections, transaction
from django.utils import timezone

from agencies.models import Agency
from audit.models import AuditEvent
from audit.services import ActorIdentity
from sharing.cell_key import KEY_RANGE, perturb
from sharing.models import Child, ChildCountByAgency, ChildCountByAgencyAge, Ethnicity, Gender, Involvement
from sharing.rules import age_on, age_reference_day
from sharing.selectors.aggregate import (
    AGE_BANDS,
    NO_AREA,
    NO_INVOLVEMENT,
    Dimension,
    born_by,
    child_counts_differences,
    children_aggregate,
)
from sharing.services import child_merge, involvement_add, involvement_end
from sharing.services.counts import child_counts_rebuild
from sharing.services.retention import child_close
from tests.factories import World, area_named, make_agency
from tests.sharing.fixtures import counts_retaken, fresh, make_child, sharing_world

PAIRS = [(rows, columns) for rows in Dimension for columns in Dimension if rows != columns]
_serial = itertools.count(1)


def _band(born_on: date, on: date) -> str:
    # A child born after the day ages are counted on is in the youngest band, as the tables' SQL has it.
    age = age_on(born_on, on) if born_on <= on else 0
    return next(code for low, high, code in AGE_BANDS if age >= low and (high is None or age <= high))


def counted_over_the_tables(
    keys: dict[tuple[Dimension, Dimension], Counter[tuple[str, str]]] | None = None,
) -> dict[tuple[Dimension, Dimension], Counter[tuple[str, str]]]:
    """Every table, counted here in Python from the rows: each child not merged or closed, under each agency with an
    open involvement (once per agency), or under none. `keys`, when given, gets the sums of the cells' cell keys."""
    keys = keys if keys is not None else {}
    on = age_reference_day(timezone.localdate())  # ages as the tables count them (break11e finding 4)
    agencies: dict[int, set[str]] = defaultdict(set)
    for child_id, agency_id in Involvement.objects.filter(ended_on__isnull=True).values_list("child_id", "agency_id"):
        agencies[child_id].add(str(agency_id))
    tables: dict[tuple[Dimension, Dimension], Counter[tuple[str, str]]] = {pair: Counter() for pair in PAIRS}
    for child in Child.objects.filter(merged_into__isnull=True, closed_on__isnull=True):
        values = {
            Dimension.AREA: child.area_id or NO_AREA,
            Dimension.AGE_BAND: _band(child.born_on, on),
            Dimension.GENDER: child.gender,
            Dimension.ETHNICITY: child.ethnicity,
        }
        for rows, columns in PAIRS:
            if Dimension.AGENCY not in (rows, columns):
                tables[rows, columns][values[rows], values[columns]] += 1
                keys.setdefault((rows, columns), Counter())[values[rows], values[columns]] += child.cell_key
        for agency in agencies[child.pk] or {NO_INVOLVEMENT}:
            values[Dimension.AGENCY] = agency
            for rows, columns in PAIRS:
                if Dimension.AGENCY in (rows, columns):
                    tables[rows, columns][values[rows], values[columns]] += 1
                    keys.setdefault((rows, columns), Counter())[values[rows], values[columns]] += child.cell_key
    return tables


def assert_counts_agree(world: World) -> None:
    key_sums: dict[tuple[Dimension, Dimension], Counter[tuple[str, str]]] = {}
    expected = counted_over_the_tables(key_sums)
    counts_retaken()  # the tables as the next day's snapshot takes them from the kept counts
    auditor = fresh(world.users["auditor"])
    for rows, columns in PAIRS:
        aggregate = children_aggregate(actor=auditor, rows=rows, columns=columns, threshold=0)
        table = aggregate.table
        shown = {(r, c): table.cell(r, c) for r in table.rows for c in table.columns if table.cell(r, c)}
        # Each count with its cell-key noise (nothing is hidden at threshold 0): the key sums the triggers keep
        # are the children's (sharing migration 0012).
        noisy = {
            cell: perturb(n, key_sums[rows, columns][cell] % KEY_RANGE) for cell, n in expected[rows, columns].items()
        }
        assert shown == noisy, (rows, columns)
        # The agencies and areas listed are those counted: none with only zeros.
        for dimension, keys in ((rows, table.rows), (columns, table.columns)):
            if dimension in (Dimension.AGENCY, Dimension.AREA):
                position = 0 if dimension is rows else 1
                assert set(keys) == {key[position] for key in expected[rows, columns]}, dimension
    assert child_counts_differences() == []


def _involvements(children: list[Child], agencies: list[Agency], rng: random.Random, how_many: int) -> list[Any]:
    today = timezone.localdate()
    made = []
    for _ in range(how_many):
        child = rng.choice(children)
        ended = rng.random() < 0.3
        made.append(
            Involvement(
                child=child,
                agency=rng.choice(agencies),
                service=f"Service {next(_serial)}",
                started_on=child.born_on,
                ended_on=today if ended else None,
                end_reason="Finished." if ended else "",
            )
        )
    return made


def _step(world: World, rng: random.Random, agencies: list[Agency], areas: list[str | None]) -> None:
    """One write chosen at random, through a service or a statement over many rows."""
    today = timezone.localdate()
    living = list(Child.objects.filter(merged_into__isnull=True).order_by("pk"))
    child = rng.choice(living)
    kind = rng.randrange(11)
    open_ = Involvement.objects.filter(ended_on__isnull=True)
    if kind == 0:  # the service, by the other agency
        with contextlib.suppress(ValidationError):  # already open: nothing written
            involvement_add(actor=fresh(world.users["other_agency"]), child=child, agency=world.other, service="Police")
    elif kind == 1:  # a bulk insert: one statement, several rows, some for one child and one agency, some ended
        Involvement.objects.bulk_create(_involvements(living, agencies, rng, rng.randint(1, 6)))
    elif kind == 2 and (mine := open_.filter(agency=world.home).order_by("?").first()) is not None:
        involvement_end(actor=fresh(world.users["practitioner"]), involvement=mine, reason="No longer needed.")
    elif kind == 3:  # many ended in one statement
        chosen = rng.sample(living, min(len(living), 4))
        open_.filter(child__in=chosen, agency=rng.choice(agencies)).update(ended_on=today, end_reason="Closed.")
    elif kind == 4:  # ended ones opened again (where no open one of that service is in the way)
        for involvement in Involvement.objects.filter(ended_on__isnull=False).order_by("?")[:3]:
            with contextlib.suppress(IntegrityError), transaction.atomic():  # refused: nothing written
                Involvement.objects.filter(pk=involvement.pk).update(ended_on=None, end_reason="")
    elif kind == 5:  # involvements moved to another child, in one statement
        other = rng.choice(living)
        moved = list(Involvement.objects.filter(child=child).values_list("pk", flat=True)[:3])
        with contextlib.suppress(IntegrityError), transaction.atomic():
            Involvement.objects.filter(pk__in=moved).update(child=other)
    elif kind == 6:  # to another agency
        chosen = list(Involvement.objects.filter(child=child).values_list("pk", flat=True)[:2])
        with contextlib.suppress(IntegrityError), transaction.atomic():
            Involvement.objects.filter(pk__in=chosen).update(agency=rng.choice(agencies))
    elif kind == 7:  # deleted
        chosen = list(Involvement.objects.filter(child=child).values_list("pk", flat=True)[:2])
        Involvement.objects.filter(pk__in=chosen).delete()
    elif kind == 8:  # the children's values, several at once
        chosen = [c.pk for c in rng.sample(living, min(len(living), 3))]
        change: dict[str, Any] = rng.choice(
            [
                {"gender": rng.choice(Gender.values)},
                {"ethnicity": rng.choice(Ethnicity.values)},
                {"area_id": rng.choice(areas)},
                {"born_on": born_by(today, rng.randint(1, 30)) + timedelta(days=rng.choice((0, 1)))},
                {"gender": rng.choice(Gender.values), "updated_at": timezone.now()},
                {"updated_at": timezone.now()},  # nothing counted changes
                {"cell_key": rng.randrange(KEY_RANGE)},  # the key moves in the kept sums (migration 0012)
            ]
        )
        Child.objects.filter(pk__in=chosen).update(**change)
    elif kind == 9 and len(living) > 3:  # merged (the service: involvements moved, duplicates ended)
        keep, merge = rng.sample(living, 2)
        child_merge(
            actor=fresh(world.users["partnership_admin"]),
            keep=keep,
            merge=merge,
            reason="The same child",
            differences_confirmed=True,
        )
    else:  # a bare entry made and one taken away (no names: nothing else refers to it)
        bare = Child.objects.create(born_on=born_by(today, rng.randint(0, 20)), area_id=rng.choice(areas))
        Involvement.objects.bulk_create(_involvements([bare], agencies, rng, rng.randint(0, 2)))
        if rng.random() < 0.5:
            Involvement.objects.filter(child=bare).delete()
            Child.objects.filter(pk=bare.pk).delete()


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_tables_by_agency_equal_a_count_over_the_tables_whatever_wrote_them(world: World, seed: int) -> None:
    sharing_world(world)
    rng = random.Random(seed)
    agencies = [world.home, world.other, make_agency(area="Southfield"), make_agency(area=None)]
    areas: list[str | None] = [area_named("Northbridge").code, area_named("Southfield").code, None]
    counted_on = age_reference_day(timezone.localdate())  # the day the tables count ages on
    for number in range(10):
        # Some on the day a band starts or the day before (DESIGN: a child turns 5 on its birthday).
        born = born_by(counted_on, rng.randint(1, 17)) + timedelta(days=rng.choice((0, 0, 1, -40)))
        make_child(
            world,
            f"Counted{'o' * number}",
            f"Child{'e' * number}",
            born_on=born,
            gender=rng.choice(Gender.values),
            ethnicity=rng.choice(Ethnicity.values),
            considered=list(Child.objects.values_list("pk", flat=True)),
        )
    assert_counts_agree(world)
    for step in range(60):
        _step(world, rng, agencies, areas)
        if step % 15 == 14:
            assert_counts_agree(world)
    assert Child.objects.filter(merged_into__isnull=False).exists() or seed != 1
    assert_counts_agree(world)


@pytest.mark.django_db
def test_several_services_of_one_agency_count_the_child_once_and_ending_one_keeps_it(world: World) -> None:
    sharing_world(world)
    child = make_child(world)  # with the home agency's "Children's social care"
    home = str(world.home.pk)

    def by_agency() -> dict[str, int | None]:
        counts_retaken()
        aggregate = children_aggregate(
            actor=fresh(world.users["auditor"]), rows=Dimension.AGENCY, columns=Dimension.GENDER, threshold=0
        )
        return {key: aggregate.table.row_total(key) for key in aggregate.table.rows}

    second = involvement_add(
        actor=fresh(world.users["practitioner"]), child=child, agency=world.home, service="Early help"
    )
    assert by_agency() == {home: 1}
    involvement_end(actor=fresh(world.users["practitioner"]), involvement=second, reason="Done.")
    assert by_agency() == {home: 1}
    Involvement.objects.filter(child=child).update(ended_on=timezone.localdate(), end_reason="All closed.")
    assert by_agency() == {NO_INVOLVEMENT: 1}
    # Kept at 0 rather than deleted, and left out like a count over the tables leaves it out.
    assert ChildCountByAgencyAge.objects.get(agency_id=world.home.pk).n == 0
    assert ChildCountByAgencyAge.objects.get(agency_id=world.home.pk).key_sum == 0
    assert child_counts_differences() == []


@pytest.mark.django_db
def test_a_closed_record_leaves_the_kept_counts_as_it_leaves_the_count_over_the_tables(world: World) -> None:
    """Closing a record (Southampton 8, 11) is an UPDATE of its closed_on: the triggers count it as leaving the
    index (sharing migration 0008), so the tables by agency and the others agree."""
    sharing_world(world)
    kept, closed = make_child(world, "Kept", "Open"), make_child(world, "Closed", "Record", born_on=date(2013, 3, 3))
    involvement_add(actor=fresh(world.users["practitioner"]), child=closed, agency=world.home, service="Early help")
    assert_counts_agree(world)
    child_close(actor=fresh(world.users["partnership_admin"]), child=closed, reason="No longer needed.")
    counts_retaken()
    aggregate = children_aggregate(
        actor=fresh(world.users["auditor"]), rows=Dimension.AGENCY, columns=Dimension.GENDER, threshold=0
    )
    assert aggregate.table.grand_total == 1
    assert Child.objects.get(pk=kept.pk).closed_on is None
    assert_counts_agree(world)


@pytest.mark.django_db
def test_the_check_finds_a_count_gone_wrong_and_the_rebuild_counts_again(world: World) -> None:
    sharing_world(world)
    make_child(world)
    assert child_counts_differences() == []
    call_command("child_counts")
    ChildCountByAgency.objects.filter(n__gt=0).update(n=7)
    ChildCountByAgencyAge.objects.all().delete()
    differences = child_counts_differences()
    assert {d.table for d in differences} == {"sharing_childcountbyagency", "sharing_childcountbyagencyage"}
    assert {(d.kept, d.counted) for d in differences} == {(7, 1), (None, 1)}
    with pytest.raises(CommandError, match="differ"):
        call_command("child_counts")
    groups = child_counts_rebuild(actor=ActorIdentity(user_id=None, label="test"))
    assert groups == {"sharing_childcountbyagencyage": 1, "sharing_childcountbyagency": 1}
    assert child_counts_differences() == []
    assert AuditEvent.objects.filter(kind="child.counts_rebuild").count() == 1
    # Writes that skip the triggers (a superuser's replica session, as the benchmark's bulk COPY) leave the counts
    # behind until they are counted again.
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        try:
            Child.objects.create(born_on=date(2015, 1, 1))
        finally:
            cursor.execute("SET session_replication_role = DEFAULT")
    assert child_counts_differences() != []
    call_command("child_counts", "--rebuild")
    assert child_counts_differences() == []


@pytest.mark.django_db(transaction=True)
def test_two_writers_of_one_child_at_once_are_counted_once(world: World) -> None:
    """Two transactions each open the child's first involvement with a third agency: each alone would count the
    child under it and take it from "no current involvement". The trigger's lock makes the second wait and then
    count from what the first committed."""
    sharing_world(world)
    child = make_child(world)
    Involvement.objects.filter(child=child).update(ended_on=timezone.localdate(), end_reason="Closed.")
    third = make_agency()
    first_written = threading.Event()
    errors: list[BaseException] = []

    def write(service: str, wait: threading.Event | None) -> None:
        try:
            if wait is not None:
                wait.wait(10)
            with transaction.atomic():
                Involvement.objects.create(child=child, agency=third, service=service, started_on=child.born_on)
                if wait is None:
                    first_written.set()
                    threading.Event().wait(0.5)  # the second writer is waiting on the child meanwhile
        except BaseException as error:  # reported by the test below
            errors.append(error)
        finally:
            connections.close_all()

    writers = [
        threading.Thread(target=write, args=("Youth work", None)),
        threading.Thread(target=write, args=("Mentoring", first_written)),
    ]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(20)
    assert errors == []
    assert Involvement.objects.filter(child=child, agency=third, ended_on__isnull=True).count() == 2
    assert child_counts_differences() == []
    assert ChildCountByAgencyAge.objects.get(agency_id=third.pk).n == 1
    assert ChildCountByAgencyAge.objects.get(agency_id=0).n == 0
