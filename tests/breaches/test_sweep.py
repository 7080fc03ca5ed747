"""The breach procedure's deadline sweep (issue 14; DESIGN 3.3): reminders and escalations sent exactly once however
often it runs and however many run it, done steps never reminded, and a constant number of statements whatever the
number of due rows. Sanctions recorded as ended once."""

from __future__ import annotations

import functools
import re
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agencies.models import AgencySanction, Role, SanctionDirection, SanctionScope
from agencies.services import membership_create
from audit.models import AuditEvent
from breaches.models import Breach, Obligation, ObligationKind, ObligationState
from breaches.services.breaches import breach_partners_notify
from breaches.services.sweeps import DASHBOARD_PANEL, PHASES, breach_obligations_sweep, sanctions_end_sweep
from isp_portal.models import Notification
from isp_portal.policy import SystemActor
from tests.breaches.fixtures import reported_breach
from tests.disclosures.test_concurrency import race
from tests.factories import World, build_world, make_user

OCCURRED = date(2026, 11, 2)  # a Monday
IDENTIFIED = date(2026, 11, 3)


def staffed(world: World) -> dict[str, Any]:
    """The agency in breach with the people the sweep tells: a designated manager, a Caldicott guardian, a DPO."""
    return {
        "manager": make_user(name="Mo Manager", agency=world.other, roles=[Role.DESIGNATED_MANAGER]),
        "guardian": make_user(
            name="Gail Guardian", agency=world.other, roles=[Role.PRACTITIONER], is_caldicott_guardian=True
        ),
        "dpo": make_user(
            name="Dana Dpo", agency=world.other, roles=[Role.PRACTITIONER], is_data_protection_officer=True
        ),
    }


def breach(world: World, **kwargs: Any) -> Breach:
    return reported_breach(world, occurred_on=OCCURRED, identified_on=IDENTIFIED, **kwargs)


def step(breach: Breach, kind: ObligationKind) -> Obligation:
    return Obligation.objects.get(breach=breach, kind=kind)


def sweep_keys(prefix: str = "breach-obligation-") -> list[tuple[int, str]]:
    return sorted(Notification.objects.filter(key__startswith=prefix).values_list("recipient_id", "key"))


