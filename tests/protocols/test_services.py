"""The protocols services, end to end through the services themselves.

Every refusal is checked for its field and message and for having written nothing (row counts of every
protocols table, the notifications and the audit trail are unchanged). Deadlines are checked by hand on a
fixed calendar: a consultation circulated on Friday 18 December 2026 with five working days is due on
Tuesday 29 December (Christmas Day, and Boxing Day's substitute on Monday 28th, are bank holidays); its
reminder goes on Wednesday 23 December, and the sweep closes it on Wednesday 30 December.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Model
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agencies.models import Agency, AgencyKind, Membership, Role, User
from agencies.services import agency_status_change, agency_update, membership_update
from audit.models import AuditEvent
from isp_portal import policy
from isp_portal.models import Notification
from protocols import rules
from protocols.models import (
    AuditExtract,
    Consultation,
    ConsultationResponse,
    ExtractResponse,
    Meeting,
    Protocol,
    ProtocolAudit,
    ProtocolVersion,
    Review,
    ReviewAction,
    Signature,
    VersionAdoption,
)
from protocols.policy import sharing_protocol_version
from protocols.selectors import partnership_overview
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
    review_action_update,
    review_complete,
    reviews_sweep,
    signature_sign,
    signature_withdraw,
)
from tests import protocol_fixtures as fx
from tests.factories import SYSTEM, World, make_agency, make_user

pytestmark = pytest.mark.django_db

# The hand-checked consultation calendar (see the module docstring).
OPENED = date(2026, 12, 18)  # a Friday
DEADLINE = date(2026, 12, 29)  # five working days later, over Christmas
REMINDER = date(2026, 12, 23)  # two working days before the deadline
AFTER = date(2026, 12, 30)  # the working day after the deadline

WRITTEN: tuple[type[Model], ...] = (
    Protocol,
    ProtocolVersion,
    VersionAdoption,
    Signature,
    Consultation,
    ConsultationResponse,
    Review,
    ReviewAction,
    ProtocolAudit,
    AuditExtract,
    ExtractResponse,
    Meeting,
    Notification,
    AuditEvent,
)


def row_counts() -> dict[str, int]:
    return {model.__name__: model._default_manager.count() for model in WRITTEN}


@contextmanager
def nothing_written() -> Iterator[None]:
    """Wrap a refused call: every table it could write to has as many rows afterwards as before."""
    before = row_counts()
    yield
    assert row_counts() == before


def messages(refused: pytest.ExceptionInfo[ValidationError], field: str) -> str:
    errors = refused.value.message_dict
    assert field in errors, errors
    return " ".join(errors[field])


Travel = Callable[[date], None]


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Travel:
    """clock(day): from now on the portal's clock says noon (London) on `day`."""

    def travel(day: date) -> None:
        moment = datetime.combine(day, time(12), tzinfo=ZoneInfo(settings.TIME_ZONE)).astimezone(UTC)
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return travel


@pytest.fixture
def admins(world: World) -> dict[str, User]:
    """An agency admin for each of the World's agencies (the World itself has one only for home)."""
    if "other_admin" not in world.users:
        world.users["other_admin"] = make_user(name="Olive Admin", agency=world.other, roles=[Role.AGENCY_ADMIN])
    return {"home": world.users["agency_admin"], "other": world.users["other_admin"]}


def sign_body(agency: Agency, **overrides: str) -> dict[str, Any]:
    return {
        "agency": agency,
        "signatory_name": "Jo Director",
        "signatory_title": "Director of Children's Services",
        "attestation": f"I sign on behalf of {agency}, which agrees to abide by this protocol.",
        **overrides,
    }


def third_partner(world: World, name: str = "Third School") -> tuple[Agency, User]:
    """A third agency, with an admin and a complete signatory checklist."""
    third = make_agency(name, kind=AgencyKind.SCHOOL)
    fx.complete_checklist(third)
    return third, make_user(name=f"{name} Admin", agency=third, roles=[Role.AGENCY_ADMIN])


def latest_version(protocol: Protocol) -> ProtocolVersion:
    version = protocol.versions.order_by("-number").first()
    assert version is not None
    return version


def keyed(key: str) -> list[int]:
    """The recipients of the notifications with `key`, sorted."""
    return sorted(Notification.objects.filter(key=key).values_list("recipient_id", flat=True))


# --- Signatures (Haringey 13; Southampton 18; Buckinghamshire 1) ------------------------------------------


def test_signing_without_a_complete_checklist_is_refused(world: World) -> None:
    protocol = fx.make_protocol("Checklist Protocol")
    assert protocol.current_version is not None
    with nothing_written(), pytest.raises(ValidationError) as refused:
        signature_sign(actor=world.users["agency_admin"], version=protocol.current_version, **sign_body(world.home))
    assert "every requirement must be confirmed before it signs" in messages(refused, "agency")
    assert "signatory checklist" in messages(refused, "agency")


def test_a_signature_records_the_signatory_and_an_audit_event(world: World) -> None:
    protocol = fx.make_protocol("Signed Protocol")
    fx.complete_checklist(world.home)
    admin = world.users["agency_admin"]
    assert protocol.current_version is not None
    typed = f"  i sign on behalf of   {world.home}, which agrees to abide by this protocol "
    body = sign_body(world.home, signatory_name="  Jo Director ", attestation=typed)
    signature = signature_sign(actor=admin, version=protocol.current_version, **body)

    signature.refresh_from_db()
    assert (signature.signatory_name, signature.signatory_title, signature.attestation) == (
        "Jo Director",
        "Director of Children's Services",
        f"i sign on behalf of {world.home}, which agrees to abide by this protocol",
    )
    assert (signature.agency, signature.version, signature.protocol, signature.signed_by) == (
        world.home,
        protocol.current_version,
        protocol,
        admin,
    )
    assert signature.is_live and signature.carried_over_from is None
    event = AuditEvent.objects.get(kind="protocol.sign")
    assert (event.object_type, event.object_id, event.actor_id) == ("protocols.signature", str(signature.pk), admin.pk)
    assert event.detail == {"version": 1}


