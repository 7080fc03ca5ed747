"""The disclosures deadline sweep (design12 7): overdue requests told once and, a further response time on, expired
(F8); emergency disclosures not reviewed in time escalated once to the Caldicott guardian; the end of retention
recorded once with the content erased. Each sweep is run twice (and, on real connections, by two workers at once):
one escalation, one notification."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agencies.models import Membership
from audit.models import AuditEvent
from disclosures.models import Disclosure, DisclosureEvent, DisclosureSnapshot, InformationRequest
from disclosures.services import disclosure_emergency, disclosure_review
from disclosures.services.sweeps import (
    deadline_sweep,
    emergency_escalation_sweep,
    expires_on,
    requests_expire,
    requests_overdue_sweep,
    retention_end_sweep,
)
from disclosures.tasks import deadline_sweep as deadline_sweep_task
from isp_portal.models import Notification, SweepRun
from sharing.models import EntryGrant
from sharing.policy import may_read_entry
from tests.disclosures.fixtures import HARM, PURPOSE, Case, answer, case, refreshed, school_of, submit
from tests.disclosures.test_concurrency import race
from tests.factories import World

pytestmark = pytest.mark.django_db


def emergency(made: Case, **values: Any) -> Disclosure:
    return disclosure_emergency(
        actor=made.user("practitioner"), child=made.child, to_agency=school_of(made.world),
        recipients=[made.user("school")], reason="immediate_risk_of_harm", legal_basis="significant_harm",
        decision=HARM, purpose=PURPOSE, tiers=["minimum", "sensitive"], categories=["case_note"],
        entries=[made.entry], **values,
    )  # fmt: skip


def guardian(made: Case) -> int:
    """Children's social care names its designated manager Caldicott guardian."""
    user_id: int = made.world.users["designated_manager"].pk
    Membership.objects.filter(user_id=user_id, agency=made.world.home).update(is_caldicott_guardian=True)
    return user_id


def keys(prefix: str) -> list[tuple[int, str]]:
    return sorted(Notification.objects.filter(key__startswith=prefix).values_list("recipient_id", "key"))


def log_kinds(disclosure: Disclosure) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT kind FROM audit_disclosure_log WHERE disclosure_id = %s ORDER BY id", [disclosure.pk])
        return [row[0] for row in cursor.fetchall()]


def test_an_overdue_request_tells_the_holding_managers_and_the_requester_once(world: World) -> None:
    made = case(world)
    request = submit(made)
    assert request.due_on is not None
    assert requests_overdue_sweep(today=request.due_on) == (0, 0)  # due today: not overdue yet
    managers = {world.users["designated_manager"].pk, world.users["second_manager"].pk}
    told = requests_overdue_sweep(today=request.due_on + timedelta(days=1))
    assert told == (1, 1 + len(managers))
    assert requests_overdue_sweep(today=request.due_on + timedelta(days=1)) == (0, 0)
    assert requests_overdue_sweep(today=request.due_on + timedelta(days=9)) == (0, 0)
    expected = sorted(
        (user_id, f"request-overdue-{request.pk}-{user_id}") for user_id in {*managers, world.users["school"].pk}
    )
    assert keys("request-overdue-") == expected
    assert refreshed(request).state == "submitted"  # overdue is shown, never hidden by an early expiry (F8)


def test_an_unanswered_request_expires_only_a_further_response_time_after_its_due_date(world: World) -> None:
    made = case(world)
    request = submit(made)
    assert request.due_on is not None
    closes = expires_on(request.due_on, request.protocol_version.response_working_days)
    assert closes > request.due_on + timedelta(days=request.protocol_version.response_working_days - 1)
    now = timezone.now()
    assert requests_expire(now=now, today=request.due_on + timedelta(days=1)) == (0, 0)
    assert requests_expire(now=now, today=closes) == (0, 0)
    expired, told = requests_expire(now=now, today=closes + timedelta(days=1))
    assert expired == 1 and told == 3  # the requester and both designated managers
    assert requests_expire(now=now, today=closes + timedelta(days=1)) == (0, 0)
    after = refreshed(request)
    assert after.state == "expired" and after.expired_at == now
    assert AuditEvent.objects.filter(kind="request.expire", object_id=str(request.pk)).count() == 1
    assert len(keys(f"request-expired-{request.pk}-")) == 3