@pytest.mark.django_db
class TestOneSweep:
    def test_first_reminder_goes_to_the_people_responsible_once(self) -> None:
        world = build_world()
        people = staffed(world)
        reported = breach(world)
        report = step(reported, ObligationKind.BREACH_REPORT)
        now = report.remind_at + timedelta(minutes=1)
        first = breach_obligations_sweep(now=now)
        # Notifying the partners (identified + 5) was due before the report's reminder (occurred + 10 - 2).
        assert first.reminded == 1 and first.overdue == 1
        told = {
            recipient for recipient, key in sweep_keys() if key.startswith(f"breach-obligation-reminder-1-{report.pk}-")
        }
        # Haringey 6.2: the agency in breach reports; its speakers are reminded, nobody else.
        assert told == {people["manager"].pk, people["guardian"].pk, people["dpo"].pk}
        notice = Notification.objects.filter(
            key=f"breach-obligation-reminder-1-{report.pk}-{people['manager'].pk}"
        ).get()
        assert notice.link == f"/breaches/{reported.pk}/"
        assert reported.reference in notice.subject and "section 6.2" in notice.body
        assert "Haringey" not in notice.body + notice.subject
        report.refresh_from_db()
        assert report.reminded_at == now and report.reminded_again_at is None
        assert AuditEvent.objects.filter(kind="breach.obligation.remind", object_id=str(report.pk)).count() == 1
        # Run again, at the same moment and later: nothing new.
        before = sweep_keys()
        again = breach_obligations_sweep(now=now)
        later = breach_obligations_sweep(now=now + timedelta(minutes=5))
        assert again.notified == later.notified == 0 and again.reminded == later.reminded == 0
        assert sweep_keys() == before
        assert AuditEvent.objects.filter(kind="breach.obligation.remind", object_id=str(report.pk)).count() == 1

    def test_the_partnership_is_reminded_of_its_own_step(self) -> None:
        world = build_world()
        reported = breach(world)
        meeting = step(reported, ObligationKind.PARTNERS_MEETING)
        breach_obligations_sweep(now=meeting.remind_at + timedelta(seconds=1))
        told = {r for r, key in sweep_keys() if key.startswith(f"breach-obligation-reminder-1-{meeting.pk}-")}
        assert told == {world.users["partnership_admin"].pk}

    def test_second_reminder_on_the_due_day_then_one_escalation_when_overdue(self) -> None:
        world = build_world()
        people = staffed(world)
        reported = breach(world)
        report = step(reported, ObligationKind.BREACH_REPORT)
        breach_obligations_sweep(now=report.remind_at + timedelta(minutes=1))
        second = breach_obligations_sweep(now=report.remind_again_at + timedelta(minutes=1))
        assert second.reminded_again >= 1
        report.refresh_from_db()
        assert report.reminded_again_at is not None and report.state == ObligationState.OPEN
        overdue_at = report.due_at + timedelta(seconds=1)
        escalated = breach_obligations_sweep(now=overdue_at)
        assert escalated.overdue >= 1
        report.refresh_from_db()
        assert report.state == ObligationState.OVERDUE and report.escalated_at == overdue_at
        told = {r for r, key in sweep_keys() if key.startswith(f"breach-obligation-overdue-{report.pk}-")}
        # Issue 14: the partnership admins and the Caldicott guardian (and the DPO) of the agency in breach.
        assert told == {world.users["partnership_admin"].pk, people["guardian"].pk, people["dpo"].pk}
        for _ in range(3):
            assert breach_obligations_sweep(now=overdue_at + timedelta(hours=1)).overdue == 0
        assert AuditEvent.objects.filter(kind="breach.obligation.overdue", object_id=str(report.pk)).count() == 1
        assert len([k for _, k in sweep_keys() if k.startswith(f"breach-obligation-overdue-{report.pk}-")]) == 3

    def test_someone_told_twice_over_gets_one_notice(self) -> None:
        """A partnership admin who is also the Caldicott guardian of the agency in breach: one escalation digest,
        naming each overdue step once (the admin is told as an admin, not again as the guardian)."""
        world = build_world()
        admin = world.users["partnership_admin"]
        membership_create(
            actor=SystemActor("test"), user=admin, agency=world.other, roles=[Role.PRACTITIONER],
            is_caldicott_guardian=True,
        )  # fmt: skip
        reported = breach(world)
        report = step(reported, ObligationKind.BREACH_REPORT)
        result = breach_obligations_sweep(now=report.due_at + timedelta(seconds=1))
        assert result.overdue == 2  # notifying the partners and the report
        [notice] = Notification.objects.filter(recipient=admin, key__startswith="breach-obligation-overdue-")
        assert notice.subject.startswith("Overdue: 2 breach steps")
        assert notice.body.count(reported.reference) == 2 and "section 6.1" in notice.body
        assert "section 6.2" in notice.body and notice.link == "/breaches/"

    def test_many_steps_at_once_are_one_digest_per_person(self) -> None:
        """Issue 14 ("Speed"): twelve reports coming up at once are one notice for each person responsible, naming
        the first ten soonest due and "and 2 more", linking to their dashboard's panel; each step is still stamped
        and audited once."""
        world = build_world()
        people = staffed(world)
        reported = [breach(world) for _ in range(12)]
        reports = [step(one, ObligationKind.BREACH_REPORT) for one in reported]
        now = reports[0].remind_at + timedelta(minutes=1)
        result = breach_obligations_sweep(now=now)
        assert result.reminded == 12 and result.overdue == 12  # the partners' notices are past due by then
        notices = Notification.objects.filter(key__startswith="breach-obligation-reminder-1-")
        assert sorted(n.recipient_id for n in notices) == sorted(person.pk for person in people.values())
        assert (
            result.notified
            == len(notices) + Notification.objects.filter(key__startswith="breach-obligation-overdue-").count()
        )
        for notice in notices:
            assert notice.subject.startswith("Coming up: 12 breach steps, the first due by the end of")
            assert notice.body.count("\n- the report with the actions taken (the protocol, section 6.2), breach ") == 10
            assert notice.body.count("BR-") == 10 and "\nand 2 more." in notice.body
            assert notice.link == DASHBOARD_PANEL and "Breach steps for you" in notice.body
            # The key names the first step listed (due soonest; the lowest id of equals).
            assert notice.key == f"breach-obligation-reminder-1-{reports[0].pk}-{notice.recipient_id}"
        assert AuditEvent.objects.filter(kind="breach.obligation.remind").count() == 12
        assert Obligation.objects.filter(reminded_at=now).count() == 12

    def test_a_late_tick_sends_the_latest_notice_only(self) -> None:
        """Beat was down for days: an obligation past its due time is escalated, not also reminded twice."""
        world = build_world()
        staffed(world)
        reported = breach(world)
        report = step(reported, ObligationKind.BREACH_REPORT)
        breach_obligations_sweep(now=report.due_at + timedelta(days=2))
        report.refresh_from_db()
        assert report.state == ObligationState.OVERDUE
        assert report.reminded_at is None and report.reminded_again_at is None
        assert not [k for _, k in sweep_keys() if k.startswith("breach-obligation-reminder") and f"-{report.pk}-" in k]

    def test_done_obligations_are_never_reminded_nor_escalated(self) -> None:
        world = build_world()
        reported = breach(world)
        done = breach_partners_notify(actor=world.users["designated_manager"], breach=reported)
        for moment in (done.remind_at, done.remind_again_at, done.due_at + timedelta(days=30)):
            breach_obligations_sweep(now=moment + timedelta(minutes=1))
        done.refresh_from_db()
        assert done.state == ObligationState.DONE
        assert done.reminded_at is None and done.reminded_again_at is None and done.escalated_at is None
        assert not [k for _, k in sweep_keys() if f"-{done.pk}-" in k]

    def test_the_ico_clock_reminds_24_and_4_hours_before_in_hours(self) -> None:
        world = build_world()
        staffed(world)
        aware = timezone.now() - timedelta(hours=1)
        reported = breach(world, personal_data=True, aware_at=aware)
        decision = step(reported, ObligationKind.ICO_DECISION)
        assert decision.remind_at == decision.due_at - timedelta(hours=24)
        breach_obligations_sweep(now=decision.remind_at + timedelta(minutes=1))
        notice = Notification.objects.filter(key__startswith=f"breach-obligation-reminder-1-{decision.pk}-").first()
        assert notice is not None and " on " in notice.subject and "article 33" in notice.body

    def test_statements_are_constant_whatever_the_number_of_due_rows(self) -> None:
        world = build_world()
        staffed(world)
        one = breach(world)
        due = step(one, ObligationKind.PARTNERS_MEETING).due_at + timedelta(seconds=1)  # the last of the three
        with CaptureQueriesContext(connection) as small:
            result = breach_obligations_sweep(now=due)
        assert result.overdue == 3  # the three working-day steps of one breach
        people_told = result.notified
        for _ in range(17):
            breach(world)  # 51 more rows
        with CaptureQueriesContext(connection) as large:
            result = breach_obligations_sweep(now=due)
        # One digest per person told, however many steps (the admin, the guardian and the DPO).
        assert result.overdue == 51 and result.notified == people_told == 3
        assert len(large.captured_queries) == len(small.captured_queries)
        statements = [q["sql"] for q in large.captured_queries if "SAVEPOINT" not in q["sql"].upper()]
        assert len(statements) == len(PHASES) <= 10

    def test_a_sanction_is_recorded_as_ended_once_on_its_end_date(self) -> None:
        world = build_world()
        people = staffed(world)
        today = timezone.localdate()
        sanction = AgencySanction.objects.create(
            agency=world.other, scope=SanctionScope.SENSITIVE_TIER, direction=SanctionDirection.BOTH,
            from_on=today - timedelta(days=30), until_on=today + timedelta(days=1), reason="Breach BR-000001.",
            breach_reference="BR-000001",
        )  # fmt: skip
        now = timezone.now()
        assert sanctions_end_sweep(now=now, today=today) == (0, 0)  # not yet
        ended, told = sanctions_end_sweep(now=now, today=today + timedelta(days=1))
        assert ended == 1 and told == 4  # the manager, guardian, DPO of the agency and the partnership admin
        notice = Notification.objects.get(key=f"sanction-ended-{sanction.pk}-{people['manager'].pk}")
        assert "BR-000001" in notice.body and world.other.name in notice.subject
        assert sanctions_end_sweep(now=now, today=today + timedelta(days=2)) == (0, 0)
        sanction.refresh_from_db()
        assert sanction.ended_recorded_at == now
        assert AuditEvent.objects.filter(kind="agency.sanction.end", object_id=str(sanction.pk)).count() == 1


