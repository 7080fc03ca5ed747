"""Tester break11h's findings on issue 11 after fix11g (the sharing side: what survives the erasure, the reopening
read back, the aggregate tier's age reference day and its zeros), each a test that fails against main as found
(33f9704), marked xfail(strict) so the suite stays green until it is fixed. Data is built through the services, as
a partnership admin or a practitioner meets it; the suppression rule is a pure function and is asked directly."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.test import Client

from agencies.models import User
from audit.models import AuditEvent
from isp_portal.models import Notification
from isp_portal.policy import SystemActor
from sharing.models import Child, ChildReopening
from sharing.rules import age_reference_day, suppress_table
from sharing.services import child_merge, child_update, minimum_data_of
from sharing.services.retention import REOPEN_KEY, child_close, child_erase, child_reopen
from tests.factories import World, sign_in
from tests.sharing.fixtures import PURPOSE, fresh, make_child, sharing_world

pytestmark = pytest.mark.django_db

# What a partnership admin writes when asked why a record is reopened: who said so and where the child is.
REOPEN_REASON = "Closed in error: Jade Hollis (mother) rang, Kayla still lives with her at 4 Elm Road"


def _erased(world: World, child: Child) -> Child:
    """`child` closed by a partnership admin and erased when its retention period has run."""
    child = child_close(actor=fresh(world.users["partnership_admin"]), child=child, reason="No longer needed")
    assert child.erase_due_on is not None
    return child_erase(actor=SystemActor("test"), child=child, today=child.erase_due_on)


def test_the_erasure_erases_the_reopening_reasons_of_the_entries_merged_into_it(world: World) -> None:
    """A record closed in error is reopened by a partnership admin, who writes why (the mother rang, where the
    girl lives). Weeks later the same girl turns up under a second entry and the admin merges the reopened one
    into it. child_merge moves names, addresses, involvements, entries and consents to the kept entry, but not the
    ChildReopening rows (sharing/0014), which stay on the merged entry; child_erase blanks the reopening reasons of
    the erased child only (ChildReopening.objects.filter(child_id=locked.pk)), although it reaches the merged
    entries for everything else, merge reasons included (`merged_ids`). So when the kept entry is closed and
    erased, the reason - the mother's name, the child's address - outlives the erasure (Southampton 6: "deleted
    beyond recovery"; Southampton 8; break11e finding 1, fixed for the child's own reopenings only). Right: the
    erasure blanks the reopening reasons of the entries merged into the child too (or the merge moves them)."""
    sharing_world(world)
    admin = world.users["partnership_admin"]
    reopened = make_child(world, "Kayla", "Hollis")
    reopened = child_close(actor=fresh(admin), child=reopened, reason="No longer needed")
    reopened = child_reopen(actor=fresh(admin), child=reopened, reason=REOPEN_REASON)
    kept = make_child(world, "Kayla", "Hollis", considered=[reopened.pk])
    child_merge(actor=fresh(admin), keep=kept, merge=reopened, reason="The same girl", differences_confirmed=True)
    erased = _erased(world, Child.objects.get(pk=kept.pk))
    assert erased.erased_at is not None
    reasons = list(ChildReopening.objects.filter(child_id__in=[kept.pk, reopened.pk]).values_list("reason", flat=True))
    assert reasons and not any("Elm Road" in reason for reason in reasons)


def test_the_erasure_leaves_no_name_correction_reason_in_the_audit_trail(world: World) -> None:
    """A practitioner corrects a child's name recorded wrongly; the change page asks "what the mistake was" and
    the practitioner writes it (the mother, the right spelling, where they live). _child_update writes that
    reason, as typed, into the child.update audit event's detail (`reason`). The audit trail is append-only and
    read by every auditor: when the record is closed and erased, the names are deleted, yet the event still holds
    the child's name and address (Southampton 6, 8). The portal keeps free text out of the audit elsewhere for
    exactly this reason (consent.withdraw since break11b finding 3, child.reopen since break11e finding 1; break11b
    noted this one in passing, and it was never fixed). Right: the event records that a correction was made and
    that a reason was given (its length), the text living only where the erasure reaches it."""
    sharing_world(world)
    child = make_child(world, "Kaila", "Hollis")
    child = child_update(
        actor=fresh(world.users["practitioner"]),
        child=child,
        data=minimum_data_of(child),
        name=("Kayla", "Hollis"),
        name_change="correction",
        reason="Misspelt at referral: her mother Jade Hollis of 4 Elm Road spells it Kayla",
    )
    erased = _erased(world, child)
    assert erased.erased_at is not None
    leaked = [
        event.kind for event in AuditEvent.objects.filter(child_id=child.pk) if "Elm Road" in json.dumps(event.detail)
    ]
    assert leaked == []


def test_the_people_told_of_a_reopening_can_read_why(world: World) -> None:
    """child_reopen tells the lead professionals (or the designated managers standing in) that the record was
    reopened, "(the reason given is kept with the record)", and links to the child's page. fix11g moved the
    reason out of the notice and the audit into a ChildReopening row - and no page, API or selector reads that
    row: the child's page, the retention list and the API say nothing of the reopening, nor why. The person told
    (who must now record an extending condition or the young person's consent, or see the record closed again)
    cannot learn why it was reopened, and no auditor can either (the audit holds the reason's length). Right:
    the child's page (for those who may see it, while the record is not erased) says when it was reopened, by
    whom and why, read from the ChildReopening row."""
    sharing_world(world)
    admin = world.users["partnership_admin"]
    child = child_close(actor=fresh(admin), child=make_child(world, "Kayla", "Hollis"), reason="No longer needed")
    child_reopen(actor=fresh(admin), child=child, reason=REOPEN_REASON)
    told = Notification.objects.filter(key__startswith=REOPEN_KEY, link=f"/children/{child.pk}/").first()
    assert told is not None and "kept with the record" in told.body
    client = sign_in(Client(), User.objects.get(pk=told.recipient_id))
    assert client.post(f"/children/{child.pk}/purpose/", {"purpose": PURPOSE, "next": f"/children/{child.pk}/"})
    page = client.get(f"/children/{child.pk}/")
    assert page.status_code == 200
    assert "Elm Road" in page.content.decode()


def test_on_31_august_the_ages_are_not_counted_on_the_day_of_the_counts() -> None:
    """sharing.rules.age_reference_day takes "the most recent 31 August (on or before `on`)", so the tables of
    31 August count ages on that very day, a day before the school year it names begins: the API's `ages_on`
    equals its `on`, while the page says the ages are counted "on 31 August <year>, the start of the school year,
    not on the day the counts were taken" and the API's help "not the day of the counts"; the rule's own
    docstring says the bands change "on 1 September". No birthday is dated by it (every child moves at once),
    but the tables of 31 August are of next year's ages, published a day early and said to be otherwise. (Nor is
    31 August the start of the school year: it is the day the school-year age is taken on.) Right: on 31 August
    the reference day is the 31 August before it (the school year still running); from 1 September, that day;
    and the page says "the age on 31 August, the day the school-year age is counted on"."""
    day = date(2026, 8, 31)
    assert age_reference_day(day) != day
    assert age_reference_day(date(2026, 9, 1)) == day  # unchanged from 1 September


def test_zeros_beside_a_suppressed_total_do_not_tell_what_its_few_children_are() -> None:
    """A small area (Smallton) has four children in the index, all of them of one ethnicity, say Gypsy or Irish
    Traveller. The table area x ethnicity suppresses the cell (4) and the area's total (4), and shows a 0 under
    every other ethnicity in Smallton's row (zeros are shown: "nought says nobody"; the cell-key noise leaves them
    alone). A reader who knows that one child of Smallton is in the index (a neighbour, a relative, a local
    practitioner of another agency) learns that child's ethnicity - special category data (UK GDPR art. 9) - from
    the anonymised tier without any hidden count being recovered; area x gender and area x age band add their
    gender and age band the same way, and the column tells the converse (every such child of the partnership
    lives in Smallton). This is the "group attribute disclosure" that statistical disclosure control guards
    against along with recovering a count (NHS Digital's anonymisation standard ISB1523; ONS guidance on tables);
    Southampton 12: "care must be taken to ensure that a person's identity cannot be deduced from the data
    shared" - and the issue's "no suppressed cell can be recovered" says how many, while the zeros say which.
    Right: in a line whose total is suppressed (1 to the threshold), the zeros are suppressed too (or the line is
    shown with its total only hidden), so the line never pins its few children to one category."""
    counts: dict[tuple[str, str], int] = {}
    for area, values in (
        ("Northbridge", {"white_british": 40, "white_irish": 30, "white_gypsy_traveller": 0, "other": 25}),
        ("Eastfield", {"white_british": 35, "white_irish": 22, "white_gypsy_traveller": 0, "other": 31}),
        ("Smallton", {"white_british": 0, "white_irish": 0, "white_gypsy_traveller": 4, "other": 0}),
    ):
        for ethnicity, count in values.items():
            counts[area, ethnicity] = count
    table = suppress_table(counts, threshold=10)
    assert table.row_total("Smallton") is None  # 4: suppressed
    row = [table.cell("Smallton", ethnicity) for ethnicity in table.columns]
    assert row.count(0) < len(row) - 1, row  # not: hidden under one ethnicity, 0 under every other


def test_the_production_settings_refuse_a_threshold_that_suppresses_nothing() -> None:
    """AGGREGATE_SUPPRESSION_THRESHOLD is read with env_int and nothing else: the production settings start
    (`check --deploy` passes) with 0, when suppress_table hides no count at all and the cell-key noise, which
    leaves counts up to PTABLE_BOUND alone, shows every 1 and 2 exactly - the aggregate tier publishes single
    children (Southampton 12: "very small numbers ... (usually considered 10 records or less)"; issue 11: "No
    count from 1 to the threshold (10, a setting) is shown"); a negative value starts too and makes every table a
    500 (suppress_table's ValueError). The module docstring of sharing.cell_key relies on "the threshold in use
    (10)" for its guarantee that no count of people is shown near 0. Right: the settings refuse a threshold
    below a floor (at least PTABLE_BOUND + 1; 10 by the protocol's words), naming the variable, as they refuse
    other unsafe production values."""
    from tests.test_settings import PRODUCTION_ENV, manage

    result = manage("check", "--deploy", env={**PRODUCTION_ENV, "AGGREGATE_SUPPRESSION_THRESHOLD": "0"})
    assert result.returncode != 0 and "AGGREGATE_SUPPRESSION_THRESHOLD" in result.stderr + result.stdout
