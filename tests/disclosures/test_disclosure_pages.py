"""The approvals and disclosure pages as people meet them (issue 12: "Designated-manager approval", "Disclosures"):
the issue's check walked through the pages - a school practitioner asks children's social care for a case note, the
parent having refused consent; a practitioner there answers on significant harm; their designated manager approves
from the approvals page; the requester sees exactly what was shared at the revision shared and nothing more, an
unnamed colleague none of it, the police nothing - and every refusal on the page that asked."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from agencies.models import AgencyStatus
from agencies.services import agency_status_change
from audit.models import AuditEvent
from disclosures.models import Disclosure, DisclosureEvent, InformationRequest
from disclosures.services import disclosure_emergency, request_approve
from sharing.services import entry_record
from sharing.services.entries import entry_revise
from tests.disclosures.fixtures import HARM, PURPOSE, Case, answer, case, refreshed, school_of, submit
from tests.factories import SYSTEM, World, sign_in

pytestmark = pytest.mark.django_db

NOTE = escape("Mother's partner threatened the child.")


def as_user(made: Case, role: str) -> Client:
    return sign_in(Client(), made.user(role))


def waiting(made: Case, *, by: str = "practitioner") -> InformationRequest:
    request = submit(made)
    answer(made, request, by=by)
    return refreshed(request)


def approval_url(request: InformationRequest) -> str:
    return reverse("request-approval", args=[request.pk])


def disclosure_url(disclosure: Disclosure) -> str:
    return reverse("disclosure-detail", args=[disclosure.pk])


def read(client: Client, disclosure: Disclosure) -> Any:
    """The disclosure's page once the reader has said why they read it (the page asks first)."""
    assert client.post(disclosure_url(disclosure), {"purpose": PURPOSE}).status_code == 302
    return client.get(disclosure_url(disclosure))


def text_of(response: Any) -> str:
    return response.content.decode()


def test_the_issue_check_the_manager_approves_and_the_requester_sees_exactly_what_was_shared(world: World) -> None:
    made = case(world)
    undisclosed = entry_record(
        actor=made.user("practitioner"), child=made.child, agency=world.home, category="case_note", fields={},
        text="A note the answer did not choose.", basis="fact",
    )  # fmt: skip
    request = waiting(made)
    manager = as_user(made, "designated_manager")

    queue = manager.get(reverse("approvals"))
    assert queue.status_code == 200 and approval_url(request) in text_of(queue)
    page = manager.get(approval_url(request))
    assert page.status_code == 200
    for words in (NOTE, "asking again would put the child at risk", "Sam Teacher", "Risk of significant harm"):
        assert words in text_of(page), words
    assert "A note the answer did not choose." not in text_of(page)

    approved = manager.post(approval_url(request), {"decision": "approve", "note": "Proportionate to the risk."})
    disclosure = Disclosure.objects.get(request=request)
    assert approved.status_code == 302 and approved["Location"] == disclosure_url(disclosure)
    assert refreshed(request).state == "shared" and disclosure.approver_id == made.user("designated_manager").pk

    # A correction after the disclosure changes nothing of what was disclosed.
    entry_revise(
        actor=made.user("practitioner"), entry=made.entry, fields={}, text="Corrected after the disclosure.",
        basis="fact", reason="A correction.",
    )  # fmt: skip
    school = as_user(made, "school")
    received = school.get(reverse("disclosures-received"))
    assert received.status_code == 200 and disclosure_url(disclosure) in text_of(received)
    asked = school.get(disclosure_url(disclosure))
    assert asked.status_code == 200 and NOTE not in text_of(asked) and 'name="purpose"' in text_of(asked)
    shown = read(school, disclosure)
    assert shown.status_code == 200
    assert NOTE in text_of(shown) and "revision 1" in text_of(shown)
    assert "Corrected after the disclosure." not in text_of(shown)
    assert "A note the answer did not choose." not in text_of(shown)
    assert f"entry {undisclosed.pk}," not in text_of(shown) and f"entry {undisclosed.pk})" not in text_of(shown)
    assert "Verified" in text_of(shown) and disclosure.snapshot_sha256 in text_of(shown)
    viewed = AuditEvent.objects.filter(kind="disclosure.view", object_id=str(disclosure.pk)).order_by("-pk").first()
    assert viewed is not None and viewed.purpose == PURPOSE

    # An unnamed colleague at the school: nothing (not even that it exists), and nothing received.
    colleague = as_user(made, "school_colleague")
    assert colleague.get(disclosure_url(disclosure)).status_code == 404
    assert disclosure_url(disclosure) not in text_of(colleague.get(reverse("disclosures-received")))
    # The police: nothing of it.
    police = as_user(made, "other_agency")
    assert police.get(disclosure_url(disclosure)).status_code == 404
    assert NOTE not in text_of(police.get(reverse("disclosures-received")))
    assert police.get(approval_url(request)).status_code == 404


