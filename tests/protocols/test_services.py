"""The protocols services: the bad input issue 4 names (each refused with a clear message, nothing
half-written), signatures carried over, a consultation run through its deadline by the sweep (twice), reviews
and their reminders, partner audits, and the one question the sharing app asks."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agencies.models import Agency, AgencyKind, Role
from agencies.services import agency_status_change, agency_update
from audit.models import AuditEvent
from isp_portal import policy
from isp_portal.models import Notification
from protocols.models import (
    AuditExtract,
    Consultation,
    ConsultationResponse,
    Protocol,
    ProtocolVersion,
    Review,
    Signature,
)
from protocols.policy import sharing_protocol_version
from protocols.services import (
    audit_extract_share,
    consultation_decide,
    consultation_open,
    consultation_respond,
    consultations_sweep,
    extract_respond,
    meeting_create,
    protocol_adopt,
    protocol_audit_create,
    protocol_create,
    protocol_transition,
    protocol_version_create,
    review_action_add,
    review_complete,
    reviews_sweep,
    signature_sign,
    signature_withdraw,
)
from tests import protocol_fixtures as fx
from tests.factories import SYSTEM, World, make_agency, make_user

pytestmark = pytest.mark.django_db


def field_errors(error: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return dict(error.value.message_dict)


def sign_body(agency: Agency) -> dict[str, Any]:
    return {
        "agency": agency,
        "signatory_name": "Jo Director",
        "signatory_title": "Director",
        "attestation": f"I sign for {agency}.",
    }


@pytest.fixture
def admins(world: World) -> dict[str, Any]:
    """An admin for each of the World's agencies (the World has one only for home)."""
    world.users.setdefault("other_admin", make_user(name="Olive Admin", agency=world.other, roles=[Role.AGENCY_ADMIN]))
    return {"home": world.users["agency_admin"], "other": world.users["other_admin"]}


# --- Signatures ---------------------------------------------------------------------------------------------


def test_signing_needs_a_complete_checklist_and_happens_once(world: World) -> None:
    protocol = fx.make_protocol("Checklist Protocol")
    assert protocol.current_version is not None
    admin = world.users["agency_admin"]
    with pytest.raises(ValidationError) as refused:
        signature_sign(actor=admin, version=protocol.current_version, **sign_body(world.home))
    assert "Southampton 18" in " ".join(field_errors(refused)["agency"])
    assert not Signature.objects.exists()

    fx.complete_checklist(world.home)
    signature = signature_sign(actor=admin, version=protocol.current_version, **sign_body(world.home))
    assert (signature.signatory_name, signature.signed_by) == ("Jo Director", admin)
    assert AuditEvent.objects.filter(kind="protocol.sign", object_id=str(signature.pk)).exists()

    with pytest.raises(ValidationError) as twice:
        signature_sign(actor=admin, version=protocol.current_version, **sign_body(world.home))
    assert field_errors(twice)
    assert Signature.objects.count() == 1


def test_an_agency_admin_cannot_sign_for_another_agency(world: World) -> None:
    protocol = fx.make_protocol("Other's Protocol")
    fx.complete_checklist(world.other)
    assert protocol.current_version is not None
    with pytest.raises(policy.AccessDenied):
        signature_sign(actor=world.users["agency_admin"], version=protocol.current_version, **sign_body(world.other))
    assert not Signature.objects.exists()


def test_a_blank_attestation_is_refused(world: World) -> None:
    protocol = fx.make_protocol("Attested Protocol")
    fx.complete_checklist(world.home)
    assert protocol.current_version is not None
    body = {**sign_body(world.home), "attestation": "   "}
    with pytest.raises(ValidationError) as refused:
        signature_sign(actor=world.users["agency_admin"], version=protocol.current_version, **body)
    assert "attestation" in field_errors(refused)


