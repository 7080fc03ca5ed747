"""The corrections sweep (issue 13; Southampton 9; docs/after-disclosure-design.md 3.2, 6.2): an unacknowledged
notice is chased once after its acknowledgement date and escalated once after rules.notice_escalate_on, however
often the sweep runs; an overdue inaccuracy report is told to the originator once; an acknowledged notice is
never chased."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from disclosures import rules
from disclosures.models import CorrectionNotice
from disclosures.services import checks
from disclosures.services.corrections import (
    correction_notice_acknowledge,
    corrections_sweep,
    inaccuracy_report_submit,
)
from isp_portal.models import Notification
from sharing.services.entries import entry_revise
from tests.disclosures.after_fixtures import AfterWorld, after_world
from tests.factories import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def after(world: World) -> AfterWorld:
    return after_world(world)


def notice_of(after: AfterWorld) -> CorrectionNotice:
    entry_revise(
        actor=after.user("practitioner"), entry=after.made.entry, fields={}, text="Corrected.", basis="fact",
        reason="The date was wrong.",
    )  # fmt: skip
    return CorrectionNotice.objects.get(agency=after.school)


def sweep(day: object) -> tuple[int, int]:
    return corrections_sweep(now=timezone.now(), today=day)  # type: ignore[arg-type]


def test_a_notice_is_chased_once_then_escalated_once(after: AfterWorld) -> None:
    notice = notice_of(after)
    assert sweep(notice.ack_due_on) == (0, 0)  # due today: not yet overdue
    day_after = notice.ack_due_on + timedelta(days=1)
    changed, told = sweep(day_after)
    assert changed == 1 and told >= 1
    chase = Notification.objects.filter(key__startswith=f"correction-chase-{notice.pk}-")
    # The disclosure's recipient and the school's designated manager.
    assert set(chase.values_list("recipient_id", flat=True)) == {
        after.user("school").pk,
        after.user("school_manager").pk,
    }
    assert sweep(day_after) == (0, 0)
    escalate_day = rules.notice_escalate_on(notice.ack_due_on, nation=checks.nation()) + timedelta(days=1)
    changed, told = sweep(escalate_day)
    assert changed == 1 and told >= 1
    escalated = Notification.objects.filter(key__startswith=f"correction-escalate-{notice.pk}-")
    # The school's designated manager and its Caldicott guardian.
    assert {after.user("school_manager").pk, after.user("school_guardian").pk} <= set(
        escalated.values_list("recipient_id", flat=True)
    )
    assert sweep(escalate_day) == (0, 0)
    assert AuditEvent.objects.filter(kind="correction.chase", object_id=str(notice.pk)).count() == 1
    assert AuditEvent.objects.filter(kind="correction.escalate", object_id=str(notice.pk)).count() == 1


def test_an_acknowledged_notice_is_never_chased(after: AfterWorld) -> None:
    notice = notice_of(after)
    correction_notice_acknowledge(actor=after.user("school"), notice=notice, action_taken="Updated our file.")
    assert sweep(notice.ack_due_on + timedelta(days=30)) == (0, 0)
    assert not Notification.objects.filter(key__startswith=f"correction-chase-{notice.pk}-").exists()


def test_an_overdue_inaccuracy_report_is_told_to_the_originator_once(after: AfterWorld) -> None:
    report = inaccuracy_report_submit(
        actor=after.user("school"), disclosure=after.disclosure, entry=after.made.entry, what_is_wrong="Wrong day."
    )
    late = report.due_on + timedelta(days=1)
    _, told = sweep(late)
    assert told >= 1  # the council's designated managers
    assert Notification.objects.filter(
        recipient=after.user("designated_manager"), key__startswith=f"inaccuracy-overdue-{report.pk}-"
    ).exists()
    assert sweep(late) == (0, 0)
