"""Reporting a breach and completing its first steps through the services (issue 14)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from agencies.models import Role
from audit.models import AuditEvent
from breaches import rules
from breaches.models import Obligation, ObligationKind
from breaches.services.breaches import (
    breach_ico_decide,
    breach_ico_notified,
    breach_partners_notify,
    breach_report_submit,
)
from isp_portal.models import Notification
from tests.breaches.fixtures import reported_breach
from tests.factories import build_world, make_user
from tests.protocol_fixtures import protocol_in_force

pytestmark = pytest.mark.django_db


def test_report_creates_the_three_steps_due_by_the_rules_and_tells_people_at_once() -> None:
    world = build_world()
    guardian = make_user(
        name="Gail Guardian", agency=world.other, roles=[Role.PRACTITIONER], is_caldicott_guardian=True
    )
    breach = reported_breach(world, occurred_on=date(2026, 11, 20), identified_on=date(2026, 11, 24))
    due = rules.obligation_due_dates(date(2026, 11, 20), date(2026, 11, 24))
    got = {o.kind: o.due_on for o in breach.obligations.all()}
    assert got == {
        "notify_partners": due["notify_partners"],
        "breach_report": due["breach_report"],
        "partners_meeting": due["partners_meeting"],
    }
    told = set(
        Notification.objects.filter(key__startswith=f"breach-{breach.pk}-reported").values_list(
            "recipient_id", flat=True
        )
    )
    assert guardian.pk in told and world.users["partnership_admin"].pk in told
    assert world.users["practitioner"].pk not in told
    assert AuditEvent.objects.filter(kind="breach.report", object_id=str(breach.pk)).exists()
    assert breach.reference.startswith("BR-")


@pytest.mark.parametrize(
    ("occurred", "identified", "field"),
    [(5, 6, "identified_on"), (-2, 1, "occurred_on"), (1, -1, "identified_on")],
)
def test_bad_dates_are_refused_on_their_field_with_nothing_written(occurred: int, identified: int, field: str) -> None:
    world = build_world()
    protocol_in_force(world)
    today = timezone.localdate()
    with pytest.raises(ValidationError) as raised:
        reported_breach(
            world, occurred_on=today - timedelta(days=occurred), identified_on=today - timedelta(days=identified)
        )
    assert field in raised.value.message_dict
    assert not Obligation.objects.exists()


def test_completion_is_frozen_by_the_database_and_refused_twice_by_the_service() -> None:
    world = build_world()
    breach = reported_breach(world)
    obligation = breach_partners_notify(actor=world.users["designated_manager"], breach=breach)
    with pytest.raises(ValidationError):
        breach_partners_notify(actor=world.users["designated_manager"], breach=breach)
    with transaction.atomic(), pytest.raises(IntegrityError):
        Obligation.objects.filter(pk=obligation.pk).update(completed_at=timezone.now() + timedelta(days=1))


def test_report_by_the_agency_in_breach_only() -> None:
    world = build_world()
    breach = reported_breach(world)
    speaker = make_user(name="Otto Admin", agency=world.other, roles=[Role.AGENCY_ADMIN])
    from isp_portal.policy import NotPermitted

    with pytest.raises(NotPermitted):
        breach_report_submit(actor=world.users["designated_manager"], breach=breach, report="We did it.")
    breach_report_submit(actor=speaker, breach=breach, report="Retrained the officer; recalled the email.")
    assert breach.obligations.get(kind=ObligationKind.BREACH_REPORT).state == "done"


def test_ico_decision_then_notification_late_needs_reasons() -> None:
    world = build_world()
    dpo = make_user(name="Dora Dpo", agency=world.other, roles=[Role.PRACTITIONER], is_data_protection_officer=True)
    aware = timezone.now() - timedelta(hours=80)
    breach = reported_breach(
        world, personal_data=True, aware_at=aware, occurred_on=timezone.localdate() - timedelta(days=6)
    )
    breach_ico_decide(actor=dpo, breach=breach, reportable=True, reason="Health data of a child; likely distress.")
    ico = breach.obligations.get(kind=ObligationKind.ICO_NOTIFIED)
    assert ico.due_at == rules.ico_deadline(aware)
    with pytest.raises(ValidationError) as raised:
        breach_ico_notified(actor=dpo, breach=breach, notified_at=timezone.now() - timedelta(hours=1))
    assert "delay_reason" in raised.value.message_dict
    breach_ico_notified(
        actor=dpo, breach=breach, notified_at=timezone.now() - timedelta(hours=1), delay_reason="Waited for the facts."
    )
    ico.refresh_from_db()
    assert ico.state == "done" and ico.completed_at > ico.due_at