def test_adoption_carries_live_signatures_over_but_not_withdrawn_ones(world: World) -> None:
    protocol = fx.protocol_in_force(world)  # signed by home and other, version 2 drafted
    other_signature = Signature.objects.get(protocol=protocol, agency=world.other)
    signature_withdraw(actor=SYSTEM, signature=other_signature, reason="Our director has not re-signed")
    other_signature.refresh_from_db()
    assert other_signature.withdrawn_at is not None and other_signature.withdrawal_reason

    version_2 = protocol.versions.get(number=2)
    protocol_adopt(actor=SYSTEM, protocol=protocol, version=version_2)
    carried = Signature.objects.filter(version=version_2)
    assert [signature.agency for signature in carried] == [world.home]
    assert carried.get().carried_over_from == Signature.objects.get(version__number=1, agency=world.home)


# --- Versions and states ---------------------------------------------------------------------------------


def test_an_invalid_transition_is_refused_and_a_valid_one_recorded(world: World) -> None:
    protocol = fx.make_protocol("Moving Protocol", adopt=False)
    with pytest.raises(ValidationError) as refused:
        protocol_transition(actor=SYSTEM, protocol=protocol, to_status="under_review", reason="Why not")
    assert "to_status" in field_errors(refused)
    protocol.refresh_from_db()
    assert protocol.status == "draft"
    protocol_transition(actor=SYSTEM, protocol=protocol, to_status="retired", reason="Abandoned")
    protocol.refresh_from_db()
    assert protocol.status == "retired"
    assert AuditEvent.objects.filter(kind="protocol.transition", object_id=str(protocol.pk)).exists()


def test_a_review_schedule_that_ends_before_it_starts_is_refused(world: World) -> None:
    with pytest.raises(ValidationError) as refused:
        protocol_create(
            actor=SYSTEM,
            title="Backwards Protocol",
            kind="general",
            first_review_months=None,
            review_every_months=None,
            fixed_review_date=timezone.localdate() - timedelta(days=1),
            **fx.rules(),
        )
    assert "fixed_review_date" in field_errors(refused)
    assert not Protocol.objects.exists() and not ProtocolVersion.objects.exists()


def test_versions_are_immutable(world: World) -> None:
    from django.db import DatabaseError, transaction

    protocol = fx.make_protocol("Immutable Protocol")
    version = protocol.versions.get()
    with pytest.raises(DatabaseError), transaction.atomic():
        ProtocolVersion.objects.filter(pk=version.pk).update(text="Rewritten history")
    version.refresh_from_db()
    assert version.text != "Rewritten history"


def test_a_new_version_keeps_the_rules_it_does_not_change(world: World) -> None:
    protocol = fx.make_protocol("Evolving Protocol")
    version = protocol_version_create(
        actor=SYSTEM, protocol=protocol, text="New text", change_note="Five days", response_working_days=5
    )
    first = protocol.versions.get(number=1)
    assert version.number == 2 and version.response_working_days == 5
    assert version.permitted_purposes == first.permitted_purposes
    assert version.grounds_without_consent == first.grounds_without_consent


# --- Consultations (Buckinghamshire 1-2) -----------------------------------------------------------------


def _open(world: World, **options: Any) -> Consultation:
    protocol = fx.protocol_in_force(world)
    version = protocol.versions.order_by("-number").first()
    return consultation_open(actor=SYSTEM, protocol=protocol, version=version, working_days=10, **options)