def test_an_answer_waiting_for_approval_is_overdue_but_never_expires(world: World) -> None:
    """rules.TRANSITIONS: only a submitted request expires; an answer waiting for a manager is not unanswered."""
    made = case(world)
    request = submit(made)
    answer(made, request)
    assert refreshed(request).state == "awaiting_approval"
    assert request.due_on is not None
    far = request.due_on + timedelta(days=60)
    result = deadline_sweep(now=timezone.now(), today=far)
    assert result.overdue == 1 and result.expired == 0
    assert refreshed(request).state == "awaiting_approval"


def test_an_unreviewed_emergency_disclosure_escalates_once_to_the_caldicott_guardian(world: World) -> None:
    made = case(world)
    guardian_id = guardian(made)
    disclosure = emergency(made)
    assert disclosure.review_due_at is not None
    assert emergency_escalation_sweep(now=disclosure.review_due_at) == (0, 0)  # due, not yet past
    late = disclosure.review_due_at + timedelta(seconds=1)
    assert emergency_escalation_sweep(now=late) == (1, 1)
    assert emergency_escalation_sweep(now=late) == (0, 0)
    assert emergency_escalation_sweep(now=late + timedelta(days=3)) == (0, 0)
    assert DisclosureEvent.objects.filter(disclosure=disclosure, kind="escalated").count() == 1
    assert keys("disclosure-escalated-") == [(guardian_id, f"disclosure-escalated-{disclosure.pk}-{guardian_id}")]
    assert log_kinds(disclosure) == ["made", "escalated"]
    assert AuditEvent.objects.filter(kind="disclosure.escalate", object_id=str(disclosure.pk)).count() == 1


def test_a_reviewed_emergency_disclosure_is_not_escalated(world: World) -> None:
    made = case(world)
    guardian(made)
    disclosure = emergency(made)
    disclosure_review(actor=made.user("second_manager"), disclosure=disclosure, outcome="endorsed")
    assert disclosure.review_due_at is not None
    assert emergency_escalation_sweep(now=disclosure.review_due_at + timedelta(days=1)) == (0, 0)
    assert log_kinds(disclosure) == ["made", "reviewed"]


def test_without_a_guardian_the_escalation_reaches_the_designated_managers(world: World) -> None:
    made = case(world)
    disclosure = emergency(made)
    assert disclosure.review_due_at is not None
    assert emergency_escalation_sweep(now=disclosure.review_due_at + timedelta(seconds=1)) == (1, 2)


def test_retention_not_yet_ended_is_left_alone(world: World) -> None:
    made = case(world)
    disclosure = emergency(made)
    # Past by the caller's clock, but not by the database's, which decides whether the content may go (F7).
    assert retention_end_sweep(now=disclosure.retain_until + timedelta(days=1)) == (0, 0)
    assert DisclosureSnapshot.objects.filter(pk=disclosure.pk).exists()


def test_the_task_records_its_run(world: World) -> None:
    assert deadline_sweep_task() == {"overdue": 0, "expired": 0, "escalated": 0, "retention_ended": 0, "notified": 0}
    run = SweepRun.objects.get(name="disclosures.deadlines")
    assert run.last_ok and run.runs == 1


@pytest.mark.django_db(transaction=True)
def test_the_end_of_retention_erases_the_content_once_and_tells_the_recipients(world: World) -> None:
    made = case(world)
    disclosure = emergency(made, retain_until=timezone.now() + timedelta(seconds=1))
    time.sleep(1.5)  # the database's own clock must pass retain_until (trigger disclosure_snapshot_kept)
    assert not may_read_entry(made.user("school"), made.entry)  # access ended by itself; the sweep is bookkeeping
    school_id = world.users["school"].pk
    now = timezone.now()
    assert retention_end_sweep(now=now) == (1, 1)
    assert retention_end_sweep(now=now) == (0, 0)
    assert not DisclosureSnapshot.objects.filter(pk=disclosure.pk).exists()
    assert Disclosure.objects.get(pk=disclosure.pk).snapshot_sha256 == disclosure.snapshot_sha256  # the hash stays
    assert DisclosureEvent.objects.filter(disclosure=disclosure, kind="retention_ended").count() == 1
    assert keys("disclosure-retention-ended-") == [
        (school_id, f"disclosure-retention-ended-{disclosure.pk}-{school_id}")
    ]
    assert log_kinds(disclosure) == ["made", "retention_ended"]
    assert EntryGrant.objects.filter(disclosure_id=disclosure.pk).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_sweeping_at_once_escalate_expire_and_tell_once(world: World) -> None:
    made = case(world)
    guardian(made)
    disclosure = emergency(made)
    request = submit(made)
    assert request.due_on is not None and disclosure.review_due_at is not None
    today = expires_on(request.due_on, request.protocol_version.response_working_days) + timedelta(days=1)
    now = max(timezone.now(), disclosure.review_due_at + timedelta(seconds=1))
    results, errors = race(*(lambda: deadline_sweep(now=now, today=today) for _ in range(2)))
    assert not errors, errors
    assert sum(result.escalated for result in results) == 1
    assert sum(result.expired for result in results) == 1
    assert DisclosureEvent.objects.filter(disclosure=disclosure, kind="escalated").count() == 1
    assert log_kinds(disclosure) == ["made", "escalated"]
    assert InformationRequest.objects.get(pk=request.pk).state == "expired"
    assert AuditEvent.objects.filter(kind="request.expire").count() == 1
    assert Notification.objects.filter(key__startswith="disclosure-escalated-").count() == 1
    assert Notification.objects.filter(key__startswith="request-overdue-").count() == 3
    assert Notification.objects.filter(key__startswith="request-expired-").count() == 3