def test_signing_the_same_version_twice_is_refused(world: World) -> None:
    protocol = fx.make_protocol("Twice Protocol")
    fx.complete_checklist(world.home)
    assert protocol.current_version is not None
    admin = world.users["agency_admin"]
    signature_sign(actor=admin, version=protocol.current_version, **sign_body(world.home))
    with nothing_written(), pytest.raises(ValidationError) as refused:
        signature_sign(actor=admin, version=protocol.current_version, **sign_body(world.home))
    assert messages(refused, "agency") == f"{world.home} has already signed {protocol.current_version}."


def test_only_the_version_in_force_is_signed(world: World) -> None:
    protocol = fx.make_protocol("Drafted Protocol")
    fx.complete_checklist(world.home)
    draft = protocol_version_create(actor=SYSTEM, protocol=protocol, text="Version 2", change_note="Rewritten")
    with nothing_written(), pytest.raises(ValidationError) as refused:
        signature_sign(actor=world.users["agency_admin"], version=draft, **sign_body(world.home))
    assert messages(refused, "version") == "Only the version in force can be signed."


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("signatory_name", "Enter the name of the person signing."),
        ("signatory_title", "Enter their job title."),
        (
            "attestation",
            "Type the attestation exactly: “I sign on behalf of Home Council Children's Services, which agrees to "
            "abide by this protocol.”",
        ),
    ],
)
def test_a_blank_signatory_field_is_refused(world: World, field: str, message: str) -> None:
    protocol = fx.make_protocol("Blank Protocol")
    fx.complete_checklist(world.home)
    assert protocol.current_version is not None
    with nothing_written(), pytest.raises(ValidationError) as refused:
        signature_sign(
            actor=world.users["agency_admin"], version=protocol.current_version, **sign_body(world.home, **{field: " "})
        )
    assert messages(refused, field) == message


def test_an_agency_admin_cannot_sign_for_another_agency(world: World) -> None:
    protocol = fx.make_protocol("Other's Protocol")
    fx.complete_checklist(world.other)
    assert protocol.current_version is not None
    with nothing_written(), pytest.raises(policy.AccessDenied):
        signature_sign(actor=world.users["agency_admin"], version=protocol.current_version, **sign_body(world.other))


def test_a_withdrawal_records_its_reason_and_happens_once(world: World, admins: dict[str, User]) -> None:
    protocol = fx.protocol_in_force(world)
    home_signature = Signature.objects.get(protocol=protocol, agency=world.home)
    with nothing_written(), pytest.raises(ValidationError) as no_reason:
        signature_withdraw(actor=admins["home"], signature=home_signature, reason="  ")
    assert messages(no_reason, "reason") == "Say why the agency is withdrawing."
    with nothing_written(), pytest.raises(policy.AccessDenied):  # not its agency's signature
        signature_withdraw(actor=admins["other"], signature=home_signature, reason="Not ours to withdraw")

    withdrawn = signature_withdraw(actor=admins["home"], signature=home_signature, reason=" Our director left. ")
    withdrawn.refresh_from_db()
    assert withdrawn.withdrawn_at is not None and not withdrawn.is_live
    assert (withdrawn.withdrawal_reason, withdrawn.withdrawn_by) == ("Our director left.", admins["home"])
    event = AuditEvent.objects.get(kind="protocol.withdraw")
    assert (event.object_id, event.detail) == (str(withdrawn.pk), {"reason": "Our director left."})

    with nothing_written(), pytest.raises(policy.AccessDenied):
        signature_withdraw(actor=admins["home"], signature=withdrawn, reason="Again")


def test_adoption_carries_live_signatures_over_but_not_withdrawn_ones(world: World) -> None:
    protocol = fx.protocol_in_force(world)  # signed by home and other, version 2 drafted
    home_v1 = Signature.objects.get(protocol=protocol, agency=world.home)
    other_v1 = Signature.objects.get(protocol=protocol, agency=world.other)
    signature_withdraw(actor=SYSTEM, signature=other_v1, reason="Our director has not re-signed")

    version_2 = protocol.versions.get(number=2)
    protocol_adopt(actor=SYSTEM, protocol=protocol, version=version_2)

    carried = list(Signature.objects.filter(version=version_2))
    assert [signature.agency for signature in carried] == [world.home]
    assert carried[0].carried_over_from == home_v1
    assert (carried[0].signatory_name, carried[0].attestation) == (home_v1.signatory_name, home_v1.attestation)
    assert carried[0].is_live
    adopted = AuditEvent.objects.get(kind="protocol.adopt", detail__version=2)
    assert adopted.detail["signatures_carried_over"] == 1
    protocol.refresh_from_db()
    assert (protocol.current_version, protocol.status) == (version_2, "active")


# --- Status and schedule --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("adopt", "moves", "to_status", "field", "message"),
    [
        (False, [], "under_review", "to_status", "A protocol that is draft cannot become under review."),
        (False, [], "superseded", "to_status", "A protocol that is draft cannot become superseded."),
        (False, [], "active", "to_status", "Put a version in force first."),
        (True, [], "draft", "to_status", "A protocol that is active cannot become draft."),
        (True, [], "consultation", "to_status", "Open a consultation on a new version instead."),
        (True, ["retired"], "active", "to_status", "A protocol that is retired cannot become active."),
        (
            True,
            ["superseded"],
            "under_review",
            "to_status",
            "A protocol that is superseded cannot become under review.",
        ),
        (True, [], "archived", "to_status", "Choose a status."),
    ],
)
def test_an_invalid_transition_is_refused_with_a_clear_message(
    world: World, adopt: bool, moves: list[str], to_status: str, field: str, message: str
) -> None:
    protocol = fx.make_protocol("Moving Protocol", adopt=adopt)
    for move in moves:
        protocol_transition(actor=SYSTEM, protocol=protocol, to_status=move, reason="Setting up")
    protocol.refresh_from_db()
    before = protocol.status
    with nothing_written(), pytest.raises(ValidationError) as refused:
        protocol_transition(actor=SYSTEM, protocol=protocol, to_status=to_status, reason="Why not")
    assert messages(refused, field) == message
    protocol.refresh_from_db()
    assert protocol.status == before


def test_a_transition_needs_a_reason(world: World) -> None:
    protocol = fx.make_protocol("Reasonless Protocol")
    with nothing_written(), pytest.raises(ValidationError) as refused:
        protocol_transition(actor=SYSTEM, protocol=protocol, to_status="under_review", reason=" ")
    assert messages(refused, "reason") == "Say why: it goes on the protocol's record."


