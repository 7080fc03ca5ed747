"""Indemnity notices through the services (Haringey 11.1(a)-(b); issue 14): who is told, the four-day answer as an
obligation, the answer once, late stays late, and who may see and do what."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from agencies.models import AgencyKind
from audit.models import AuditEvent
from breaches import rules
from breaches.models import IndemnityNotice, Obligation, ObligationKind, ObligationState
from breaches.services.indemnity import council_of, indemnity_notice_respond, indemnity_notice_send
from isp_portal.models import Notification
from isp_portal.policy import NotPermitted, OutOfScope, restrict
from tests.breaches.fixtures import reported_breach
from tests.breaches.indemnity_fixtures import notice_to_home, police_manager, school, sent_notice
from tests.factories import World, make_agency, make_user
from tests.protocol_fixtures import make_protocol, protocol_in_force, sign

pytestmark = pytest.mark.django_db


def _told(notice: IndemnityNotice, what: str) -> set[int]:
    return set(
        Notification.objects.filter(key__startswith=f"indemnity-{notice.pk}-{what}").values_list(
            "recipient_id", flat=True
        )
    )


def test_a_notice_to_a_third_party_tells_the_contributor_and_the_council_and_opens_the_four_day_answer(
    world: World,
) -> None:
    third = school(world)
    notice = sent_notice(world, by=police_manager(world), to=third)
    assert notice.council_agency_id == world.home.pk  # the local-authority signatory, neither party
    obligation = Obligation.objects.get(indemnity_notice=notice)
    assert obligation.kind == ObligationKind.INDEMNITY_RESPONSE
    assert obligation.responsible_agency_id == third.pk
    assert obligation.due_at == rules.indemnity_response_due(notice.sent_at)
    assert obligation.due_on == timezone.localdate(notice.sent_at) + timedelta(days=4)
    told = _told(notice, "sent")
    assert world.objects["indemnity_school_manager"].pk in told
    assert {world.users["designated_manager"].pk, world.users["agency_admin"].pk} <= told  # the Council's speakers
    assert world.users["practitioner"].pk not in told and police_manager(world).pk not in told
    assert AuditEvent.objects.filter(kind="breach.indemnity.send", object_id=str(notice.pk)).exists()


def test_the_council_is_not_told_separately_when_it_is_a_party(world: World) -> None:
    assert council_of(protocol_in_force(world)) == world.home
    assert sent_notice(world).council_agency is None  # home (the Council) sends it
    assert notice_to_home(world).council_agency is None  # home is the alleged contributor


def test_the_contributor_answers_once_completing_the_obligation_and_the_sender_is_told(world: World) -> None:
    notice = sent_notice(world)
    answered = indemnity_notice_respond(actor=police_manager(world), notice=notice, response="We accept our part.")
    obligation = Obligation.objects.get(indemnity_notice=notice)
    assert obligation.state == ObligationState.DONE and obligation.completed_at == answered.responded_at
    assert world.users["designated_manager"].pk in _told(notice, "answered")
    with pytest.raises(ValidationError) as raised:
        indemnity_notice_respond(actor=police_manager(world), notice=notice, response="Again.")
    assert "response" in raised.value.message_dict
    with transaction.atomic(), pytest.raises(IntegrityError):
        Obligation.objects.filter(pk=obligation.pk).update(completed_at=timezone.now())


def test_a_late_answer_stays_late(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    sent = timezone.now() - timedelta(days=7)
    with monkeypatch.context() as patched:
        patched.setattr(timezone, "now", lambda: sent)
        notice = sent_notice(world)
    answered = indemnity_notice_respond(actor=police_manager(world), notice=notice, response="Sorry for the delay.")
    obligation = Obligation.objects.get(indemnity_notice=notice)
    assert obligation.due_at == rules.indemnity_response_due(sent) < answered.responded_at
    late = rules.lateness(obligation.due_at, obligation.completed_at, now=timezone.now() + timedelta(days=30))
    assert late == answered.responded_at - obligation.due_at  # frozen at the answer, not growing


def test_only_the_contributors_speakers_answer(world: World) -> None:
    notice = sent_notice(world)
    for user in (world.users["designated_manager"], world.users["partnership_admin"]):
        with pytest.raises(NotPermitted):
            indemnity_notice_respond(actor=user, notice=notice, response="Not ours to answer.")
    with pytest.raises(OutOfScope):  # a practitioner of the contributor does not speak for it
        indemnity_notice_respond(actor=world.users["other_agency"], notice=notice, response="Hello.")
    assert not IndemnityNotice.objects.filter(pk=notice.pk, responded_at__isnull=False).exists()


@pytest.mark.parametrize(
    ("role", "sees"),
    [
        ("designated_manager", True), ("agency_admin", True), ("partnership_admin", True), ("auditor", True),
        ("practitioner", False), ("other_agency", False), ("no_role", False),
    ],
)  # fmt: skip
def test_who_sees_a_notice(world: World, role: str, sees: bool) -> None:
    notice = sent_notice(world)
    assert restrict(world.users[role], "view", IndemnityNotice).filter(pk=notice.pk).exists() is sees
    assert restrict(world.users[role], "view", Obligation).filter(indemnity_notice=notice).exists() is sees


def test_the_council_told_sees_it_and_an_uninvolved_partner_does_not(world: World) -> None:
    third = school(world)
    notice = sent_notice(world, by=police_manager(world), to=third)
    assert restrict(world.users["designated_manager"], "view", IndemnityNotice).filter(pk=notice.pk).exists()
    stranger = make_user(name="Una Uninvolved", agency=third, roles=["practitioner"])
    assert not restrict(stranger, "view", IndemnityNotice).filter(pk=notice.pk).exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [("blank", "details"), ("to_self", "contributor_agency"), ("unsigned", "contributor_agency")],
)
def test_bad_notices_are_refused_on_their_field_with_nothing_written(world: World, change: str, field: str) -> None:
    protocol_in_force(world)
    kwargs: dict[str, Any] = {
        "blank": {"details": "   "},
        "to_self": {"to": world.home},
        "unsigned": {"to": make_agency("Never Signed Charity", kind=AgencyKind.VOLUNTARY)},
    }[change]
    with pytest.raises(ValidationError) as raised:
        sent_notice(world, **kwargs)
    assert field in raised.value.message_dict
    assert not IndemnityNotice.objects.exists() and not Obligation.objects.exists()


def test_a_breach_of_another_protocol_is_refused(world: World) -> None:
    breach = reported_breach(world)
    other = make_protocol("Another Protocol")
    sign(other, world.home)
    sign(other, world.other)
    with pytest.raises(ValidationError) as raised:
        indemnity_notice_send(
            actor=world.users["designated_manager"], protocol=other, contributor_agency=world.other,
            details="Details.", breach=breach,
        )  # fmt: skip
    assert "breach" in raised.value.message_dict
    assert not IndemnityNotice.objects.exists()


@pytest.mark.parametrize("role", ["practitioner", "partnership_admin", "auditor", "no_role"])
def test_only_a_partners_speakers_send(world: World, role: str) -> None:
    with pytest.raises(NotPermitted):
        sent_notice(world, by=world.users[role])
    assert not IndemnityNotice.objects.exists()


def test_the_database_refuses_the_council_as_a_party(world: World) -> None:
    notice = sent_notice(world, by=police_manager(world), to=school(world))
    with transaction.atomic(), pytest.raises(IntegrityError):
        IndemnityNotice.objects.filter(pk=notice.pk).update(council_agency=notice.contributor_agency)