def test_a_consultation_through_its_deadline_by_the_sweep_run_twice(world: World, admins: dict[str, Any]) -> None:
    consultation = _open(world)
    assert set(consultation.responses.values_list("agency_id", flat=True)) == {world.home.pk, world.other.pk}
    circulated = Notification.objects.filter(key=f"consultation:{consultation.pk}:circulated")
    assert set(circulated.values_list("recipient_id", flat=True)) == {admins["home"].pk, admins["other"].pk}

    consultation_respond(actor=admins["home"], consultation=consultation, agency=world.home, response="agree")

    # Two working days before the deadline, only the agency that has not answered is reminded, once.
    from protocols.rules import reminder_day

    reminder = reminder_day(consultation.deadline)
    for _ in range(2):
        consultations_sweep(today=reminder)
    reminders = Notification.objects.filter(key=f"consultation:{consultation.pk}:reminder")
    assert list(reminders.values_list("recipient_id", flat=True)) == [admins["other"].pk]

    after = consultation.deadline + timedelta(days=1)
    first = consultations_sweep(today=after)
    deemed = ConsultationResponse.objects.get(consultation=consultation, agency=world.other)
    second = consultations_sweep(today=after)
    assert (first.closed, second.closed) == (1, 0)
    again = ConsultationResponse.objects.get(consultation=consultation, agency=world.other)
    assert again.response == "deemed_assent" and again.responded_at == deemed.responded_at
    assert ConsultationResponse.objects.get(consultation=consultation, agency=world.home).response == "agree"
    consultation.refresh_from_db()
    assert consultation.status == "closed"
    assert AuditEvent.objects.filter(kind="consultation.close", object_id=str(consultation.pk)).count() == 1
    closed_notes = Notification.objects.filter(key=f"consultation:{consultation.pk}:closed")
    assert list(closed_notes.values_list("recipient_id", flat=True)) == [world.users["partnership_admin"].pk]

    decided = consultation_decide(actor=world.users["partnership_admin"], consultation=consultation, adopt=True)
    assert decided.outcome == "adopted"
    protocol = Protocol.objects.get(pk=consultation.protocol_id)
    assert protocol.current_version_id == consultation.proposed_version_id and protocol.status == "active"
    assert Signature.objects.filter(version_id=consultation.proposed_version_id).count() == 2
    assert Notification.objects.filter(key=f"consultation:{consultation.pk}:outcome").count() == 2


def test_responding_for_another_agency_or_after_the_deadline_is_refused(world: World, admins: dict[str, Any]) -> None:
    consultation = _open(world)
    with pytest.raises(policy.AccessDenied):
        consultation_respond(actor=admins["home"], consultation=consultation, agency=world.other, response="agree")
    assert ConsultationResponse.objects.get(consultation=consultation, agency=world.other).response == "pending"

    with pytest.raises(ValidationError) as no_comment:
        consultation_respond(actor=admins["home"], consultation=consultation, agency=world.home, response="object")
    assert "comment" in field_errors(no_comment)

    consultations_sweep(today=consultation.deadline + timedelta(days=1))
    with pytest.raises((ValidationError, policy.AccessDenied)):
        consultation_respond(actor=admins["home"], consultation=consultation, agency=world.home, response="agree")
    assert ConsultationResponse.objects.get(consultation=consultation, agency=world.home).response == "deemed_assent"


def test_the_nominated_representative_answers_for_their_agency(world: World) -> None:
    from agencies.models import Membership
    from agencies.services import membership_update

    membership = Membership.objects.get(user=world.users["designated_manager"], agency=world.home)
    membership_update(actor=SYSTEM, membership=membership, is_nominated_representative=True)
    consultation = _open(world)
    # Once an agency has a nominated representative, the circulation goes to them rather than its admins.
    recipients = Notification.objects.filter(key=f"consultation:{consultation.pk}:circulated")
    assert world.users["designated_manager"].pk in set(recipients.values_list("recipient_id", flat=True))
    answer = consultation_respond(
        actor=world.users["designated_manager"],
        consultation=consultation,
        agency=world.home,
        response="comment",
        comment="Schools need longer.",
    )
    assert (answer.response, answer.responded_by) == ("comment", world.users["designated_manager"])


def test_a_quorum_must_be_met_to_adopt(world: World, admins: dict[str, Any]) -> None:
    consultation = _open(world, quorum_percent=100)
    consultation_respond(
        actor=admins["home"], consultation=consultation, agency=world.home, response="object", comment="Too short"
    )
    consultations_sweep(today=consultation.deadline + timedelta(days=1))
    with pytest.raises(ValidationError) as refused:
        consultation_decide(actor=SYSTEM, consultation=consultation, adopt=True)
    assert "quorum" in " ".join(field_errors(refused)["outcome"])
    with pytest.raises(ValidationError) as no_reason:
        consultation_decide(actor=SYSTEM, consultation=consultation, adopt=False)
    assert "outcome_note" in field_errors(no_reason)
    consultation_decide(actor=SYSTEM, consultation=consultation, adopt=False, note="The police objected")
    protocol = Protocol.objects.get(pk=consultation.protocol_id)
    assert protocol.status == "active"
    assert protocol.current_version is not None and protocol.current_version.number == 1