def test_valid_transitions_succeed_and_are_recorded(world: World) -> None:
    protocol = fx.make_protocol("Journeying Protocol")
    admin = world.users["partnership_admin"]
    for to_status in ("under_review", "active", "under_review", "superseded"):
        before = Protocol.objects.get(pk=protocol.pk).status
        moved = protocol_transition(actor=admin, protocol=protocol, to_status=to_status, reason=f"To {to_status}")
        assert moved.status == Protocol.objects.get(pk=protocol.pk).status == to_status
        event = AuditEvent.objects.filter(kind="protocol.transition").latest("id")
        assert (event.actor_id, event.detail) == (
            admin.pk,
            {"from": before, "to": to_status, "reason": f"To {to_status}"},
        )

    never_adopted = fx.make_protocol("Abandoned Protocol", adopt=False)
    assert protocol_transition(actor=admin, protocol=never_adopted, to_status="retired", reason="Dropped").status == (
        "retired"
    )


def test_an_agency_admin_cannot_change_a_protocols_status(world: World) -> None:
    protocol = fx.make_protocol("Guarded Protocol")
    with nothing_written(), pytest.raises(policy.AccessDenied):
        protocol_transition(actor=world.users["agency_admin"], protocol=protocol, to_status="retired", reason="Mine")


def test_a_protocol_cannot_leave_consultation_by_transition_while_the_consultation_is_open(world: World) -> None:
    protocol = fx.protocol_in_force(world)
    consultation_open(actor=SYSTEM, protocol=protocol, version=latest_version(protocol), working_days=10)
    with nothing_written(), pytest.raises(ValidationError) as refused:
        protocol_transition(actor=SYSTEM, protocol=protocol, to_status="active", reason="Skip the consultation")
    assert messages(refused, "to_status")


@pytest.mark.parametrize(
    ("schedule", "field", "message"),
    [
        (
            {"fixed_review_date": date(2026, 1, 1)},
            "fixed_review_date",
            "The review date must be after the protocol's completion date.",
        ),
        ({"fixed_review_date": "today"}, "fixed_review_date", "The review date must be after"),
        ({"first_review_months": 0}, "first_review_months", "The first review must be at least a month after"),
        pytest.param(
            {"review_every_months": 0},
            "review_every_months",
            "Reviews must recur at least every month.",
        ),
    ],
)
def test_a_review_schedule_that_ends_before_it_starts_is_refused(
    world: World, schedule: dict[str, Any], field: str, message: str
) -> None:
    if schedule.get("fixed_review_date") == "today":
        schedule = {"fixed_review_date": timezone.localdate()}
    with nothing_written(), pytest.raises(ValidationError) as refused:
        protocol_create(actor=SYSTEM, title="Backwards Protocol", kind="general", **schedule, **fx.rules())
    assert messages(refused, field).startswith(message)


def test_adopting_a_draft_after_its_fixed_review_date_is_refused_with_a_field_message(
    world: World, clock: Travel
) -> None:
    today = timezone.localdate()
    protocol = protocol_create(
        actor=SYSTEM,
        title="Late Protocol",
        kind="general",
        first_review_months=None,
        review_every_months=None,
        fixed_review_date=today + timedelta(days=30),
        **fx.rules(),
    )
    clock(today + timedelta(days=60))  # the draft waited two months for agreement
    with nothing_written(), pytest.raises(ValidationError) as refused:
        protocol_adopt(actor=SYSTEM, protocol=protocol, version=protocol.versions.get())
    assert refused.value.message_dict


# --- Consultations (Buckinghamshire 1-2) ---------------------------------------------------------------


def open_on_calendar(world: World, clock: Travel, **options: Any) -> Consultation:
    """On Friday 18 December 2026: a protocol signed by home and other, version 2 out for five working days."""
    clock(OPENED)
    protocol = fx.protocol_in_force(world)
    return consultation_open(
        actor=world.users["partnership_admin"],
        protocol=protocol,
        version=latest_version(protocol),
        working_days=5,
        **options,
    )


def test_opening_circulates_to_signatories_with_a_deadline_in_working_days(
    world: World, admins: dict[str, User], clock: Travel
) -> None:
    third = make_agency("Unsigned Trust", kind=AgencyKind.HEALTH_TRUST)
    make_user(agency=third, roles=[Role.AGENCY_ADMIN])
    consultation = open_on_calendar(world, clock)

    assert (consultation.opened_on, consultation.deadline) == (OPENED, DEADLINE)  # counted by hand
    assert consultation.deadline == rules.consultation_deadline(OPENED, 5)
    assert (consultation.status, consultation.previous_status) == ("open", "active")
    assert consultation.opened_by == world.users["partnership_admin"]
    responses = ConsultationResponse.objects.filter(consultation=consultation)
    assert sorted(responses.values_list("agency_id", "response")) == sorted(
        [(world.home.pk, "pending"), (world.other.pk, "pending")]
    )  # the unsigned trust is not consulted
    assert Protocol.objects.get(pk=consultation.protocol_id).status == "consultation"

    circulated = Notification.objects.filter(key=f"consultation:{consultation.pk}:circulated")
    assert sorted(circulated.values_list("recipient_id", flat=True)) == sorted([admins["home"].pk, admins["other"].pk])
    assert all("respond by 29 December 2026" in note.subject for note in circulated)
    event = AuditEvent.objects.get(kind="consultation.open")
    assert event.detail["deadline"] == "2026-12-29"


@pytest.mark.parametrize(
    ("options", "field", "message"),
    [
        ({"working_days": 0}, "working_days", "Give between 1 and 60 working days for responses."),
        ({"working_days": 61}, "working_days", "Give between 1 and 60 working days for responses."),
        ({"quorum_percent": 0}, "quorum_percent", "The quorum is a percentage from 1 to 100."),
        ({"quorum_percent": 101}, "quorum_percent", "The quorum is a percentage from 1 to 100."),
        ({"version": 1}, "version", "Consult on the newest version, which has not been in force."),
    ],
)
def test_opening_with_bad_input_is_refused(world: World, options: dict[str, Any], field: str, message: str) -> None:
    options = dict(options)
    protocol = fx.protocol_in_force(world)
    version = protocol.versions.get(number=options.pop("version", 2))
    with nothing_written(), pytest.raises(ValidationError) as refused:
        consultation_open(actor=SYSTEM, protocol=protocol, version=version, **{"working_days": 10, **options})
    assert messages(refused, field) == message
    assert Protocol.objects.get(pk=protocol.pk).status == "active"