# --- Two sweeps at once (tests/disclosures/test_concurrency.race: a thread and a connection each) ----------------


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_send_each_notice_once() -> None:
    world = build_world()
    people = staffed(world)
    breaches = [breach(world) for _ in range(10)]
    report = step(breaches[0], ObligationKind.BREACH_REPORT)
    meeting = step(breaches[0], ObligationKind.PARTNERS_MEETING)
    taken: list[int] = []
    for moment in (report.remind_at, report.remind_again_at, meeting.due_at):
        results, errors = race(*[functools.partial(breach_obligations_sweep, now=moment + timedelta(seconds=1))] * 3)
        assert not errors, errors
        taken.append(sum(result.overdue + result.reminded_again + result.reminded for result in results))
    # Every row was taken by exactly one of the racing sweeps: the reports' ten first reminders (and the partners'
    # notices, overdue by then), the reports' ten second ones, then the rest of the thirty steps overdue.
    assert Obligation.objects.filter(state=ObligationState.OVERDUE).count() == 30
    overdue_events = AuditEvent.objects.filter(kind="breach.obligation.overdue")
    assert overdue_events.count() == overdue_events.values("object_id").distinct().count() == 30
    reminded = Obligation.objects.filter(reminded_at__isnull=False).count()
    reminded_again = Obligation.objects.filter(reminded_again_at__isnull=False).count()
    assert AuditEvent.objects.filter(kind="breach.obligation.remind").count() == reminded == 10
    assert AuditEvent.objects.filter(kind="breach.obligation.remind_again").count() == reminded_again == 10
    assert sum(taken) == 30 + reminded + reminded_again
    # Each person was told of each step taken exactly once: the digests (one per person, phase and racing sweep,
    # their keys naming a different first step) add up to the steps they answer for.
    notices = Notification.objects.filter(key__startswith="breach-obligation-")
    assert len({(n.recipient_id, n.key) for n in notices}) == notices.count()

    def told(person: int, phase: str) -> int:
        found = notices.filter(recipient_id=person, key__startswith=f"breach-obligation-{phase}-")
        assert found.count() <= 3  # at most one per racing sweep
        return sum(int(m.group(1)) if (m := re.search(r": (\d+) breach steps", n.subject)) else 1 for n in found)

    manager = people["manager"].pk
    assert told(manager, "reminder-1") == reminded and told(manager, "reminder-2") == reminded_again
    assert told(world.users["partnership_admin"].pk, "overdue") == 30
    # The guardian of the agency in breach: of the steps it answers for (its report; the partners' notices are the
    # reporting agency's).
    theirs = Obligation.objects.filter(state=ObligationState.OVERDUE, responsible_agency=world.other)
    assert told(people["guardian"].pk, "overdue") == theirs.count() >= 10
