"""The disclosures services (disclosures/services): requests refused naming the rule, answers, approval, and the
one writer of Disclosure with its re-checks, snapshot, grants, audit events, disclosure-log row and notifications
(issue 12; design12 5.2)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from agencies.models import Agency, AgencySanction
from audit.models import AuditEvent
from consent.services import consent_withdraw
from disclosures import rules
from disclosures.models import Disclosure, DisclosureSnapshot, InformationRequest, RequestAnswer
from disclosures.services import (
    request_answer_decline,
    request_approval_decline,
    request_approve,
    request_withdraw,
)
from isp_portal.models import Notification
from isp_portal.policy import NotPermitted, OutOfScope
from protocols.models import Signature
from protocols.services import signature_withdraw
from sharing.models import EntryGrant
from sharing.policy import live_grant_revisions
from sharing.services import entry_revise
from tests.consent.fixtures import parent, record
from tests.disclosures.fixtures import answer, case, refreshed, school_of, submit
from tests.factories import SYSTEM, World

pytestmark = pytest.mark.django_db


def counts() -> tuple[int, int, int]:
    return InformationRequest.objects.count(), RequestAnswer.objects.count(), Disclosure.objects.count()


def log_rows() -> list[tuple[object, ...]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT disclosure_id, event_id, legal_basis, snapshot_sha256 FROM audit_disclosure_log")
        return list(cursor.fetchall())


# --- Requesting -------------------------------------------------------------------------------------------------


def test_a_request_is_due_in_the_protocols_working_days_audited_and_the_holding_agency_told(world: World) -> None:
    made = case(world)
    request = submit(made)
    version = request.protocol_version
    assert request.state == "submitted" and request.requester_agency == school_of(world)
    assert request.due_on == rules.request_due_on(
        timezone.localdate(), version.response_working_days, nation=rules_nation()
    )
    assert AuditEvent.objects.filter(kind="request.submit", object_id=str(request.pk)).count() == 1
    assert Notification.objects.filter(key__startswith=f"request-submitted-{request.pk}-").exists()


def rules_nation() -> object:
    from disclosures.services.checks import nation

    return nation()


def test_a_purpose_the_protocol_does_not_permit_is_refused_naming_the_rule(world: World) -> None:
    made = case(world)
    before = counts()
    with pytest.raises(ValidationError) as refused:
        submit(made, purpose="Selling mailing lists")
    assert "does not permit sharing for this purpose" in str(refused.value.message_dict["purpose"])
    assert counts() == before


def test_an_agency_without_a_live_signature_is_refused(world: World) -> None:
    made = case(world)
    signature = Signature.objects.get(agency=world.home, withdrawn_at__isnull=True)
    signature_withdraw(actor=SYSTEM, signature=signature, reason="Leaving the partnership.")
    with pytest.raises(ValidationError) as refused:
        submit(made)
    assert "no protocol version in force that both have signed" in str(refused.value.message_dict["holding_agency"])


def test_a_ground_the_protocol_does_not_allow_is_refused(world: World) -> None:
    made = case(world)
    grounds = made.entry.child and refreshed(submit(made)).protocol_version.grounds_without_consent
    missing = next(ground for ground in rules.GROUNDS if ground.value not in grounds)
    with pytest.raises(ValidationError) as refused:
        submit(made, override_ground=missing.value)
    assert "does not allow sharing without consent" in str(refused.value.message_dict["override_ground"])


def test_consent_withdrawn_a_minute_ago_refuses_the_request(world: World) -> None:
    made = case(world)
    school = school_of(world)
    consent = record(world, made.child, tiers=["minimum", "sensitive"], recipients=[school], **parent())
    consent_withdraw(
        actor=made.user("practitioner"), consent=consent, withdrawn_on=timezone.localdate(), reason="Changed mind."
    )
    with pytest.raises(ValidationError) as refused:
        submit(made, consent_basis="consent", consent=consent, override_ground="")
    assert "withdrawn" in str(refused.value.message_dict["consent"]).lower()


def test_asking_your_own_agency_is_refused(world: World) -> None:
    made = case(world)
    with pytest.raises(ValidationError):
        submit(made, by="practitioner")


def test_a_child_out_of_reach_is_404(world: World) -> None:
    made = case(world, shielded=True)
    with pytest.raises(OutOfScope):
        submit(made, by="school")


# --- Answering and approval ---------------------------------------------------------------------------------------


def test_consent_withdrawn_after_the_request_stops_the_disclosure_and_names_it(world: World) -> None:
    made = case(world)
    consent = record(world, made.child, tiers=["minimum", "sensitive"], recipients=[school_of(world)], **parent())
    request = submit(made, consent_basis="consent", consent=consent, override_ground="")
    consent_withdraw(
        actor=made.user("practitioner"), consent=consent, withdrawn_on=timezone.localdate(), reason="Changed mind."
    )
    with pytest.raises(ValidationError) as refused:
        answer(made, request, legal_basis="explicit_consent")
    assert "withdrawn" in str(refused.value).lower()
    assert refreshed(request).state == "submitted"
    assert not Disclosure.objects.exists() and not RequestAnswer.objects.exists()


def test_consent_covering_shares_at_once_without_approval(world: World) -> None:
    made = case(world)
    consent = record(world, made.child, tiers=["minimum", "sensitive"], recipients=[school_of(world)], **parent())
    request = submit(made, consent_basis="consent", consent=consent, override_ground="")
    disclosure = answer(made, request, legal_basis="explicit_consent", decision=rules_decision())
    assert isinstance(disclosure, Disclosure)
    assert disclosure.approver_id is None and disclosure.consent_id == consent.pk


def rules_decision() -> object:
    from disclosures.services import DecisionInput

    return DecisionInput(why_shared="Consent covers it.")


def test_approval_makes_the_disclosure_with_snapshot_log_audit_and_notifications(world: World) -> None:
    made = case(world)
    request = submit(made)
    answer(made, request)
    assert Notification.objects.filter(key=f"approval-{request.pk}-{world.users['designated_manager'].pk}").exists()
    disclosure = request_approve(actor=made.user("designated_manager"), request=request)
    request = refreshed(request)
    assert request.state == "shared" and request.approver_id == world.users["designated_manager"].pk
    assert disclosure.approver_id == world.users["designated_manager"].pk
    assert disclosure.discloser_id == world.users["practitioner"].pk
    snapshot = DisclosureSnapshot.objects.get(disclosure=disclosure)
    assert rules.snapshot_sha256(snapshot.document) == disclosure.snapshot_sha256
    [entry] = snapshot.document["entries"]
    assert entry["revision"]["text"] == "Mother's partner threatened the child."
    event = AuditEvent.objects.get(kind="disclosure.make", object_id=str(disclosure.pk))
    assert event.detail["snapshot_sha256"] == disclosure.snapshot_sha256
    assert log_rows() == [(disclosure.pk, event.pk, "significant_harm", disclosure.snapshot_sha256)]
    assert Notification.objects.filter(key=f"disclosure-{disclosure.pk}-{world.users['school'].pk}").exists()


def test_a_later_correction_never_changes_what_was_disclosed(world: World) -> None:
    made = case(world)
    request = submit(made)
    answer(made, request)
    disclosure = request_approve(actor=made.user("designated_manager"), request=request)
    entry_revise(
        actor=made.user("practitioner"), entry=made.entry, fields={}, text="Corrected note.", basis="fact",
        reason="Typo.",
    )  # fmt: skip
    snapshot = DisclosureSnapshot.objects.get(disclosure=disclosure)
    assert snapshot.document["entries"][0]["revision"]["text"] == "Mother's partner threatened the child."
    assert rules.snapshot_sha256(snapshot.document) == disclosure.snapshot_sha256


def test_a_ground_the_consent_basis_does_not_support_is_refused(world: World) -> None:
    made = case(world)
    request = submit(made)
    before = counts()
    with pytest.raises(ValidationError) as refused:
        answer(made, request, legal_basis="explicit_consent")
    assert "no consent to share on" in str(refused.value.message_dict["legal_basis"])
    assert counts() == before


def test_an_entry_of_a_kind_not_asked_for_is_refused(world: World) -> None:
    made = case(world)
    request = submit(made, tiers=["minimum"], categories=[])
    with pytest.raises(ValidationError) as refused:
        answer(made, request)
    assert "kinds of information asked for" in str(refused.value.message_dict["entries"])


def test_a_second_answer_is_refused_as_already_answered(world: World) -> None:
    made = case(world)
    request = submit(made)
    answer(made, request)
    with pytest.raises(NotPermitted) as refused:
        answer(made, request, by="restricted")
    assert "already" in refused.value.reason or "waiting for a designated manager" in refused.value.reason
    assert RequestAnswer.objects.count() == 1


def test_the_requester_cannot_approve_in_the_service(world: World) -> None:
    made = case(world)
    request = submit(made)
    answer(made, request)
    with pytest.raises(NotPermitted):
        request_approve(actor=made.user("school"), request=request)
    assert refreshed(request).state == "awaiting_approval"


def test_approval_refused_when_the_holding_agency_withdrew_its_signature_nothing_written(world: World) -> None:
    made = case(world)
    request = submit(made)
    answer(made, request)
    signature = Signature.objects.get(agency=world.home, withdrawn_at__isnull=True)
    signature_withdraw(actor=SYSTEM, signature=signature, reason="Leaving the partnership.")
    with pytest.raises((ValidationError, NotPermitted, OutOfScope)):
        request_approve(actor=made.user("designated_manager"), request=request)
    assert refreshed(request).state == "awaiting_approval" and not Disclosure.objects.exists()


def test_decline_is_recorded_and_the_requester_told(world: World) -> None:
    made = case(world)
    request = submit(made)
    declined = request_answer_decline(
        actor=made.user("practitioner"), request=request, reason="not_proportionate", detail="Too broad."
    )
    assert declined.state == "declined" and refreshed(request).decline_reason == "not_proportionate"
    assert AuditEvent.objects.filter(kind="request.decline", object_id=str(request.pk)).exists()
    assert Notification.objects.filter(key=f"request-declined-{request.pk}-{world.users['school'].pk}").exists()
    with pytest.raises(NotPermitted):
        answer(made, request)  # never both declined and shared


def test_a_manager_declines_approval_with_reasons(world: World) -> None:
    made = case(world)
    request = submit(made)
    answer(made, request)
    with pytest.raises(ValidationError):
        request_approval_decline(actor=made.user("designated_manager"), request=request, reason="  ")
    declined = request_approval_decline(
        actor=made.user("designated_manager"), request=request, reason="Not proportionate yet."
    )
    assert declined.state == "declined" and declined.decline_reason == "manager_declined"
    assert not Disclosure.objects.exists()


def test_the_requester_withdraws_and_it_cannot_be_answered(world: World) -> None:
    made = case(world)
    request = submit(made)
    request_withdraw(actor=made.user("school"), request=request, reason="No longer needed.")
    assert refreshed(request).state == "withdrawn"
    with pytest.raises(NotPermitted):
        answer(made, request)


def test_retain_until_in_the_past_is_refused(world: World) -> None:
    made = case(world)
    request = submit(made)
    with pytest.raises(ValidationError) as refused:
        answer(made, request, retain_until=timezone.now() - timedelta(days=1))
    assert "retain_until" in refused.value.message_dict


def test_a_recipient_of_another_agency_is_refused(world: World) -> None:
    made = case(world)
    request = submit(made)
    with pytest.raises(ValidationError) as refused:
        answer(made, request, recipients=[made.user("other_agency")])
    assert "not one of the people" in str(refused.value.message_dict["recipients"])


# --- The one question to the agencies layer, and the grants (h/req12b) ----------------------------------------------


def sanction(agency: Agency, direction: str) -> None:
    AgencySanction.objects.create(
        agency=agency, scope="sensitive_tier", direction=direction, from_on=timezone.localdate() - timedelta(days=1),
        reason="A breach of the protocol.", breach_reference="BR-1",
    )  # fmt: skip


def test_a_sanctioned_holding_agency_cannot_be_asked_for_sensitive_information(world: World) -> None:
    made = case(world)
    sanction(world.home, "send")
    with pytest.raises(ValidationError) as refused:
        submit(made)
    assert (
        "BR-1" in str(refused.value)
        or "sanction" in str(refused.value).lower()
        or "suspend" in str(refused.value).lower()
    )
    assert submit(made, tiers=["minimum"], categories=[]).state == "submitted"  # the minimum data still flows


def test_a_sanction_after_the_answer_stops_the_approval_and_nothing_is_written(world: World) -> None:
    made = case(world)
    request = submit(made)
    answer(made, request)
    sanction(school_of(world), "receive")
    with pytest.raises(ValidationError):
        request_approve(actor=made.user("designated_manager"), request=request)
    assert refreshed(request).state == "awaiting_approval" and not Disclosure.objects.exists()


def test_the_recipient_is_granted_the_disclosed_revision_and_a_correction_opens_the_corrected_one(
    world: World,
) -> None:
    # What was disclosed stays the revision disclosed (the grant and the snapshot); a correction of it is told to the
    # recipient and opens the corrected revision beside it (issue 13, design Q5: Southampton 9's corrective action,
    # sharing.services.grants_corrected), by a twin grant of the same disclosure, never by changing the first.
    made = case(world)
    request = submit(made)
    answer(made, request)
    disclosure = request_approve(actor=made.user("designated_manager"), request=request)
    disclosed = disclosure.entries.get().revision_id
    corrected = entry_revise(
        actor=made.user("practitioner"), entry=made.entry, fields={}, text="Corrected note.", basis="fact",
        reason="Typo.",
    )  # fmt: skip
    granted = live_grant_revisions(made.user("school"), [made.entry.pk])
    assert granted == {made.entry.pk: frozenset({disclosed, corrected.pk})}
    grants = EntryGrant.objects.filter(disclosure_id=disclosure.pk).order_by("pk")
    school = world.users["school"].pk
    assert [(grant.user_id, grant.revision_id) for grant in grants] == [(school, disclosed), (school, corrected.pk)]
    assert disclosure.entries.get().revision_id == disclosed


def test_a_request_is_told_to_the_holding_agencys_lead_professional_for_the_child(world: World) -> None:
    """The holding agency's lead professional for the child is told (a Membership: the notice goes to its person,
    never to a user whose id happens to equal the membership's)."""
    from agencies.models import Membership
    from sharing.services import involvement_add

    made = case(world)
    lead = Membership.objects.get(user=made.user("second_manager"), agency=made.world.home)
    involvement_add(
        actor=made.user("practitioner"), child=made.child, agency=made.world.home, service="Early help",
        lead_professional=lead,
    )  # fmt: skip
    request = submit(made, by="school")
    told = set(
        Notification.objects.filter(key__startswith=f"request-submitted-{request.pk}-").values_list(
            "recipient_id", flat=True
        )
    )
    assert told == {lead.user_id}
    body = Notification.objects.get(recipient_id=lead.user_id, key__startswith="request-submitted-").body
    assert "The answer is due by" in body and request.due_on.isoformat() not in body