def test_the_nominated_representative_answers_for_their_agency(world: World) -> None:
    membership = Membership.objects.get(user=world.users["designated_manager"], agency=world.home)
    membership_update(actor=SYSTEM, membership=membership, is_nominated_representative=True)
    protocol = fx.protocol_in_force(world)
    consultation = consultation_open(actor=SYSTEM, protocol=protocol, version=latest_version(protocol))
    # With a nominated representative, the circulation goes to them rather than the agency's admins.
    assert keyed(f"consultation:{consultation.pk}:circulated") == [world.users["designated_manager"].pk]

    answer = consultation_respond(
        actor=world.users["designated_manager"],
        consultation=consultation,
        agency=world.home,
        response="comment",
        comment=" Schools need longer. ",
    )
    answer.refresh_from_db()
    assert (answer.response, answer.comment, answer.responded_by) == (
        "comment",
        "Schools need longer.",
        world.users["designated_manager"],
    )
    assert answer.responded_at is not None
    assert AuditEvent.objects.filter(kind="consultation.respond", object_id=str(answer.pk)).count() == 1


def test_responding_for_another_agency_is_refused(world: World, admins: dict[str, User]) -> None:
    protocol = fx.protocol_in_force(world)
    consultation = consultation_open(actor=SYSTEM, protocol=protocol, version=latest_version(protocol))
    with nothing_written(), pytest.raises(policy.AccessDenied):
        consultation_respond(actor=admins["home"], consultation=consultation, agency=world.other, response="agree")
    with nothing_written(), pytest.raises(policy.AccessDenied):  # a practitioner is not the representative
        consultation_respond(
            actor=world.users["practitioner"], consultation=consultation, agency=world.home, response="agree"
        )
    third, third_admin = third_partner(world)
    with nothing_written(), pytest.raises(ValidationError) as not_consulted:
        consultation_respond(actor=third_admin, consultation=consultation, agency=third, response="agree")
    assert messages(not_consulted, "agency") == f"{third} was not consulted on this change."


@pytest.mark.parametrize(
    ("response", "comment", "field", "message"),
    [
        ("object", "", "comment", "Say what your agency objects to or comments on."),
        ("comment", "  ", "comment", "Say what your agency objects to or comments on."),
        ("deemed_assent", "", "response", "Choose agree, object or comment."),
        ("pending", "", "response", "Choose agree, object or comment."),
    ],
)
def test_a_bad_response_is_refused(
    world: World, admins: dict[str, User], response: str, comment: str, field: str, message: str
) -> None:
    protocol = fx.protocol_in_force(world)
    consultation = consultation_open(actor=SYSTEM, protocol=protocol, version=latest_version(protocol))
    with nothing_written(), pytest.raises(ValidationError) as refused:
        consultation_respond(
            actor=admins["home"], consultation=consultation, agency=world.home, response=response, comment=comment
        )
    assert messages(refused, field) == message


def test_responding_twice_before_the_deadline_replaces_the_first_answer(world: World, admins: dict[str, User]) -> None:
    protocol = fx.protocol_in_force(world)
    consultation = consultation_open(actor=SYSTEM, protocol=protocol, version=latest_version(protocol))
    first = consultation_respond(actor=admins["home"], consultation=consultation, agency=world.home, response="agree")
    second = consultation_respond(
        actor=admins["home"], consultation=consultation, agency=world.home, response="object", comment="On reflection"
    )
    assert first.pk == second.pk
    row = ConsultationResponse.objects.get(consultation=consultation, agency=world.home)
    assert (row.response, row.comment) == ("object", "On reflection")
    assert ConsultationResponse.objects.filter(consultation=consultation).count() == 2  # home and other, once each
    assert [
        event.detail["response"] for event in AuditEvent.objects.filter(kind="consultation.respond").order_by("id")
    ] == [
        "agree",
        "object",
    ]


def test_responding_after_the_deadline_is_refused(world: World, admins: dict[str, User], clock: Travel) -> None:
    consultation = open_on_calendar(world, clock)
    clock(DEADLINE)  # the last day still counts
    consultation_respond(actor=admins["home"], consultation=consultation, agency=world.home, response="agree")

    clock(AFTER)  # before any sweep has closed it
    with nothing_written(), pytest.raises(ValidationError) as late:
        consultation_respond(actor=admins["other"], consultation=consultation, agency=world.other, response="agree")
    assert messages(late, "response") == "The deadline for responses was 29 December 2026."

    consultations_sweep(today=AFTER)  # and once it has
    with nothing_written(), pytest.raises((ValidationError, policy.AccessDenied)):
        consultation_respond(actor=admins["other"], consultation=consultation, agency=world.other, response="object")
    assert ConsultationResponse.objects.get(consultation=consultation, agency=world.other).response == "deemed_assent"


def test_the_reminder_goes_two_working_days_before_the_deadline_once(
    world: World, admins: dict[str, User], clock: Travel
) -> None:
    consultation = open_on_calendar(world, clock)
    consultation_respond(actor=admins["home"], consultation=consultation, agency=world.home, response="agree")
    key = f"consultation:{consultation.pk}:reminder"

    assert rules.reminder_day(DEADLINE) == REMINDER
    assert consultations_sweep(today=REMINDER - timedelta(days=1)).reminded == 0
    assert keyed(key) == []
    # Twice on the reminder day: only the agency that has not answered is reminded, and only once.
    assert [consultations_sweep(today=REMINDER).reminded for _ in range(2)] == [1, 0]
    assert consultations_sweep(today=DEADLINE).reminded == 0  # still in the window, already reminded
    assert keyed(key) == [admins["other"].pk]


