"""Rules the protocol implies (issue 8, item 12), honest refusals (item 11) and the partnership's own clauses
in what users read (item 13). Each test fails if its rule stops being enforced."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from agencies.services import agency_update
from isp_portal import policy
from isp_portal.models import Notification
from protocols import rules
from protocols.models import Meeting, ProtocolKind
from protocols.reference import DEFAULT_CLAUSES, TEMPLATE_TEXT
from protocols.services import (
    meeting_circulate_minutes,
    meeting_create,
    meeting_record_minutes,
    protocol_adopt,
    protocol_audit_create,
    protocol_create,
    protocol_version_create,
    review_complete,
    reviews_sweep,
    signature_sign,
    signature_withdraw,
)
from tests import protocol_fixtures as fx
from tests.factories import SYSTEM, World, sign_in

pytestmark = pytest.mark.django_db


# --- Pure rules ---------------------------------------------------------------------------------------------


def test_the_attestation_is_the_set_sentence_naming_the_agency() -> None:
    name = "Northbridge Council"
    assert rules.attestation_matches(
        "I sign on behalf of Northbridge Council, which agrees to abide by this protocol.", name
    )
    assert rules.attestation_matches(
        "  i sign on behalf of northbridge council,  which agrees to abide by this protocol ", name
    )
    for wrong in ("", "I agree", "I sign on behalf of Other Council, which agrees to abide by this protocol.", "lorem"):
        assert not rules.attestation_matches(wrong, name), wrong


@pytest.mark.parametrize(
    ("kind", "parent_kind", "refused"),
    [
        ("general", None, False),
        ("general", "general", True),
        ("individual", None, True),
        ("individual", "general", False),
        ("individual", "individual", True),
        ("code_of_practice", None, False),
        ("code_of_practice", "general", False),
        ("code_of_practice", "code_of_practice", True),
    ],
)
def test_only_individual_protocols_and_codes_supplement_and_only_general_ones_are_supplemented(
    kind: str, parent_kind: str | None, refused: bool
) -> None:
    assert (rules.supplement_error(kind, parent_kind) is not None) is refused


def test_completion_and_review_dates_are_plausible() -> None:
    today = date(2026, 11, 29)
    assert rules.completion_date_error(date(2031, 1, 1), today)
    assert rules.completion_date_error(date(2001, 1, 1), today)
    assert rules.completion_date_error(today, today) is None
    assert rules.review_completion_error(date(2001, 1, 1), date(2026, 1, 1), today)
    assert rules.review_completion_error(today + timedelta(days=1), None, today)
    assert rules.review_completion_error(date(2026, 6, 1), date(2026, 1, 1), today) is None


# --- Services refuse what the protocol does not allow ---------------------------------------------------------


def test_any_text_is_not_a_signature(world: World) -> None:
    protocol = fx.make_protocol("Attested Protocol")
    fx.complete_checklist(world.home)
    assert protocol.current_version is not None
    with pytest.raises(ValidationError) as refused:
        signature_sign(
            actor=world.users["agency_admin"],
            agency=world.home,
            version=protocol.current_version,
            signatory_name="Jo",
            signatory_title="Director",
            attestation="whatever",
        )
    assert rules.attestation_sentence(world.home.name) in refused.value.message_dict["attestation"][0]


def test_a_general_protocol_cannot_supplement_another(world: World) -> None:
    general = fx.make_protocol("Parent General")
    with pytest.raises(ValidationError) as refused:
        protocol_create(actor=SYSTEM, title="Second General", kind=ProtocolKind.GENERAL, parent=general, **fx.rules())
    assert "parent" in refused.value.message_dict


def test_a_protocol_is_not_put_in_force_with_a_completion_date_in_the_future(world: World) -> None:
    draft = fx.make_protocol("Future Protocol", adopt=False)
    with pytest.raises(ValidationError) as refused:
        protocol_adopt(actor=SYSTEM, protocol=draft, version=draft.versions.get(), completion_date=date(2031, 1, 1))
    assert "completion_date" in refused.value.message_dict


def test_a_review_is_not_completed_before_the_protocol_existed(world: World) -> None:
    protocol = fx.make_protocol("Reviewed Early", completion=timezone.localdate() - timedelta(days=30))
    review = protocol.reviews.get()
    with pytest.raises(ValidationError) as refused:
        review_complete(actor=SYSTEM, review=review, findings="Fine", completed_on=date(2001, 1, 1))
    assert "cannot be completed before" in refused.value.message_dict["completed_on"][0]


def test_a_version_identical_to_the_last_is_refused(world: World) -> None:
    protocol = fx.make_protocol("Unchanged Protocol")
    latest = protocol.latest_version()
    assert latest is not None
    with pytest.raises(ValidationError) as refused:
        protocol_version_create(actor=SYSTEM, protocol=protocol, text=latest.text, change_note="Nothing really")
    assert "same as version 1" in refused.value.message_dict["text"][0]


def test_minutes_go_to_the_attending_agencies_and_a_meeting_needs_attendees(world: World) -> None:
    with pytest.raises(ValidationError) as refused:
        meeting_create(actor=SYSTEM, title="Nobody came", held_on=timezone.localdate())
    assert "attendee_agencies" in refused.value.message_dict
    meeting = meeting_create(actor=SYSTEM, title="Board", held_on=timezone.localdate(), attendee_agencies=[world.home])
    meeting_record_minutes(actor=SYSTEM, meeting=meeting, minutes="Agreed the plan.")
    meeting_circulate_minutes(actor=SYSTEM, meeting=meeting)
    told = set(Notification.objects.filter(key=f"meeting:{meeting.pk}:minutes").values_list("recipient_id", flat=True))
    assert told == {world.users["agency_admin"].pk}  # the home agency's admin, though not named as a person
    assert Meeting.objects.get(pk=meeting.pk).minutes_circulated_on is not None


def test_an_agency_cannot_blank_its_ico_registration(world: World) -> None:
    admin = world.users["agency_admin"]
    expires = timezone.localdate() + timedelta(days=200)
    agency_update(
        actor=admin, agency=world.home, ico_registration_number="Z7654321", ico_registration_expires_on=expires
    )
    world.home.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        agency_update(
            actor=world.users["agency_admin"],
            agency=world.home,
            ico_registration_number="",
            ico_registration_expires_on=None,
        )
    assert "cannot be removed" in " ".join(refused.value.messages)
    world.home.refresh_from_db()
    assert (world.home.ico_registration_number, world.home.ico_registration_expires_on) == ("Z7654321", expires)


# --- Honest refusals (item 11) ------------------------------------------------------------------------------


def test_a_partnership_admin_offered_audit_notice_can_give_it(world: World) -> None:
    protocol = fx.protocol_in_force(world)
    admin = world.users["partnership_admin"]
    assert policy.can(admin, "audit", protocol)
    today = timezone.localdate()
    audit = protocol_audit_create(
        actor=admin,
        protocol=protocol,
        auditing_agency=world.other,
        scope="Consent recording",
        notice_given_on=today,
        starts_on=rules.add_months(today, 1),
        responses_due_on=rules.add_months(today, 2),
    )
    assert audit.auditing_agency == world.other
    # Through the page too: the form's choices and the service's check come from the same place.
    client = sign_in(Client(), admin)
    page = client.get(f"/protocols/{protocol.pk}/audits/new/")
    assert page.status_code == 200 and world.other.name in page.content.decode()


def test_withdrawing_a_withdrawn_signature_says_so_to_its_own_admin(world: World) -> None:
    protocol = fx.protocol_in_force(world)
    signature = protocol.signatures.get(agency=world.home, version=protocol.current_version)
    signature_withdraw(actor=SYSTEM, signature=signature, reason="Leaving")
    page = sign_in(Client(), world.users["agency_admin"]).get(f"/signatures/{signature.pk}/withdraw/")
    assert page.status_code == 403
    text = page.content.decode()
    assert "was withdrawn on" in text and "Only the agency" not in text


@pytest.mark.parametrize(
    ("role", "helper"),
    [
        ("practitioner", "ask an admin of"),
        ("agency_admin", "ask a partnership admin"),
        ("partnership_admin", "Another partnership admin has no more rights than you"),
    ],
)
def test_the_403_page_names_who_can_help_each_role(world: World, role: str, helper: str) -> None:
    protocol = fx.protocol_in_force(world)
    page = sign_in(Client(), world.users[role]).get(f"/protocols/{protocol.pk}/status/")
    if role == "partnership_admin":  # allowed here: refuse something else instead
        signature = protocol.signatures.get(agency=world.home, version=protocol.current_version)
        signature_withdraw(actor=SYSTEM, signature=signature, reason="Leaving")
        page = sign_in(Client(), world.users[role]).get(f"/signatures/{signature.pk}/withdraw/")
    assert page.status_code == 403
    assert helper in page.content.decode()
    assert "ask your agency admin" not in page.content.decode()


def test_review_actions_are_links_only_for_those_who_may_update_them(world: World) -> None:
    review = fx.review(world)
    action = fx.review_action(world)
    assert action.owner_agency == world.home and action.review == review
    link = f"/review-actions/{action.pk}/"
    assert link not in sign_in(Client(), world.users["practitioner"]).get(f"/reviews/{review.pk}/").content.decode()
    assert link in sign_in(Client(), world.users["agency_admin"]).get(f"/reviews/{review.pk}/").content.decode()


# --- The partnership's own protocol (item 13) -----------------------------------------------------------------

SOURCE_DOCUMENTS = re.compile(r"Haringey|Southampton|Buckinghamshire|Barnet|WYCPS", re.IGNORECASE)


def test_no_template_names_a_source_document() -> None:
    root = Path(__file__).resolve().parents[2]
    templates = [path for path in root.glob("**/templates/**/*.html") if ".venv" not in path.parts]
    assert templates
    assert [str(path) for path in templates if SOURCE_DOCUMENTS.search(path.read_text())] == []
    assert not SOURCE_DOCUMENTS.search(TEMPLATE_TEXT)


def test_notifications_cite_the_partnerships_own_clauses(world: World) -> None:
    protocol = fx.make_protocol("Own Clauses Protocol", completion=timezone.localdate() - timedelta(days=200))
    assert protocol.current_version is not None and protocol.current_version.clauses == DEFAULT_CLAUSES
    reviews_sweep(today=timezone.localdate())
    bodies = list(Notification.objects.values_list("subject", "body"))
    assert bodies
    assert not [body for body in bodies if SOURCE_DOCUMENTS.search(" ".join(body))]
    assert any(f"section {DEFAULT_CLAUSES['review']} of the Own Clauses Protocol" in body for _, body in bodies)
