"""Tester break10g's findings on issue 10 (the child index and its search), each a test that fails against main as
found (65bb236); all are fixed (h/fix10h), so each now guards its fix. Data is built through the services.

Low
 1. A given name of two words (hyphenated or not: "Mary-Ann", "Jean-Luc", "Anna Maria", "Zara Mary") with the
    family name's initial finds nothing, though the same name written as one word ("Maryann Q") and the full
    name ("Mary-Ann Quinn") both find the child: the family-initial reading (rules._family_initial_reading)
    reads only a query of exactly two words, and the pair keys cannot cover a family initial.
 2. "Eron Q" / "Emilia Q" / "Edan Q" do not find Aeron / Aemilia / Aedan Quinn, though "Eron Quinn",
    "Emilia Quinn" and "Edan Quinn" do: Metaphone drops the A of an initial "Ae", and sounds_alike_initials
    tries only the spellings in _INITIAL_DIGRAPHS, which lacks "ae" (the kind break10f finding 1 fixed for
    S/Z, C/K, Ph/F).

Medium
 3. A member authorised for restricted information keeps reading restricted entries (victim information) after
    a partnership admin corrects their agency's kind from local authority to another kind: the flag is refused
    outside local authorities when set, but restricted_readers reads only the flag.
 4. An entry recorded while a merge of its child is under way lands on the merged-away entry: entry_record does
    not lock the child (child_merge does), checks the stale `merged_into`, reads the involvement the merge has
    not yet committed moving, and its insert waits for the merge's row lock, then writes against the duplicate.
    The survivor's record never shows it: the history the merge was to keep whole is split. The same for a name
    added (child_name_add: a known-as name and its search keys on the duplicate, never searched again).

Low
 5. Two partnership admins merging the same pair crosswise (A into B, B into A) at once deadlock: child_merge
    locks keep then merge, so the two lock in opposite orders; one gets PostgreSQL's "deadlock detected"
    (OperationalError; through the API a 503 "database cannot be reached") rather than the refusal "This entry
    was merged into child N".
 6. The check for likely matches (POST /api/v1/children/match/, the search a practitioner makes before creating
    a child) is audited (child.match) with its count and ids but not the criteria it was made on, unlike
    child.search (issue 10: "each search ... is an audit event with its criteria and result count"); and it
    answers `criteria: [name, born_on, nhs_number, postcode]` whatever was given.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from sharing.selectors import child_search
from tests.factories import World
from tests.sharing.fixtures import PURPOSE, fresh, make_child, sharing_world

pytestmark = pytest.mark.django_db

BORN = date(2013, 6, 14)


def _found(world: World, name: str, **criteria: Any) -> list[int]:
    search = child_search(principal=fresh(world.users["other_agency"]), purpose=PURPOSE, name=name, **criteria)
    return [result.child_id for result in search.results]


def test_a_hyphenated_given_name_with_the_family_initial_finds_the_child(world: World) -> None:
    """Mary-Ann Quinn, born 14 June 2013. "Mary-Ann Quinn" and "Maryann Q" with her date of birth find her;
    "Mary-Ann Q" (her name as written) and "Mary Ann Q" find nothing, with the date of birth or the postcode.
    Issue 10: the search is tolerant of hyphens ("Smith Jones" finds "Smith-Jones"); the initial reading should
    be too, as it is for the one-word spelling."""
    sharing_world(world)
    child = make_child(world, "Mary-Ann", "Quinn", born_on=BORN)
    assert _found(world, "Mary-Ann Quinn", born_on=BORN) == [child.pk]
    assert _found(world, "Maryann Q", born_on=BORN) == [child.pk]
    assert _found(world, "Mary-Ann Q", born_on=BORN) == [child.pk]
    assert _found(world, "Mary Ann Q", born_on=BORN) == [child.pk]
    assert _found(world, "Mary-Ann Q", postcode="N1 9GU") == [child.pk]


@pytest.mark.parametrize(
    ("stored", "query"),
    [
        (("Mary-Ann", "Quinn"), "Mary-Ann Q"),
        (("Mary-Ann", "Quinn"), "Mary Ann Q"),
        (("Anna Maria", "Quinn"), "Anna-Maria Q"),
        (("Jean-Luc", "Picard"), "Jean-Luc P"),
        (("Zara Mary", "Quinn"), "Zara Mary Q"),
    ],
)
def test_the_family_initial_reads_a_given_name_of_two_words(stored: tuple[str, str], query: str) -> None:
    from sharing import rules

    assert rules.name_match(rules.name_query(" ".join(stored)), rules.name_index_keys(*stored))[0]
    assert rules.name_match(rules.name_query(query), rules.name_index_keys(*stored)) == (True, False)


def test_an_initial_ae_spelling_with_the_family_initial_finds_the_child(world: World) -> None:
    """Aeron Quinn: "Eron Quinn" with the date of birth finds him (Metaphone reads an initial "Ae" as "E"), "Eron
    Q" does not: the same child, one tolerant search and one not (break10f finding 1's kind)."""
    sharing_world(world)
    child = make_child(world, "Aeron", "Quinn", born_on=BORN)
    assert _found(world, "Eron Quinn", born_on=BORN) == [child.pk]
    assert _found(world, "Eron Q", born_on=BORN) == [child.pk]