def test_the_sweep_after_the_deadline_records_deemed_assent_once(
    world: World, admins: dict[str, User], clock: Travel
) -> None:
    consultation = open_on_calendar(world, clock)
    consultation_respond(actor=admins["home"], consultation=consultation, agency=world.home, response="agree")
    assert consultations_sweep(today=DEADLINE).closed == 0  # the deadline day itself is still open
    assert Consultation.objects.get(pk=consultation.pk).status == "open"

    first = consultations_sweep(today=AFTER)
    after_first = row_counts()
    deemed = ConsultationResponse.objects.get(consultation=consultation, agency=world.other)
    second = consultations_sweep(today=AFTER)

    assert (first.closed, second.closed) == (1, 0)
    assert row_counts() == after_first  # the second run wrote nothing
    again = ConsultationResponse.objects.get(consultation=consultation, agency=world.other)
    assert (again.response, again.responded_at) == ("deemed_assent", deemed.responded_at)
    assert again.responded_by is None
    assert ConsultationResponse.objects.get(consultation=consultation, agency=world.home).response == "agree"
    consultation.refresh_from_db()
    assert consultation.status == "closed" and consultation.closed_at is not None and consultation.outcome == ""
    assert AuditEvent.objects.filter(kind="consultation.close", object_id=str(consultation.pk)).count() == 1
    assert keyed(f"consultation:{consultation.pk}:closed") == [world.users["partnership_admin"].pk]


def test_adopting_puts_the_version_in_force_and_carries_signatures_over(
    world: World, admins: dict[str, User], clock: Travel
) -> None:
    consultation = open_on_calendar(world, clock)
    protocol = Protocol.objects.get(pk=consultation.protocol_id)
    previous = protocol.current_version
    consultation_respond(actor=admins["home"], consultation=consultation, agency=world.home, response="agree")
    with nothing_written(), pytest.raises(ValidationError) as early:
        consultation_decide(actor=world.users["partnership_admin"], consultation=consultation, adopt=True)
    assert messages(early, "outcome") == "Responses are open until 29 December 2026."

    for _ in range(2):
        consultations_sweep(today=AFTER)
    clock(AFTER)
    decided = consultation_decide(actor=world.users["partnership_admin"], consultation=consultation, adopt=True)

    assert (decided.status, decided.outcome, decided.decided_by) == (
        "decided",
        "adopted",
        world.users["partnership_admin"],
    )
    protocol.refresh_from_db()
    proposed = consultation.proposed_version
    assert (protocol.current_version, protocol.status) == (proposed, "active")
    assert VersionAdoption.objects.get(version=proposed).consultation == consultation
    carried = Signature.objects.filter(version=proposed).order_by("agency__name")
    assert [(s.agency, s.carried_over_from) for s in carried] == [
        (world.home, Signature.objects.get(version=previous, agency=world.home)),
        (world.other, Signature.objects.get(version=previous, agency=world.other)),
    ]
    assert keyed(f"consultation:{consultation.pk}:outcome") == sorted([admins["home"].pk, admins["other"].pk])
    assert keyed(f"consultation:{consultation.pk}:closed") == [world.users["partnership_admin"].pk]
    decide_event = AuditEvent.objects.get(kind="consultation.decide")
    assert {key: decide_event.detail[key] for key in ("agree", "deemed_assent", "circulated")} == {
        "agree": 1,
        "deemed_assent": 1,
        "circulated": 2,
    }

    with nothing_written(), pytest.raises(ValidationError) as twice:
        consultation_decide(actor=world.users["partnership_admin"], consultation=consultation, adopt=False, note="No")
    assert messages(twice, "outcome") == "The outcome has already been recorded."


def test_rejecting_keeps_the_version_in_force(world: World, admins: dict[str, User], clock: Travel) -> None:
    consultation = open_on_calendar(world, clock)
    protocol = Protocol.objects.get(pk=consultation.protocol_id)
    previous = protocol.current_version
    consultation_respond(
        actor=admins["other"], consultation=consultation, agency=world.other, response="object", comment="Too short"
    )
    consultations_sweep(today=AFTER)
    clock(AFTER)
    with nothing_written(), pytest.raises(ValidationError) as no_reason:
        consultation_decide(actor=SYSTEM, consultation=consultation, adopt=False, note=" ")
    assert messages(no_reason, "outcome_note") == "Say why the change is rejected."

    decided = consultation_decide(actor=SYSTEM, consultation=consultation, adopt=False, note="The police objected")
    assert (decided.outcome, decided.outcome_note) == ("rejected", "The police objected")
    protocol.refresh_from_db()
    assert (protocol.current_version, protocol.status) == (previous, "active")
    proposed = consultation.proposed_version
    assert not Signature.objects.filter(version=proposed).exists()
    assert not VersionAdoption.objects.filter(version=proposed).exists()
    outcome = Notification.objects.filter(key=f"consultation:{consultation.pk}:outcome")
    assert outcome.count() == 2 and all("was rejected" in note.subject for note in outcome)


def test_a_signature_withdrawn_during_the_consultation_is_not_carried_over(
    world: World, admins: dict[str, User], clock: Travel
) -> None:
    consultation = open_on_calendar(world, clock)
    other_v1 = Signature.objects.get(protocol_id=consultation.protocol_id, agency=world.other, version__number=1)
    signature_withdraw(actor=admins["other"], signature=other_v1, reason="Leaving the protocol")
    consultations_sweep(today=AFTER)
    clock(AFTER)
    consultation_decide(actor=SYSTEM, consultation=consultation, adopt=True)
    assert [s.agency for s in Signature.objects.filter(version=consultation.proposed_version)] == [world.home]


@pytest.mark.parametrize(
    ("quorum_percent", "adoptable"),
    [(None, True), (66, True), (67, False), (100, False)],
)
def test_the_quorum_decides_whether_the_change_can_be_adopted(
    world: World, admins: dict[str, User], clock: Travel, quorum_percent: int | None, adoptable: bool
) -> None:
    # Three agencies: one objects, one agrees, one is silent (deemed assent): 2 of 3 assent, 66.7%.
    clock(OPENED)
    protocol = fx.protocol_in_force(world)
    third, third_admin = third_partner(world)
    fx.sign(protocol, third)
    consultation = consultation_open(
        actor=SYSTEM, protocol=protocol, version=latest_version(protocol), working_days=5, quorum_percent=quorum_percent
    )
    consultation_respond(
        actor=admins["home"], consultation=consultation, agency=world.home, response="object", comment="Too short"
    )
    consultation_respond(actor=third_admin, consultation=consultation, agency=third, response="agree")
    consultations_sweep(today=AFTER)
    clock(AFTER)
    tally = rules.tally(consultation.responses.values_list("response", flat=True))
    assert (tally.circulated, tally.assenting, tally.object) == (3, 2, 1)
    assert rules.quorum_met(tally, quorum_percent) is adoptable

    if adoptable:
        consultation_decide(actor=SYSTEM, consultation=consultation, adopt=True)
        assert Protocol.objects.get(pk=protocol.pk).current_version == consultation.proposed_version
        return
    with nothing_written(), pytest.raises(ValidationError) as refused:
        consultation_decide(actor=SYSTEM, consultation=consultation, adopt=True)
    assert messages(refused, "outcome") == f"The quorum is not met: 66% assented, {quorum_percent}% is required."
    assert Consultation.objects.get(pk=consultation.pk).status == "closed"
    # A change that misses the quorum can still be rejected.
    consultation_decide(actor=SYSTEM, consultation=consultation, adopt=False, note="Quorum not met")
    assert Protocol.objects.get(pk=protocol.pk).current_version_id != consultation.proposed_version_id