def test_the_auditor_reads_the_metadata_never_the_content(world: World) -> None:
    made = case(world)
    request = waiting(made)
    disclosure = request_approve(actor=made.user("designated_manager"), request=request)
    page = as_user(made, "auditor").get(disclosure_url(disclosure))
    assert page.status_code == 200
    assert "Risk of significant harm" in text_of(page) and disclosure.snapshot_sha256 in text_of(page)
    assert NOTE not in text_of(page)


def test_another_agency_disclosure_id_is_404_and_recorded(world: World) -> None:
    made = case(world)
    disclosure = request_approve(actor=made.user("designated_manager"), request=waiting(made))
    police = as_user(made, "other_agency")
    for url in (
        disclosure_url(disclosure),
        reverse("disclosure-revoke", args=[disclosure.pk]),
        reverse("disclosure-detail", args=[disclosure.pk + 1000]),
    ):
        response = police.get(url)
        assert response.status_code == 404, url
        assert AuditEvent.objects.filter(kind="access.denied", request_id=response["X-Request-ID"]).exists()


def test_approving_a_request_you_answered_is_refused_with_the_rule(world: World) -> None:
    made = case(world)
    request = waiting(made, by="designated_manager")
    manager = as_user(made, "designated_manager")
    queue = text_of(manager.get(reverse("approvals")))
    assert "You cannot approve this" in queue and approval_url(request) not in queue
    refused = manager.post(approval_url(request), {"decision": "approve", "note": ""})
    assert refused.status_code == 403
    assert "You answered this request, so another designated manager must approve it" in text_of(refused)
    assert refreshed(request).state == "awaiting_approval" and not Disclosure.objects.filter(request=request).exists()
    # The requester is refused too, and another designated manager may approve.
    assert as_user(made, "school").post(approval_url(request), {"decision": "approve"}).status_code == 403
    assert refreshed(request).state == "awaiting_approval"
    assert as_user(made, "second_manager").post(approval_url(request), {"decision": "approve"}).status_code == 302
    assert refreshed(request).state == "shared"


def test_a_practitioner_is_told_only_designated_managers_approve(world: World) -> None:
    made = case(world)
    request = waiting(made)
    practitioner = as_user(made, "practitioner")
    assert practitioner.get(reverse("approvals")).status_code == 403
    refused = practitioner.get(approval_url(request))
    assert refused.status_code == 403 and "You cannot do this" in text_of(refused)


def test_declining_needs_reasons_and_is_recorded(world: World) -> None:
    made = case(world)
    request = waiting(made)
    manager = as_user(made, "designated_manager")
    missing = manager.post(approval_url(request), {"decision": "decline", "note": ""})
    assert missing.status_code == 200
    assert "Say why you do not approve sharing this" in text_of(missing)
    assert refreshed(request).state == "awaiting_approval"
    nothing = manager.post(approval_url(request), {})
    assert nothing.status_code == 200 and "govuk-error-summary" in text_of(nothing)
    declined = manager.post(approval_url(request), {"decision": "decline", "note": "Not proportionate."})
    assert declined.status_code == 302 and declined["Location"] == reverse("approvals")
    after = refreshed(request)
    assert after.state == "declined" and after.decline_reason == "manager_declined"
    assert after.decline_detail == "Not proportionate."