def test_the_consultation_sweep_runs_a_fixed_number_of_statements(world: World) -> None:
    fx.complete_checklist(world.home)

    def consultations(count: int) -> list[Consultation]:
        made = []
        for _ in range(count):
            protocol = fx.make_protocol(f"Swept Protocol {Protocol.objects.count()}")
            fx.sign(protocol, world.home)
            version = protocol_version_create(actor=SYSTEM, protocol=protocol, text="v2", change_note="v2")
            made.append(consultation_open(actor=SYSTEM, protocol=protocol, version=version, working_days=5))
        return made

    def statements(made: list[Consultation]) -> int:
        with CaptureQueriesContext(connection) as queries:
            result = consultations_sweep(today=max(c.deadline for c in made) + timedelta(days=1))
        assert result.closed == len(made)
        return len(queries)

    assert statements(consultations(1)) == statements(consultations(4))


# --- Reviews (Haringey 5) ------------------------------------------------------------------------------------


def test_review_reminders_are_sent_once_each(world: World) -> None:
    protocol = fx.make_protocol("Reviewed Protocol")
    review = Review.objects.get(protocol=protocol)
    partnership_admin = world.users["partnership_admin"]
    for label, days_before in (("3 months", 90), ("1 month", 30), ("1 week", 7), ("overdue", -1)):
        for _ in range(2):
            reviews_sweep(today=review.due_on - timedelta(days=days_before))
        sent = Notification.objects.filter(key=f"review:{review.pk}:{label}", recipient=partnership_admin)
        assert sent.count() == 1, label
    assert Notification.objects.filter(key__startswith=f"review:{review.pk}:").count() == 4


def test_the_report_is_due_at_the_next_meeting_or_a_month_later(world: World) -> None:
    today = timezone.localdate()
    first = Review.objects.get(protocol=fx.make_protocol("Reported Protocol"))
    done = review_complete(actor=SYSTEM, review=first, findings="Fine", completed_on=today - timedelta(days=3))
    # No meeting arranged: one calendar month after completion (Haringey 5.3).
    from protocols.rules import add_months

    assert done.report_due_on == add_months(today - timedelta(days=3), 1)
    # The next review is scheduled from the completion date (Haringey 5.1).
    assert Review.objects.filter(protocol=first.protocol, number=2).exists()

    meeting_create(actor=SYSTEM, title="Partnership board", held_on=today + timedelta(days=5))
    second = Review.objects.get(protocol=fx.make_protocol("Met Protocol"))
    done = review_complete(actor=SYSTEM, review=second, findings="Fine", completed_on=today - timedelta(days=3))
    assert done.report_due_on == today + timedelta(days=5)


def test_a_review_without_findings_or_in_the_future_is_refused(world: World) -> None:
    review = Review.objects.get(protocol=fx.make_protocol("Empty Review Protocol"))
    with pytest.raises(ValidationError) as refused:
        review_complete(
            actor=SYSTEM, review=review, findings=" ", completed_on=timezone.localdate() + timedelta(days=1)
        )
    assert set(field_errors(refused)) == {"findings", "completed_on"}
    review.refresh_from_db()
    assert review.status == "scheduled"


def test_overdue_actions_are_swept_once(world: World) -> None:
    review = fx.review(world)
    today = timezone.localdate()
    action = review_action_add(
        actor=SYSTEM, review=review, description="Reprint the leaflet", owner_agency=world.home, due_on=today
    )
    reviews_sweep(today=today)
    assert not Notification.objects.filter(key=f"review-action:{action.pk}:overdue").exists()
    for _ in range(2):
        reviews_sweep(today=today + timedelta(days=3))
    sent = Notification.objects.filter(key=f"review-action:{action.pk}:overdue")
    assert set(sent.values_list("recipient_id", flat=True)) == {
        world.users["agency_admin"].pk,
        world.users["partnership_admin"].pk,
    }


# --- Protocol audits (Haringey 5.7-5.13) ------------------------------------------------------------------