def test_a_rejected_version_cannot_be_circulated_again(world: World, clock: Travel) -> None:
    consultation = open_on_calendar(world, clock)
    consultations_sweep(today=AFTER)
    clock(AFTER)
    consultation_decide(actor=SYSTEM, consultation=consultation, adopt=False, note="Not yet")
    protocol = Protocol.objects.get(pk=consultation.protocol_id)
    with nothing_written(), pytest.raises(ValidationError) as refused:
        consultation_open(actor=SYSTEM, protocol=protocol, version=consultation.proposed_version, working_days=5)
    assert messages(refused, "version")


@pytest.mark.parametrize("phase", ["reminder", "close"])
def test_the_consultation_sweep_runs_a_fixed_number_of_statements(world: World, phase: str) -> None:
    fx.complete_checklist(world.home)
    make_user(agency=world.home, roles=[Role.AGENCY_ADMIN])  # two admins to remind per agency

    def consultations(count: int) -> list[Consultation]:
        made = []
        for _ in range(count):
            protocol = fx.make_protocol(f"Swept Protocol {Protocol.objects.count()}")
            fx.sign(protocol, world.home)
            version = protocol_version_create(actor=SYSTEM, protocol=protocol, text="v2", change_note="v2")
            made.append(consultation_open(actor=SYSTEM, protocol=protocol, version=version, working_days=5))
        return made

    def statements(made: list[Consultation]) -> int:
        deadline = max(c.deadline for c in made)
        today = rules.reminder_day(deadline) if phase == "reminder" else deadline + timedelta(days=1)
        with CaptureQueriesContext(connection) as queries:
            result = consultations_sweep(today=today)
        assert (result.reminded, result.closed) == ((2 * len(made), 0) if phase == "reminder" else (0, len(made)))
        # Leave nothing open for the next batch to sweep.
        consultations_sweep(today=deadline + timedelta(days=1))
        for consultation in made:
            consultation_decide(actor=SYSTEM, consultation=consultation, adopt=False, note="Swept")
        return len(queries)

    assert statements(consultations(1)) == statements(consultations(4))


# --- Reviews (Haringey 5) --------------------------------------------------------------------------------


def test_review_reminders_go_three_months_one_month_and_one_week_before_each_once(world: World) -> None:
    protocol = fx.make_protocol("Reviewed Protocol")
    review = Review.objects.get(protocol=protocol)
    recipients = [world.users["partnership_admin"].pk]

    assert reviews_sweep(today=review.due_on - timedelta(days=91)).review_reminders == 0
    for label, days_before in (("3 months", 90), ("1 month", 30), ("1 week", 7), ("overdue", -1)):
        results = [reviews_sweep(today=review.due_on - timedelta(days=days_before)) for _ in range(2)]
        assert [result.review_reminders for result in results] == [1, 0], label
        assert keyed(f"review:{review.pk}:{label}") == recipients, label
    # Days between the windows send nothing new.
    assert reviews_sweep(today=review.due_on - timedelta(days=8)).review_reminders == 0
    assert Notification.objects.filter(key__startswith=f"review:{review.pk}:").count() == 4


def test_an_overdue_review_is_flagged(world: World) -> None:
    protocol = fx.make_protocol("Late Review Protocol")
    review = Review.objects.get(protocol=protocol)
    on_the_day = partnership_overview(today=review.due_on)
    assert review in on_the_day.reviews_due and review not in on_the_day.reviews_overdue
    day_after = partnership_overview(today=review.due_on + timedelta(days=1))
    assert review in day_after.reviews_overdue and review not in day_after.reviews_due
    reviews_sweep(today=review.due_on + timedelta(days=1))
    overdue = Notification.objects.get(key=f"review:{review.pk}:overdue")
    assert "is overdue" in overdue.subject


@pytest.mark.parametrize(
    ("completed_on", "meetings", "report_due_on"),
    [
        # No meeting arranged: one calendar month after completion (31 January -> 28 February).
        (date(2026, 1, 31), [], date(2026, 2, 28)),
        # A meeting sooner than the month: the meeting.
        (date(2026, 2, 15), [date(2026, 3, 5)], date(2026, 3, 5)),
        # A meeting later than the month: the month.
        (date(2026, 1, 31), [date(2026, 3, 5)], date(2026, 2, 28)),
        # A meeting before the review does not count; the next one after it does.
        (date(2026, 2, 15), [date(2026, 2, 10), date(2026, 2, 20), date(2026, 3, 1)], date(2026, 2, 20)),
    ],
)
def test_the_report_is_due_at_the_next_meeting_or_a_month_later_whichever_is_sooner(
    world: World, completed_on: date, meetings: list[date], report_due_on: date
) -> None:
    for held_on in meetings:
        meeting_create(
            actor=SYSTEM, title=f"Partnership board {held_on}", held_on=held_on, attendee_agencies=[world.home]
        )
    # Completed before the review (a review is never completed before its protocol was).
    protocol = fx.make_protocol("Reported Protocol", completion=date(2025, 7, 31))
    review = Review.objects.get(protocol=protocol)
    done = review_complete(
        actor=world.users["partnership_admin"], review=review, findings="Fine", completed_on=completed_on
    )
    assert (done.status, done.report_due_on) == ("completed", report_due_on)
    assert Review.objects.get(pk=review.pk).report_due_on == report_due_on
    # The next review is scheduled from the protocol's completion date (Haringey 5.1: then annually).
    protocol = Protocol.objects.get(pk=review.protocol_id)
    assert protocol.completion_date is not None
    assert Review.objects.get(protocol=protocol, number=2).due_on == rules.add_months(protocol.completion_date, 18)