@pytest.mark.parametrize(
    ("stored", "query"),
    [(("Aeron", "Quinn"), "Eron Q"), (("Aemilia", "Quinn"), "Emilia Q"), (("Aedan", "Quinn"), "Edan Q")],
)
def test_the_family_initial_reads_an_initial_ae(stored: tuple[str, str], query: str) -> None:
    from sharing import rules

    full = query[:-1] + stored[1]
    assert rules.name_match(rules.name_query(full), rules.name_index_keys(*stored))[0]
    assert rules.name_match(rules.name_query(query), rules.name_index_keys(*stored)) == (True, False)


def test_restricted_entries_are_not_read_once_the_agency_is_no_longer_a_local_authority(world: World) -> None:
    """Only local-authority social-care staff may be authorised for restricted information (membership_update
    refuses the flag elsewhere; WYCPS, Barnet: victim information kept apart). Rita, authorised at the Home
    council, reads a restricted case note. A partnership admin corrects the register: Home is a voluntary
    organisation (agency_update kind). Rita's flag stays, and restricted_readers asks only the flag, so she still
    reads the victim information: the rule the flag was refused by is not the rule the read is decided by."""
    from django.test import Client

    from agencies.models import AgencyKind
    from agencies.services import agency_update
    from sharing.services import entry_record
    from tests.factories import sign_in

    sharing_world(world)
    child = make_child(world, "Mary", "Quinn", born_on=BORN)
    entry = entry_record(
        actor=fresh(world.users["practitioner"]),
        child=child,
        agency=world.home,
        category="case_note",
        fields={},
        text="Victim statement Qzvictimq",
        basis="fact",
        restricted=True,
    )
    before = sign_in(Client(), world.users["restricted"]).get(f"/api/v1/entries/{entry.pk}/", HTTP_X_PURPOSE=PURPOSE)
    assert before.status_code == 200 and "Qzvictimq" in before.content.decode()
    agency_update(actor=fresh(world.users["partnership_admin"]), agency=world.home, kind=AgencyKind.VOLUNTARY)
    after = sign_in(Client(), fresh(world.users["restricted"])).get(
        f"/api/v1/entries/{entry.pk}/", HTTP_X_PURPOSE=PURPOSE
    )
    assert "Qzvictimq" not in after.content.decode()
    assert after.status_code == 404


def _lock_waiters() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return int(cursor.fetchone()[0])


def _during_a_merge(world: World, action: object) -> tuple[int, dict[str, object]]:
    """Mary Quinn and her duplicate Marie; `action(child)` runs with the duplicate as its view read it, while a
    partnership admin's merge of Marie into Mary is made but not yet committed (its insert waits on the merge's
    row lock). The duplicate's id and what each side raised."""
    import threading
    import time

    from django.db import connections, transaction

    from sharing.models import Child
    from sharing.services import child_merge

    sharing_world(world)
    keep = make_child(world, "Mary", "Quinn", born_on=BORN)
    duplicate = make_child(world, "Marie", "Quinn", born_on=BORN, considered=range(100_000))
    form_loaded = Child.objects.get(pk=duplicate.pk)  # what the form's view read
    merged, release = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def merge() -> None:
        try:
            with transaction.atomic():
                child_merge(actor=fresh(world.users["partnership_admin"]), keep=keep, merge=duplicate, reason="Same")
                merged.set()
                release.wait(20)
        except BaseException as error:  # the test reads it
            outcome["merge"] = error
            merged.set()
        finally:
            connections.close_all()

    def act() -> None:
        try:
            merged.wait(20)
            with transaction.atomic():
                outcome["done"] = action(form_loaded)  # type: ignore[operator]
        except BaseException as error:  # a refusal is a right answer
            outcome["refused"] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=merge), threading.Thread(target=act)]
    for thread in threads:
        thread.start()
    merged.wait(20)
    deadline = time.monotonic() + 15
    while _lock_waiters() == 0 and "refused" not in outcome and time.monotonic() < deadline:
        time.sleep(0.05)
    release.set()
    for thread in threads:
        thread.join(30)
    assert "merge" not in outcome
    return duplicate.pk, outcome


