"""Protocol test data, built through the services (so rules and audit run): a protocol in force signed by
both of the World's agencies, with a second version, a consultation, a review, an audit and a meeting."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from agencies.models import Agency, SignatoryRequirement
from agencies.services import checklist_confirm
from protocols.models import Consultation, Meeting, Protocol, ProtocolAudit, Review, ReviewAction, Signature
from protocols.reference import protocol_template
from protocols.services import (
    audit_extract_share,
    consultation_open,
    meeting_create,
    protocol_adopt,
    protocol_audit_create,
    protocol_create,
    protocol_version_create,
    review_action_add,
    signature_sign,
)
from tests.factories import SYSTEM, World

PURPOSE = "Ensure that children and young people are adequately safeguarded"


def complete_checklist(agency: Agency, on: date | None = None) -> None:
    """Southampton 18: an agency confirms every requirement before it can sign."""
    confirmed_on = on or timezone.localdate() - timedelta(days=10)
    for requirement in SignatoryRequirement.objects.filter(is_active=True):
        checklist_confirm(actor=SYSTEM, agency=agency, requirement=requirement, confirmed_on=confirmed_on)


def rules(**overrides: Any) -> dict[str, Any]:
    values = {
        key: value
        for key, value in protocol_template().items()
        if key not in {"first_review_months", "review_every_months"}
    }
    values.update(overrides)
    return values


def make_protocol(
    title: str = "Test Protocol", *, adopt: bool = True, completion: date | None = None, **overrides: Any
) -> Protocol:
    protocol = protocol_create(actor=SYSTEM, title=title, kind="general", change_note="First", **rules(**overrides))
    if adopt:
        protocol_adopt(actor=SYSTEM, protocol=protocol, version=protocol.versions.get(), completion_date=completion)
        protocol.refresh_from_db()
    return protocol


def sign(protocol: Protocol, agency: Agency, actor: Any = SYSTEM) -> Signature:
    assert protocol.current_version is not None
    return signature_sign(
        actor=actor,
        agency=agency,
        version=protocol.current_version,
        signatory_name="A Director",
        signatory_title="Director",
        attestation=f"I sign on behalf of {agency}, which agrees to abide by this protocol.",
    )


def protocol_in_force(world: World) -> Protocol:
    """Cached per World: in force, signed by home and other, with version 2 drafted."""
    if "protocol" not in world.objects:
        complete_checklist(world.home)
        complete_checklist(world.other)
        protocol = make_protocol("World Protocol")
        sign(protocol, world.home)
        sign(protocol, world.other)
        protocol_version_create(
            actor=SYSTEM,
            protocol=protocol,
            text=protocol.versions.get().text,
            change_note="Faster responses",
            response_working_days=5,
        )
        world.objects["protocol"] = protocol
    in_force: Protocol = world.objects["protocol"]
    return in_force


def draft_protocol(world: World) -> Protocol:
    if "draft" not in world.objects:
        world.objects["draft"] = make_protocol("Draft Protocol", adopt=False)
    draft: Protocol = world.objects["draft"]
    return draft


def consultation(world: World) -> Consultation:
    if "consultation" not in world.objects:
        protocol = protocol_in_force(world)
        latest = protocol.versions.order_by("-number").first()
        assert latest is not None
        world.objects["consultation"] = consultation_open(
            actor=SYSTEM, protocol=protocol, version=latest, working_days=10
        )
    result: Consultation = world.objects["consultation"]
    return result


def review(world: World) -> Review:
    return Review.objects.filter(protocol=protocol_in_force(world)).order_by("number").first()  # type: ignore[return-value]


def review_action(world: World) -> ReviewAction:
    if "action" not in world.objects:
        world.objects["action"] = review_action_add(
            actor=SYSTEM,
            review=review(world),
            description="Update leaflet",
            owner_agency=world.home,
            due_on=timezone.localdate() + timedelta(days=30),
        )
    action: ReviewAction = world.objects["action"]
    return action


def protocol_audit(world: World) -> ProtocolAudit:
    if "audit" not in world.objects:
        today = timezone.localdate()
        audit = protocol_audit_create(
            actor=SYSTEM,
            protocol=protocol_in_force(world),
            auditing_agency=world.other,
            scope="Consent recording",
            notice_given_on=today,
            starts_on=today + timedelta(days=40),
            responses_due_on=today + timedelta(days=90),
        )
        world.objects["audit"] = audit
        world.objects["extract"] = audit_extract_share(
            actor=SYSTEM, audit=audit, title="Finding 1", text="Home records consent well.", named_agencies=[world.home]
        )
    result: ProtocolAudit = world.objects["audit"]
    return result


def meeting(world: World) -> Meeting:
    if "meeting" not in world.objects:
        world.objects["meeting"] = meeting_create(
            actor=SYSTEM,
            title="Board",
            held_on=timezone.localdate(),
            attendee_agencies=[world.home],
            attendees=[world.users["agency_admin"]],
            agenda=[("Welcome", None)],
        )
    result: Meeting = world.objects["meeting"]
    return result