def test_an_audit_cannot_start_before_a_months_notice(world: World) -> None:
    protocol = fx.protocol_in_force(world)
    today = timezone.localdate()
    with pytest.raises(ValidationError) as refused:
        protocol_audit_create(
            actor=world.users["agency_admin"],
            protocol=protocol,
            auditing_agency=world.home,
            scope="Consent recording",
            notice_given_on=today,
            starts_on=today + timedelta(days=20),
            responses_due_on=today + timedelta(days=60),
        )
    assert "starts_on" in field_errors(refused)


def test_draft_extracts_are_seen_only_by_the_partners_they_name(world: World, admins: dict[str, Any]) -> None:
    third = make_agency("Third School", kind=AgencyKind.SCHOOL)
    third_admin = make_user(agency=third, roles=[Role.AGENCY_ADMIN])
    audit = fx.protocol_audit(world)  # by `other`, with an extract naming `home`
    extract = world.objects["extract"]
    assert policy.restrict(admins["home"], "view", AuditExtract).filter(pk=extract.pk).exists()
    assert policy.restrict(admins["other"], "view", AuditExtract).filter(pk=extract.pk).exists()  # the auditor
    assert not policy.restrict(third_admin, "view", AuditExtract).exists()
    assert not policy.restrict(world.users["practitioner"], "view", AuditExtract).exists()

    with pytest.raises(policy.AccessDenied):
        extract_respond(actor=third_admin, extract=extract, agency=third, text="Not ours")
    extract_respond(actor=admins["home"], extract=extract, agency=world.home, text="Agreed, with one correction.")
    second = audit_extract_share(
        actor=admins["other"], audit=audit, title="Finding 2", text="Third school", named_agencies=[third]
    )
    assert policy.restrict(third_admin, "view", AuditExtract).get() == second


# --- The question the sharing app asks -------------------------------------------------------------------


def test_sharing_protocol_version_follows_signatures_purpose_and_status(world: World) -> None:
    today = timezone.localdate()
    for agency in (world.home, world.other):
        agency_update(
            actor=SYSTEM,
            agency=agency,
            ico_registration_number=f"Z{agency.pk:07d}",
            ico_registration_expires_on=today + timedelta(days=200),
        )
    protocol = fx.protocol_in_force(world)
    home, other = Agency.objects.get(pk=world.home.pk), Agency.objects.get(pk=world.other.pk)
    assert sharing_protocol_version(home, other, fx.PURPOSE, today) == protocol.current_version
    assert sharing_protocol_version(other, home, fx.PURPOSE, today) == protocol.current_version
    assert sharing_protocol_version(home, other, "Marketing", today) is None  # not a permitted purpose

    third = make_agency("Unsigned Trust", kind=AgencyKind.HEALTH_TRUST)
    assert sharing_protocol_version(home, third, fx.PURPOSE, today) is None  # never signed

    signature = Signature.objects.get(protocol=protocol, agency=world.other)
    signature_withdraw(actor=SYSTEM, signature=signature, reason="Left the protocol")
    assert sharing_protocol_version(home, other, fx.PURPOSE, today) is None


def test_sharing_stops_when_an_agency_is_suspended_or_the_protocol_retired(world: World) -> None:
    today = timezone.localdate()
    for agency in (world.home, world.other):
        agency_update(
            actor=SYSTEM,
            agency=agency,
            ico_registration_number=f"Z{agency.pk:07d}",
            ico_registration_expires_on=today + timedelta(days=200),
        )
    protocol = fx.protocol_in_force(world)
    home = Agency.objects.get(pk=world.home.pk)
    assert sharing_protocol_version(home, Agency.objects.get(pk=world.other.pk), fx.PURPOSE, today) is not None
    agency_status_change(actor=SYSTEM, agency=world.other, to_status="suspended", reason="Breach")
    assert sharing_protocol_version(home, Agency.objects.get(pk=world.other.pk), fx.PURPOSE, today) is None
    agency_status_change(actor=SYSTEM, agency=world.other, to_status="active", reason="Reinstated")
    assert sharing_protocol_version(home, Agency.objects.get(pk=world.other.pk), fx.PURPOSE, today) is not None
    protocol_transition(actor=SYSTEM, protocol=protocol, to_status="retired", reason="Replaced")
    assert sharing_protocol_version(home, Agency.objects.get(pk=world.other.pk), fx.PURPOSE, today) is None
