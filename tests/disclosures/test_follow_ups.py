"""Disclosures without a request (an emergency disclosure, a proactive referral) and what follows a disclosure (the
review of an emergency one, revocation) - issue 12; design12 5.2."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from audit.models import AuditEvent
from disclosures.models import Disclosure, DisclosureEvent, InformationRequest
from disclosures.services import (
    disclosure_emergency,
    disclosure_refer,
    disclosure_review,
    disclosure_revoke,
    request_approve,
)
from isp_portal.models import Notification
from isp_portal.policy import NotPermitted, can
from sharing.policy import may_read_entry
from tests.disclosures.fixtures import HARM, PURPOSE, Case, case, school_of
from tests.factories import World

pytestmark = pytest.mark.django_db


def emergency(made: Case, **values: Any) -> Disclosure:
    values.setdefault("reason", "immediate_risk_of_harm")
    values.setdefault("legal_basis", "significant_harm")
    return disclosure_emergency(
        actor=made.user("practitioner"), child=made.child, to_agency=school_of(made.world),
        recipients=[made.user("school")], decision=HARM, purpose=PURPOSE, tiers=["minimum", "sensitive"],
        categories=["case_note"], entries=[made.entry], **values,
    )  # fmt: skip


def log_kinds(disclosure: Disclosure) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT kind FROM audit_disclosure_log WHERE disclosure_id = %s ORDER BY id", [disclosure.pk])
        return [row[0] for row in cursor.fetchall()]


def test_an_emergency_disclosure_is_made_at_once_and_the_managers_alerted(world: World) -> None:
    made = case(world)
    disclosure = emergency(made)
    assert disclosure.kind == "emergency" and disclosure.approver_id is None
    assert disclosure.review_due_at is not None and disclosure.review_due_at > disclosure.made_at
    assert may_read_entry(made.user("school"), made.entry)
    assert Notification.objects.filter(key=f"emergency-{disclosure.pk}-{world.users['designated_manager'].pk}").exists()
    assert AuditEvent.objects.filter(kind="disclosure.emergency", object_id=str(disclosure.pk)).exists()
    assert InformationRequest.objects.get(pk=disclosure.request_id).due_on is None


def test_an_emergency_rests_only_on_urgent_treatment_or_significant_harm(world: World) -> None:
    made = case(world)
    with pytest.raises(ValidationError) as refused:
        emergency(made, legal_basis="crime_prevention")
    assert "legal_basis" in refused.value.message_dict
    assert not InformationRequest.objects.exists()


def test_the_review_is_by_another_designated_manager_once(world: World) -> None:
    made = case(world)
    disclosure = emergency(made)
    with pytest.raises(NotPermitted):
        disclosure_review(actor=made.user("practitioner"), disclosure=disclosure, outcome="endorsed")
    event = disclosure_review(actor=made.user("designated_manager"), disclosure=disclosure, outcome="endorsed")
    assert event.kind == "reviewed"
    with pytest.raises(NotPermitted):
        disclosure_review(actor=made.user("second_manager"), disclosure=disclosure, outcome="endorsed")
    assert log_kinds(disclosure) == ["made", "reviewed"]


def test_revocation_cuts_access_at_once(world: World) -> None:
    made = case(world)
    disclosure = emergency(made)
    assert can(made.user("school"), "read_content", disclosure)
    with pytest.raises(NotPermitted):
        disclosure_revoke(actor=made.user("practitioner"), disclosure=disclosure, reason="Sent in error.")
    with pytest.raises(ValidationError):
        disclosure_revoke(actor=made.user("designated_manager"), disclosure=disclosure, reason=" ")
    disclosure_revoke(actor=made.user("designated_manager"), disclosure=disclosure, reason="Sent in error.")
    assert not may_read_entry(made.user("school"), made.entry)
    assert not can(made.user("school"), "read_content", disclosure)
    assert can(made.user("school"), "view", disclosure)  # what was disclosed to them stays on record
    assert DisclosureEvent.objects.filter(disclosure=disclosure, kind="revoked").count() == 1
    assert log_kinds(disclosure) == ["made", "revoked"]
    assert Notification.objects.filter(key=f"disclosure-revoked-{disclosure.pk}-{world.users['school'].pk}").exists()


def test_a_proactive_referral_of_sensitive_information_without_consent_waits_for_approval(world: World) -> None:
    made = case(world)
    referral = disclosure_refer(
        actor=made.user("practitioner"), child=made.child, to_agency=school_of(world),
        recipients=[made.user("school")], purpose=PURPOSE, tiers=["minimum", "sensitive"], categories=["case_note"],
        entries=[made.entry], why="The school should know to keep the child safe.", consent_basis="refused",
        override_ground="significant_harm", legal_basis="significant_harm", decision=HARM, subject_told="not_safe",
        subject_not_told_reason="Telling the parent would put the child at risk.",
    )  # fmt: skip
    assert isinstance(referral, InformationRequest) and referral.state == "awaiting_approval"
    assert referral.kind == "proactive" and referral.answered_by_id == referral.requester_id
    with pytest.raises(NotPermitted):
        request_approve(actor=made.user("practitioner"), request=referral)
    disclosure = request_approve(actor=made.user("designated_manager"), request=referral)
    assert disclosure.kind == "proactive" and disclosure.to_agency_id == school_of(world).pk
    assert may_read_entry(made.user("school"), made.entry)