@pytest.mark.django_db(transaction=True)
def test_an_entry_recorded_while_its_child_is_merged_ends_on_the_survivor_or_is_refused(world: World) -> None:
    """A practitioner opens the new-entry form for Marie Quinn (the duplicate); a partnership admin merges her
    into Mary Quinn and, before that commits, the practitioner saves. The save waits on the merge's row lock and
    then writes the entry against the merged-away duplicate: the survivor's record never shows it. It should be
    refused (the entry was merged: record against the survivor) or written on the survivor."""
    from sharing.models import RecordEntry
    from sharing.services import entry_record

    def record(child: object) -> object:
        return entry_record(
            actor=fresh(world.users["practitioner"]),
            child=child,  # type: ignore[arg-type]
            agency=world.home,
            category="case_note",
            fields={},
            text="Seen at school",
            basis="fact",
        )

    duplicate_id, _ = _during_a_merge(world, record)
    assert not RecordEntry.objects.filter(child_id=duplicate_id).exists()


@pytest.mark.django_db(transaction=True)
def test_a_name_added_while_its_child_is_merged_ends_on_the_survivor_or_is_refused(world: World) -> None:
    """The same race with a known-as name (child_name_add, which does not lock the child either): the name and
    its search keys are written against the merged-away duplicate, which the search never reads, so the child
    is never found by the name it goes by."""
    from sharing.models import ChildName, ChildNameKey
    from sharing.services import child_name_add

    def add(child: object) -> object:
        return child_name_add(
            actor=fresh(world.users["practitioner"]),
            child=child,  # type: ignore[arg-type]
            kind="known_as",
            given="Effie",
            family="Quinn",
        )

    duplicate_id, _ = _during_a_merge(world, add)
    assert not ChildName.objects.filter(child_id=duplicate_id).exists()
    assert not ChildNameKey.objects.filter(child_id=duplicate_id).exists()


class _PausingChild:
    """Stands for the entry to merge: reading its id (after the kept entry is locked) waits for the other admin."""

    def __init__(self, child: object, barrier: object) -> None:
        self._child, self._barrier = child, barrier

    @property
    def pk(self) -> int:
        self._barrier.wait(20)  # type: ignore[attr-defined]
        return self._child.pk  # type: ignore[attr-defined]


@pytest.mark.django_db(transaction=True)
def test_two_crosswise_merges_at_once_end_with_one_merge_and_a_refusal(world: World) -> None:
    """Admin 1 merges Marie into Mary while admin 2 merges Mary into Marie. Each locks its kept entry, then the
    other: PostgreSQL detects the deadlock and one fails with OperationalError (a 503 "database cannot be
    reached" through the API). Locking both rows in one order (by id) would make the second wait, then be
    refused: "This entry was merged into child N"."""
    import threading

    from django.core.exceptions import ValidationError
    from django.db import connections, transaction

    from isp_portal.policy import NotPermitted
    from sharing.services import child_merge

    sharing_world(world)
    mary = make_child(world, "Mary", "Quinn", born_on=BORN)
    marie = make_child(world, "Marie", "Quinn", born_on=BORN, considered=range(100_000))
    barrier = threading.Barrier(2)
    results: list[object] = []
    errors: list[BaseException] = []

    def run(keep: object, merge: object) -> None:
        try:
            with transaction.atomic():
                results.append(
                    child_merge(
                        actor=fresh(world.users["partnership_admin"]),
                        keep=keep,  # type: ignore[arg-type]
                        merge=_PausingChild(merge, barrier),  # type: ignore[arg-type]
                        reason="The same child",
                    )
                )
        except BaseException as error:  # the test reads them
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(mary, marie)), threading.Thread(target=run, args=(marie, mary))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(40)
    assert len(results) == 1 and len(errors) == 1, errors
    assert isinstance(errors[0], NotPermitted | ValidationError), repr(errors[0])


def test_the_likely_match_check_is_audited_with_the_criteria_it_used(world: World) -> None:
    """A practitioner checks for Mary Quinn, born 14 June 2013, before creating her (name and date of birth only):
    the audit event should say which criteria were used, as child.search's does, and the answer should not
    claim an NHS number and a postcode that were never given."""
    from django.test import Client

    from audit.models import AuditEvent
    from tests.factories import sign_in

    sharing_world(world)
    make_child(world, "Mary", "Quinn", born_on=BORN)
    client = sign_in(Client(), world.users["other_agency"])
    response = client.post(
        "/api/v1/children/match/",
        data={"given": "Mary", "family": "Quinn", "born_on": BORN.isoformat()},
        content_type="application/json",
        HTTP_X_PURPOSE=PURPOSE,
    )
    assert response.status_code == 200 and len(response.json()["results"]) == 1
    event = AuditEvent.objects.filter(kind="child.match").latest("pk")
    assert event.detail["result_count"] == 1
    assert sorted(event.detail.get("criteria", [])) == ["born_on", "name"]
    assert sorted(response.json()["criteria"]) == ["born_on", "name"]