# --- Statements per sweep (DESIGN 3.3: a sweep's statements do not grow with the rows it touches) -----------------


def statements(sweep: Any) -> tuple[int, Any]:
    with CaptureQueriesContext(connection) as queries:
        done = sweep()
    return len(queries), done


def logged_events(kind: str) -> list[tuple[int, str, str]]:
    """Each disclosure-log row of `kind` with the audit event it names: (disclosure, event's object, SHA-256 kept)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT l.disclosure_id, e.object_id, e.detail->>'log_sha256' FROM audit_disclosure_log l "
            "JOIN audit_event e ON e.id = l.event_id WHERE l.kind = %s ORDER BY l.disclosure_id",
            [kind],
        )
        return [(int(row[0]), str(row[1]), str(row[2])) for row in cursor.fetchall()]


def test_the_escalation_runs_the_same_statements_for_one_disclosure_and_for_ten(world: World) -> None:
    made = case(world)
    guardian(made)
    first = emergency(made)
    assert first.review_due_at is not None
    one, done = statements(lambda: emergency_escalation_sweep(now=first.review_due_at + timedelta(seconds=1)))
    assert done == (1, 1)
    more = [emergency(made) for _ in range(10)]
    late = max(d.review_due_at for d in more if d.review_due_at is not None) + timedelta(seconds=1)
    ten, done = statements(lambda: emergency_escalation_sweep(now=late))
    assert done == (10, 10)
    assert ten == one, f"{one} statements for one disclosure, {ten} for ten"
    # Each log row names the audit event recorded for its own disclosure, whose detail keeps the row's SHA-256.
    rows = logged_events("escalated")
    assert [disclosure_id for disclosure_id, _, _ in rows] == sorted([first.pk, *(d.pk for d in more)])
    assert all(object_id == str(disclosure_id) and len(sha) == 64 for disclosure_id, object_id, sha in rows)
    assert AuditEvent.objects.filter(kind="disclosure.escalate").count() == 11


@pytest.mark.django_db(transaction=True)
def test_the_end_of_retention_runs_the_same_statements_for_one_disclosure_and_for_ten(world: World) -> None:
    made = case(world)

    def past(retain: datetime) -> None:
        # The database's own clock must pass retain_until (trigger disclosure_snapshot_kept).
        time.sleep(max(0.0, (retain - timezone.now()).total_seconds()) + 0.5)

    retain = timezone.now() + timedelta(seconds=2)
    emergency(made, retain_until=retain)
    past(retain)
    one, done = statements(lambda: retention_end_sweep(now=timezone.now()))
    assert done == (1, 1)
    retain = timezone.now() + timedelta(seconds=10)  # time enough to make ten
    for _ in range(10):
        emergency(made, retain_until=retain)
    past(retain)
    ten, done = statements(lambda: retention_end_sweep(now=timezone.now()))
    assert done == (10, 10)
    assert ten == one, f"{one} statements for one disclosure, {ten} for ten"
    rows = logged_events("retention_ended")
    assert len(rows) == 11
    assert all(object_id == str(disclosure_id) and len(sha) == 64 for disclosure_id, object_id, sha in rows)