def test_a_review_without_findings_or_in_the_future_is_refused(world: World) -> None:
    review = Review.objects.get(protocol=fx.make_protocol("Empty Review Protocol"))
    with nothing_written(), pytest.raises(ValidationError) as refused:
        review_complete(
            actor=SYSTEM, review=review, findings=" ", completed_on=timezone.localdate() + timedelta(days=1)
        )
    assert messages(refused, "findings").startswith("Write the review's findings")
    assert messages(refused, "completed_on") == "The review's date must be today or in the past."
    with nothing_written(), pytest.raises(policy.AccessDenied):  # not an officer of the review
        review_complete(
            actor=world.users["agency_admin"], review=review, findings="Mine", completed_on=date(2026, 1, 1)
        )
    assert Review.objects.get(pk=review.pk).status == "scheduled"


def test_overdue_review_actions_are_swept_once(world: World) -> None:
    review = fx.review(world)
    today = timezone.localdate()
    late = review_action_add(
        actor=SYSTEM, review=review, description="Reprint the leaflet", owner_agency=world.home, due_on=today
    )
    done = review_action_add(
        actor=SYSTEM, review=review, description="Update the website", owner_agency=world.home, due_on=today
    )
    review_action_update(actor=world.users["agency_admin"], action=done, status="done")
    assert reviews_sweep(today=today).action_reminders == 0  # due today is not yet overdue

    results = [reviews_sweep(today=today + timedelta(days=3)).action_reminders for _ in range(2)]
    assert results == [2, 0]
    assert keyed(f"review-action:{late.pk}:overdue") == sorted(
        [world.users["agency_admin"].pk, world.users["partnership_admin"].pk]
    )
    assert keyed(f"review-action:{done.pk}:overdue") == []


def test_a_review_action_due_in_the_past_is_refused(world: World) -> None:
    review = fx.review(world)
    with nothing_written(), pytest.raises(ValidationError) as refused:
        review_action_add(
            actor=SYSTEM,
            review=review,
            description="  ",
            owner_agency=world.home,
            due_on=timezone.localdate() - timedelta(days=1),
        )
    assert set(refused.value.message_dict) == {"description", "due_on"}


# --- Protocol audits by a partner (Haringey 5.7-5.13) ---------------------------------------------------


def audit_notice(world: World, admin: User, **overrides: Any) -> ProtocolAudit:
    """Notice on 31 January 2026 of an audit of the World's protocol (which must exist already)."""
    values: dict[str, Any] = {
        "protocol": world.objects["protocol"],
        "auditing_agency": world.home,
        "scope": "Consent recording",
        "notice_given_on": date(2026, 1, 31),
        "starts_on": date(2026, 2, 28),
        "responses_due_on": date(2026, 3, 31),
        **overrides,
    }
    return protocol_audit_create(actor=admin, **values)


def test_an_audit_starting_less_than_a_month_after_notice_is_refused(world: World, admins: dict[str, User]) -> None:
    fx.protocol_in_force(world)
    with nothing_written(), pytest.raises(ValidationError) as refused:
        audit_notice(world, admins["home"], starts_on=date(2026, 2, 27))
    assert messages(refused, "starts_on") == (
        "With notice given on 31 January 2026, the audit cannot start before 28 February 2026."
    )
    # A calendar month after 31 January is 28 February: that day is allowed.
    audit = audit_notice(world, admins["home"])
    assert (audit.auditing_agency, audit.created_by, audit.starts_on) == (world.home, admins["home"], date(2026, 2, 28))
    assert AuditEvent.objects.filter(kind="protocol_audit.notice", object_id=str(audit.pk)).count() == 1


def test_an_audit_notice_with_bad_input_is_refused(world: World, admins: dict[str, User]) -> None:
    fx.protocol_in_force(world)
    tomorrow = timezone.localdate() + timedelta(days=1)
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"scope": " "}, "scope", "Describe the scope of the audit: partners are given it in writing."),
        ({"responses_due_on": date(2026, 2, 28)}, "responses_due_on", "Responses are due after the audit starts."),
        (
            {
                "notice_given_on": tomorrow,
                "starts_on": rules.add_months(tomorrow, 1),
                "responses_due_on": rules.add_months(tomorrow, 2),
            },
            "notice_given_on",
            "Notice is given today or was given in the past.",
        ),
    ]
    for overrides, field, message in cases:
        with nothing_written(), pytest.raises(ValidationError) as refused:
            audit_notice(world, admins["home"], **overrides)
        assert messages(refused, field) == message


def test_an_agency_admin_cannot_give_audit_notice_for_another_agency(world: World, admins: dict[str, User]) -> None:
    fx.protocol_in_force(world)
    with nothing_written(), pytest.raises(policy.AccessDenied):
        audit_notice(world, admins["home"], auditing_agency=world.other)


def test_draft_extracts_are_seen_only_by_the_partners_they_name(world: World, admins: dict[str, User]) -> None:
    _, third_admin = third_partner(world)
    fx.protocol_audit(world)  # by `other`, with an extract naming `home`
    extract = world.objects["extract"]
    assert keyed(f"extract:{extract.pk}") == [admins["home"].pk]  # only the named partner's admins are told

    for user in (admins["home"], admins["other"], world.users["partnership_admin"]):  # named, auditor, partnership
        assert list(policy.restrict(user, "view", AuditExtract)) == [extract]
        assert policy.get_or_deny(user, AuditExtract, pk=extract.pk) == extract
    for user in (third_admin, world.users["practitioner"], world.users["auditor"]):
        assert not policy.restrict(user, "view", AuditExtract).exists()
        with pytest.raises(policy.OutOfScope):
            policy.get_or_deny(user, AuditExtract, pk=extract.pk)


def test_only_a_named_partner_responds_to_an_extract(world: World, admins: dict[str, User]) -> None:
    third, third_admin = third_partner(world)
    fx.protocol_audit(world)
    extract = world.objects["extract"]
    with nothing_written(), pytest.raises(policy.AccessDenied):
        extract_respond(actor=third_admin, extract=extract, agency=third, text="Not ours")
    with nothing_written(), pytest.raises(policy.AccessDenied):  # the auditor is not named
        extract_respond(actor=admins["other"], extract=extract, agency=world.other, text="We wrote it")
    with nothing_written(), pytest.raises(policy.AccessDenied):  # named, but answering for someone else
        extract_respond(actor=admins["home"], extract=extract, agency=third, text="For them")

    response = extract_respond(actor=admins["home"], extract=extract, agency=world.home, text=" Agreed. ")
    assert (response.agency, response.text, response.responded_by) == (world.home, "Agreed.", admins["home"])
    with nothing_written(), pytest.raises(ValidationError) as twice:
        extract_respond(actor=admins["home"], extract=extract, agency=world.home, text="Again")
    assert messages(twice, "text") == f"{world.home} has already responded to this extract."