def test_revoking_from_the_page_ends_the_recipients_access(world: World) -> None:
    made = case(world)
    disclosure = request_approve(actor=made.user("designated_manager"), request=waiting(made))
    manager = as_user(made, "designated_manager")
    page = text_of(manager.get(disclosure_url(disclosure)))
    assert reverse("disclosure-revoke", args=[disclosure.pk]) in page
    assert reverse("disclosure-review", args=[disclosure.pk]) not in page  # only emergency disclosures
    empty = manager.post(reverse("disclosure-revoke", args=[disclosure.pk]), {"reason": ""})
    assert empty.status_code == 200 and not DisclosureEvent.objects.filter(disclosure=disclosure).exists()
    done = manager.post(reverse("disclosure-revoke", args=[disclosure.pk]), {"reason": "Sent to the wrong school."})
    assert done.status_code == 302
    shown = text_of(read(as_user(made, "school"), disclosure))
    assert "Revoked" in shown and NOTE not in shown and "Sent to the wrong school." in shown
    again = manager.get(reverse("disclosure-revoke", args=[disclosure.pk]))
    assert again.status_code == 403 and "already been revoked" in text_of(again)


def test_an_emergency_disclosure_is_reviewed_by_another_manager(world: World) -> None:
    made = case(world)
    disclosure = disclosure_emergency(
        actor=made.user("practitioner"), child=made.child, to_agency=school_of(world),
        recipients=[made.user("school")], reason="immediate_risk_of_harm", legal_basis="significant_harm",
        decision=HARM, purpose=PURPOSE, tiers=["minimum", "sensitive"], categories=["case_note"],
        entries=[made.entry],
    )  # fmt: skip
    manager = as_user(made, "designated_manager")
    queue = text_of(manager.get(reverse("approvals")))
    assert disclosure_url(disclosure) in queue and "Emergency disclosures to review" in queue
    review = reverse("disclosure-review", args=[disclosure.pk])
    assert review in text_of(manager.get(disclosure_url(disclosure)))
    concerns = manager.post(review, {"outcome": "concerns_raised", "note": ""})
    assert concerns.status_code == 200 and "Say what you found." in text_of(concerns)
    assert manager.post(review, {"outcome": "endorsed", "note": "Right call."}).status_code == 302
    assert DisclosureEvent.objects.filter(disclosure=disclosure, kind="reviewed", outcome="endorsed").exists()
    assert "Reviewed by" in text_of(manager.get(disclosure_url(disclosure)))


def test_the_sent_list_shows_what_the_agency_disclosed(world: World) -> None:
    made = case(world)
    disclosure = request_approve(actor=made.user("designated_manager"), request=waiting(made))
    assert disclosure_url(disclosure) in text_of(as_user(made, "practitioner").get(reverse("disclosures-sent")))
    assert disclosure_url(disclosure) not in text_of(as_user(made, "school").get(reverse("disclosures-sent")))


def test_an_approval_the_rules_no_longer_allow_is_refused_on_the_page_nothing_written(world: World) -> None:
    """Everything is checked again when the manager approves (design12 F4): the school suspended meanwhile may not
    receive, so the page says why and the request still waits."""
    made = case(world)
    request = waiting(made)
    agency_status_change(actor=SYSTEM, agency=school_of(world), to_status=AgencyStatus.SUSPENDED, reason="Breach")
    refused = as_user(made, "designated_manager").post(approval_url(request), {"decision": "approve", "note": ""})
    assert refused.status_code == 200 and "There is a problem" in text_of(refused)
    assert refreshed(request).state == "awaiting_approval" and not Disclosure.objects.filter(request=request).exists()
