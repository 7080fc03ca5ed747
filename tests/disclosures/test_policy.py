"""Who sees and does what with requests and disclosures (disclosures/policy.py; issue 12; DESIGN 3.2), walked through
the issue's scenario: a school practitioner asks children's social care for sensitive information about a child
whose parent refused consent; it is answered on significant harm; the designated manager approves; the requester
sees exactly what was shared, an unnamed colleague none of it, the police nothing sensitive."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from disclosures.models import Disclosure, InformationRequest
from disclosures.services import request_approve
from isp_portal.policy import NotPermitted, OutOfScope, can, get_or_deny, require, restrict
from sharing.policy import may_read_entry
from tests.disclosures.fixtures import answer, case, disclosure_of, refreshed, submit
from tests.factories import World

pytestmark = pytest.mark.django_db


def test_the_issue_scenario_requester_sees_exactly_what_was_shared(world: World) -> None:
    made = case(world)
    request = submit(made)
    school, colleague, police = made.user("school"), made.user("school_colleague"), made.user("other_agency")
    answered = answer(made, request)
    assert isinstance(answered, InformationRequest) and answered.state == "awaiting_approval"
    assert not may_read_entry(made.user("school"), made.entry)  # nothing before approval
    disclosure = request_approve(actor=made.user("designated_manager"), request=request, note="Proportionate.")
    assert refreshed(request).state == "shared"
    # The requester: the disclosure's page and its content; the entry itself, through the grant.
    assert can(school, "view", disclosure) and can(school, "read_content", disclosure)
    assert may_read_entry(made.user("school"), made.entry)
    assert [row.entry_id for row in disclosure.entries.all()] == [made.entry.pk]
    # An unnamed colleague of the same school: none of it (the disclosure is not even there: 404).
    assert not restrict(colleague, "view", Disclosure).exists()
    with pytest.raises(OutOfScope):
        require(colleague, "read_content", disclosure)
    assert not may_read_entry(colleague, made.entry)
    assert not restrict(colleague, "view", InformationRequest).exists()
    # The police: nothing sensitive.
    assert not restrict(police, "view", Disclosure).exists()
    assert not may_read_entry(police, made.entry)
    with pytest.raises(OutOfScope):
        get_or_deny(police, Disclosure, pk=disclosure.pk)


def test_the_requester_may_not_approve_their_own_request_and_is_told_why(world: World) -> None:
    made = case(world)
    request = submit(made, by="school")
    answer(made, request)
    with pytest.raises(NotPermitted) as refused:
        require(made.user("school"), "approve", refreshed(request))
    assert refused.value.reason == (
        "Only a designated manager of the agency that holds the information can approve sharing it."
    )


def test_a_designated_manager_who_answered_may_not_approve(world: World) -> None:
    made = case(world)
    request = submit(made)
    answer(made, request, by="designated_manager")
    with pytest.raises(NotPermitted) as refused:
        require(made.user("designated_manager"), "approve", refreshed(request))
    assert "You answered this request" in refused.value.reason
    assert can(made.user("second_manager"), "approve", refreshed(request))


def test_a_practitioner_is_not_a_designated_manager(world: World) -> None:
    made = case(world)
    request = submit(made)
    answer(made, request, by="restricted")
    with pytest.raises(NotPermitted) as refused:
        require(made.user("practitioner"), "approve", refreshed(request))
    assert "designated manager" in refused.value.reason


def test_another_agency_id_is_out_of_scope_and_the_denial_names_the_child(world: World) -> None:
    made = case(world)
    request = submit(made)
    with pytest.raises(OutOfScope) as refused:
        get_or_deny(made.user("other_agency"), InformationRequest, action="answer", pk=request.pk)
    assert refused.value.child_id == made.child.pk


def test_the_requester_cannot_answer_and_the_holding_agency_can(world: World) -> None:
    made = case(world)
    request = submit(made)
    with pytest.raises(NotPermitted):
        require(made.user("school"), "answer", request)
    assert can(made.user("practitioner"), "answer", request)
    assert can(made.user("school"), "withdraw", request)
    assert not can(made.user("practitioner"), "withdraw", request)


def test_auditors_see_the_metadata_never_the_content(world: World) -> None:
    made = case(world)
    request = submit(made)
    answer(made, request)
    disclosure = request_approve(actor=made.user("designated_manager"), request=request)
    auditor = made.user("auditor")
    assert restrict(auditor, "view", Disclosure).filter(pk=disclosure.pk).exists()
    assert not can(auditor, "read_content", disclosure)


def test_a_denial_recorded_once_is_audited(world: World) -> None:
    from isp_portal.policy import record_denial

    made = case(world)
    request = submit(made)
    try:
        require(made.user("school"), "answer", request)
    except NotPermitted as denial:
        record_denial(denial, user=made.user("school"))
    assert AuditEvent.objects.filter(kind="access.denied", object_id=str(request.pk)).count() == 1


def test_disclosure_of_helper_finds_the_disclosure(world: World) -> None:
    made = case(world)
    request = submit(made, tiers=["minimum"], categories=[])
    disclosure = answer(made, request, entries=[])
    assert isinstance(disclosure, Disclosure)  # the minimum data on a ground: no approval needed
    assert disclosure_of(request).pk == disclosure.pk