def test_an_extract_naming_several_partners_is_seen_once(world: World, admins: dict[str, User]) -> None:
    third, _ = third_partner(world)
    audit = fx.protocol_audit(world)
    extract = audit_extract_share(
        actor=admins["other"], audit=audit, title="Finding 2", text="Both schools", named_agencies=[world.home, third]
    )
    assert policy.get_or_deny(admins["other"], AuditExtract, pk=extract.pk) == extract
    assert list(policy.restrict(admins["other"], "view", AuditExtract).filter(pk=extract.pk)) == [extract]


# --- The question the sharing app asks -------------------------------------------------------------------


def registered(world: World, today: date, days: int = 200) -> tuple[Agency, Agency]:
    """Give both of the World's agencies an ICO registration expiring `days` from today; fresh copies."""
    for agency in (world.home, world.other):
        agency_update(
            actor=SYSTEM,
            agency=agency,
            ico_registration_number=f"Z{agency.pk:07d}",
            ico_registration_expires_on=today + timedelta(days=days),
        )
    return Agency.objects.get(pk=world.home.pk), Agency.objects.get(pk=world.other.pk)


def fresh(agency: Agency) -> Agency:
    return Agency.objects.get(pk=agency.pk)


def test_sharing_uses_the_version_both_agencies_signed_for_a_permitted_purpose(world: World) -> None:
    today = timezone.localdate()
    protocol = fx.protocol_in_force(world)
    home, other = registered(world, today)
    assert protocol.current_version is not None
    assert sharing_protocol_version(home, other, fx.PURPOSE, today) == protocol.current_version
    assert sharing_protocol_version(other, home, fx.PURPOSE, today) == protocol.current_version
    assert sharing_protocol_version(home, other, "Marketing", today) is None  # not a permitted purpose
    third = make_agency("Unsigned Trust", kind=AgencyKind.HEALTH_TRUST)
    agency_update(
        actor=SYSTEM,
        agency=third,
        ico_registration_number="Z7654321",
        ico_registration_expires_on=today + timedelta(200),
    )
    assert sharing_protocol_version(home, fresh(third), fx.PURPOSE, today) is None  # never signed


def test_sharing_stops_when_one_agency_withdraws(world: World) -> None:
    today = timezone.localdate()
    protocol = fx.protocol_in_force(world)
    home, other = registered(world, today)
    signature_withdraw(
        actor=SYSTEM, signature=Signature.objects.get(protocol=protocol, agency=world.other), reason="Left"
    )
    assert sharing_protocol_version(home, other, fx.PURPOSE, today) is None
    assert sharing_protocol_version(other, home, fx.PURPOSE, today) is None


def test_sharing_follows_the_adopted_version_and_its_carried_signatures(world: World) -> None:
    today = timezone.localdate()
    protocol = fx.protocol_in_force(world)
    home, other = registered(world, today)
    version_2 = protocol.versions.get(number=2)
    protocol_adopt(actor=SYSTEM, protocol=protocol, version=version_2)
    assert sharing_protocol_version(home, other, fx.PURPOSE, today) == version_2
    version_3 = protocol_version_create(
        actor=SYSTEM, protocol=protocol, text="Narrower", change_note="Fewer purposes", permitted_purposes=["Audit"]
    )
    protocol_adopt(actor=SYSTEM, protocol=protocol, version=version_3)
    assert sharing_protocol_version(home, other, fx.PURPOSE, today) is None  # no longer permitted
    assert sharing_protocol_version(home, other, "Audit", today) == version_3


def test_sharing_carries_on_under_the_version_in_force_during_a_consultation(world: World) -> None:
    today = timezone.localdate()
    protocol = fx.protocol_in_force(world)
    home, other = registered(world, today)
    in_force = protocol.current_version
    consultation_open(actor=SYSTEM, protocol=protocol, version=latest_version(protocol))
    assert sharing_protocol_version(home, other, fx.PURPOSE, today) == in_force


@pytest.mark.parametrize("to_status", ["retired", "superseded"])
def test_sharing_stops_when_the_protocol_is_retired_or_superseded(world: World, to_status: str) -> None:
    today = timezone.localdate()
    protocol = fx.protocol_in_force(world)
    home, other = registered(world, today)
    protocol_transition(actor=SYSTEM, protocol=protocol, to_status="under_review", reason="Annual review")
    assert sharing_protocol_version(home, other, fx.PURPOSE, today) == protocol.current_version
    protocol_transition(actor=SYSTEM, protocol=protocol, to_status=to_status, reason="Replaced")
    assert sharing_protocol_version(home, other, fx.PURPOSE, today) is None


def test_sharing_stops_while_an_agency_is_suspended(world: World) -> None:
    today = timezone.localdate()
    fx.protocol_in_force(world)
    home, _ = registered(world, today)
    agency_status_change(actor=SYSTEM, agency=world.other, to_status="suspended", reason="Breach")
    assert sharing_protocol_version(home, fresh(world.other), fx.PURPOSE, today) is None
    assert sharing_protocol_version(fresh(world.other), home, fx.PURPOSE, today) is None
    agency_status_change(actor=SYSTEM, agency=world.other, to_status="active", reason="Reinstated")
    assert sharing_protocol_version(home, fresh(world.other), fx.PURPOSE, today) is not None


def test_sharing_needs_an_ico_registration_in_force(world: World) -> None:
    today = timezone.localdate()
    fx.protocol_in_force(world)
    # Without any ICO registration recorded, neither agency may share.
    assert sharing_protocol_version(fresh(world.home), fresh(world.other), fx.PURPOSE, today) is None
    home, other = registered(world, today, days=200)
    expires = today + timedelta(days=200)
    assert sharing_protocol_version(home, other, fx.PURPOSE, expires) is not None  # the last day counts
    assert sharing_protocol_version(home, other, fx.PURPOSE, expires + timedelta(days=1)) is None  # lapsed
