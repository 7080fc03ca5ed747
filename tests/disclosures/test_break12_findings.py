"""Tester findings on issue 12 (break12, against 4646e02). Each test is a strict xfail: it fails today because of the
defect it names and passes once the defect is fixed. Not product tests of record: they document defects."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from agencies.models import AgencyKind, Membership, Role
from agencies.services import agency_update, membership_deactivate, membership_update
from audit.models import DisclosureLogEntry
from consent.services import consent_withdraw
from disclosures.models import AnswerEntry, Disclosure, InformationRequest
from disclosures.selectors import disclosure_page
from disclosures.services import disclosure_revoke, request_approval_decline, request_approve
from disclosures.services.sweeps import emergency_escalation_sweep
from isp_portal.policy import NotPermitted, can
from sharing.models import RecordEntry
from sharing.services import entry_record, entry_revise
from sharing.services.grants import entry_grants_revoke_for_disclosure
from tests.consent.fixtures import parent
from tests.consent.fixtures import record as consent_record_of
from tests.disclosures.fixtures import HARM, Case, answer, case, refreshed, submit
from tests.disclosures.test_answer_pages import typed
from tests.disclosures.test_api import READ, REQUESTS_TOKEN, bearer, client, post, share_body
from tests.disclosures.test_sweeps import emergency
from tests.factories import SYSTEM, World, make_agency, make_user, sign_in
from tests.protocol_fixtures import complete_checklist, protocol_in_force, sign
from tests.sharing.fixtures import fresh, train

pytestmark = pytest.mark.django_db


def _authorise_restricted(user_id: int, agency_id: int) -> None:
    membership_update(
        actor=SYSTEM, membership=Membership.objects.get(user_id=user_id, agency_id=agency_id),
        authorised_for_restricted=True,
    )  # fmt: skip


def county_user(made: Case) -> None:
    """A second local authority (Next County) signed on the protocol, with `county`, authorised for restricted
    information (only local-authority social-care staff may be)."""
    world = made.world
    county = make_agency("Next County Children's Services", kind=AgencyKind.LOCAL_AUTHORITY)
    agency_update(
        actor=SYSTEM, agency=county, ico_registration_number="ZA100010",
        ico_registration_expires_on=timezone.localdate() + timedelta(days=300),
    )  # fmt: skip
    complete_checklist(county)
    sign(protocol_in_force(world), county)
    world.users["county"] = make_user(name="Cora County", agency=county, roles=[Role.PRACTITIONER])
    train(world.users["county"])
    _authorise_restricted(world.users["county"].pk, county.pk)


def restricted_case(made: Case) -> tuple[RecordEntry, InformationRequest]:
    """A restricted case note, asked for by Next County and answered by Rita (authorised) to Cora (authorised)."""
    secret = entry_record(
        actor=made.user("restricted"), child=made.child, agency=made.world.home, category="case_note", fields={},
        text="RESTRICTED: the child disclosed abuse by a relative.", basis="fact", restricted=True,
    )  # fmt: skip
    county_user(made)
    request = submit(made, by="county")
    answered = answer(made, request, by="restricted", entries=[secret], recipients=[made.user("county")])
    assert isinstance(answered, InformationRequest) and answered.state == "awaiting_approval"
    return secret, request


def test_restricted_entry_content_is_not_shown_to_an_unauthorised_colleague_of_the_discloser(world: World) -> None:
    made = case(world)
    _secret, request = restricted_case(made)
    _authorise_restricted(world.users["designated_manager"].pk, world.home.pk)
    disclosure = request_approve(actor=made.user("designated_manager"), request=request)
    colleague = made.user("practitioner")  # same agency, not authorised for restricted information
    assert "RESTRICTED" in str(disclosure_page(made.user("county"), disclosure.pk).content)  # the recipient reads it
    page = disclosure_page(colleague, disclosure.pk)
    shown = str(page.content or "")
    assert "RESTRICTED: the child disclosed abuse" not in shown


def test_the_api_says_how_many_entries_are_withheld_as_the_page_does(world: World) -> None:
    made = case(world)
    _secret, request = restricted_case(made)
    _authorise_restricted(world.users["designated_manager"].pk, world.home.pk)
    disclosure = request_approve(actor=made.user("designated_manager"), request=request)
    url = f"/api/v1/disclosures/{disclosure.pk}/"
    colleague = client(world, "practitioner").get(url, headers=READ)  # the disclosing agency, not authorised
    assert colleague.status_code == 200, colleague.content
    assert (colleague.json()["content"]["entries"], colleague.json()["withheld"]) == ([], 1)
    assert disclosure_page(made.user("practitioner"), disclosure.pk).withheld == 1  # the page's own count
    recipient = sign_in(Client(), made.user("county")).get(url, headers=READ).json()
    assert (len(recipient["content"]["entries"]), recipient["withheld"]) == (1, 0)


def test_revoking_a_minimum_data_disclosure_cuts_the_recipients_access(world: World) -> None:
    made = case(world)
    request = submit(made, tiers=["minimum"], categories=[])
    disclosure = answer(made, request, entries=[])
    assert isinstance(disclosure, Disclosure)
    school = made.user("school")
    assert can(school, "read_content", disclosure)
    disclosure_revoke(actor=made.user("designated_manager"), disclosure=disclosure, reason="Sent in error.")
    assert not can(made.user("school"), "read_content", Disclosure.objects.get(pk=disclosure.pk))
    assert disclosure_page(made.user("school"), disclosure.pk).content is None


def test_retention_end_cuts_access_to_a_minimum_data_disclosure(world: World) -> None:
    made = case(world)
    request = submit(made, tiers=["minimum"], categories=[])
    soon = timezone.now() + timedelta(seconds=2)
    disclosure = answer(made, request, entries=[], retain_until=soon)
    assert isinstance(disclosure, Disclosure)
    time.sleep(2.5)
    assert not can(made.user("school"), "read_content", Disclosure.objects.get(pk=disclosure.pk))


def test_revoking_one_disclosure_cuts_its_content_even_if_another_disclosure_shares_the_entry(world: World) -> None:
    made = case(world)
    first = submit(made, tiers=["minimum", "sensitive"])
    answer(made, first)
    request_approve(actor=made.user("designated_manager"), request=first)
    entry_revise(
        actor=made.user("practitioner"), entry=made.entry, fields={},
        text="CORRECTED: it was a neighbour, wrongly recorded.", basis="fact", reason="Correction.",
    )  # fmt: skip
    second = submit(made, tiers=["minimum", "sensitive"])
    answer(made, second)
    later = request_approve(actor=made.user("designated_manager"), request=second)
    disclosure_revoke(actor=made.user("designated_manager"), disclosure=later, reason="Disclosed to the wrong school.")
    page = disclosure_page(made.user("school"), later.pk)
    assert "CORRECTED" not in str(page.content or "")


def test_a_disclosure_shows_only_what_its_own_grants_open(world: World) -> None:
    """Finding 3 without the revocation event: the grants this disclosure gave ended (entry_grants_revoke_for_
    disclosure), while another disclosure's grant of the same entry lives; its content is not shown through the
    other's grant (the check asks for a live grant from this disclosure: EntryGrant.disclosure_id)."""
    made = case(world)
    first = submit(made, tiers=["minimum", "sensitive"])
    answer(made, first)
    request_approve(actor=made.user("designated_manager"), request=first)
    entry_revise(
        actor=made.user("practitioner"), entry=made.entry, fields={},
        text="CORRECTED: it was a neighbour, wrongly recorded.", basis="fact", reason="Correction.",
    )  # fmt: skip
    second = submit(made, tiers=["minimum", "sensitive"])
    answer(made, second)
    later = request_approve(actor=made.user("designated_manager"), request=second)
    assert "CORRECTED" in str(disclosure_page(made.user("school"), later.pk).content)
    assert entry_grants_revoke_for_disclosure(actor=SYSTEM, disclosure_id=later.pk) == 1
    assert not can(made.user("school"), "read_content", Disclosure.objects.get(pk=later.pk))
    assert "CORRECTED" not in str(disclosure_page(made.user("school"), later.pk).content or "")


def test_the_caldicott_guardian_told_to_review_an_escalated_emergency_disclosure_may_review_it(world: World) -> None:
    made = case(world)
    guardian_id = world.users["restricted"].pk  # a practitioner of children's social care, named guardian
    Membership.objects.filter(user_id=guardian_id, agency=world.home).update(is_caldicott_guardian=True)
    disclosure = emergency(made)
    assert disclosure.review_due_at is not None
    assert emergency_escalation_sweep(now=disclosure.review_due_at + timedelta(seconds=1)) == (1, 1)
    assert can(made.user("restricted"), "review", Disclosure.objects.get(pk=disclosure.pk))


def test_approving_a_restricted_entry_is_decided_by_a_rule_not_a_404(world: World) -> None:
    made = case(world)
    _secret, request = restricted_case(made)
    manager = made.user("designated_manager")  # not authorised for restricted information
    # The policy refuses the approval, naming the rule, so the queue and its notices never offer it
    # (tests/disclosures/test_approvals_offered.py); approving anyway is the same refusal, never a 404.
    assert not can(manager, "approve", refreshed(request))
    with pytest.raises(NotPermitted) as refused:
        request_approve(actor=manager, request=refreshed(request))
    assert "authorised for restricted information" in (refused.value.reason or "")


def test_access_cannot_outlast_the_protocols_retention_period(world: World) -> None:
    made = case(world)
    request = submit(made, tiers=["minimum"], categories=[])
    months = request.protocol_version.retention_months
    far = timezone.now() + timedelta(days=31 * months + 365 * 20)
    with pytest.raises(ValidationError):
        answer(made, request, entries=[], retain_until=far)


def test_the_disclosure_log_row_names_the_disclosers_role(world: World) -> None:
    made = case(world)
    request = submit(made, tiers=["minimum"], categories=[])
    disclosure = answer(made, request, entries=[])
    assert isinstance(disclosure, Disclosure)
    row = DisclosureLogEntry.objects.get(disclosure_id=disclosure.pk, kind="made")
    assert (row.discloser_id, row.snapshot_sha256, row.to_agency_id) == (
        disclosure.discloser_id, disclosure.snapshot_sha256, disclosure.to_agency_id,
    )  # fmt: skip
    assert row.discloser_role != ""


def test_an_entry_restricted_before_approval_is_not_disclosed_to_an_unauthorised_recipient(world: World) -> None:
    made = case(world)
    request = submit(made)
    answer(made, request)  # awaiting approval; the school practitioner named
    entry_revise(
        actor=made.user("restricted"), entry=made.entry, fields={}, text="Mother's partner threatened the child.",
        basis="fact", restricted=True, reason="A Schedule One offender is named: restricted.",
    )  # fmt: skip
    _authorise_restricted(world.users["designated_manager"].pk, world.home.pk)
    # Refused at the moment of disclosure naming the rule (disclosures.services.making.entries_refusal), nothing
    # written: the request still waits.
    with pytest.raises(ValidationError) as refused:
        request_approve(actor=made.user("designated_manager"), request=refreshed(request))
    assert "only people authorised for restricted information may receive it" in str(refused.value)
    assert not Disclosure.objects.filter(request_id=request.pk).exists()
    assert refreshed(request).state == "awaiting_approval"


def test_a_recipient_who_left_the_receiving_agency_before_approval_is_refused(world: World) -> None:
    made = case(world)
    request = submit(made)
    answer(made, request)  # awaiting approval; the school practitioner named
    membership_deactivate(
        actor=SYSTEM, membership=Membership.objects.get(user=world.users["school"], agency=world.objects["school"]),
        reason="Left the school.",
    )  # fmt: skip
    with pytest.raises(ValidationError) as refused:
        request_approve(actor=made.user("designated_manager"), request=refreshed(request))
    assert "is not one of the people of" in str(refused.value)
    assert not Disclosure.objects.filter(request_id=request.pk).exists()


def test_a_token_cannot_disclose_without_consent_on_its_own(world: World) -> None:
    made = case(world)
    request = submit(made, tiers=["minimum"], categories=[])
    token = bearer(world, world.home, REQUESTS_TOKEN, "care-requests")
    post(token, f"/api/v1/requests/{request.pk}/answer/",
         share_body(made, entries=[], recipients=[world.users["school"].pk]))  # fmt: skip
    assert not Disclosure.objects.filter(request_id=request.pk, discloser__is_system=True).exists()
    assert refreshed(request).state == "awaiting_approval"
    # A human designated manager approves it (neither the requester nor the answering system).
    approved = post(
        client(world, "designated_manager"), f"/api/v1/requests/{request.pk}/approval/", {"decision": "approve"}
    )
    assert approved.status_code == 200 and approved.json()["state"] == "shared", approved.content


def test_the_requester_does_not_read_the_decision_record_of_a_share_refused_approval(world: World) -> None:
    made = case(world)
    request = submit(made)
    secret = "The mother's partner has a conviction for violence against a child."
    answer(made, request, decision=replace(HARM, third_parties=secret))
    request_approval_decline(
        actor=made.user("designated_manager"), request=refreshed(request), reason="Not proportionate."
    )
    shown = client(world, "school").get(f"/api/v1/requests/{request.pk}/", headers=READ)
    assert shown.status_code == 200
    assert secret not in shown.content.decode()


def _page_client(world: World, role: str) -> Client:
    return sign_in(Client(), fresh(world.users[role]))


def test_a_correction_after_check_your_answers_is_not_what_is_shared(world: World) -> None:
    made = case(world)
    request = submit(made)
    practitioner = _page_client(world, "practitioner")
    drafted = practitioner.post(f"/requests/{request.pk}/answer/", typed(made))
    assert drafted.status_code == 302 and drafted["Location"].endswith("/answer/check/"), drafted.content[:2000]
    checked = practitioner.get(f"/requests/{request.pk}/answer/check/")
    assert checked.status_code == 200 and "revision 1" in checked.content.decode().lower()
    entry_revise(
        actor=made.user("restricted"), entry=made.entry, fields={}, text="A different account, added later.",
        basis="opinion", reason="New information.",
    )  # fmt: skip
    confirmed = practitioner.post(f"/requests/{request.pk}/answer/check/", {"confirm": "yes"})
    if confirmed.status_code == 200:  # refused naming the correction: a fix too (nothing answered, nothing shared)
        assert "was corrected since you checked it" in confirmed.content.decode()
        assert not AnswerEntry.objects.filter(answer__request_id=request.pk).exists()
        # The page now shows the correction (revision 2): confirming again shares what it shows.
        assert "revision 2" in confirmed.content.decode().lower()
        again = practitioner.post(f"/requests/{request.pk}/answer/check/", {"confirm": "yes"})
        assert again.status_code == 302
        assert AnswerEntry.objects.get(answer__request_id=request.pk, entry=made.entry).revision.number == 2
        return
    assert confirmed.status_code == 302
    shared = AnswerEntry.objects.get(answer__request_id=request.pk, entry=made.entry)
    assert shared.revision.number == 1


def test_a_disclosure_on_consent_names_the_consent_that_covers_it_now(world: World) -> None:
    made = case(world)
    today = timezone.localdate()
    school = made.world.objects["school"]
    first = consent_record_of(
        world, made.child, tiers=["minimum"], recipients=[school], obtained_on=today - timedelta(days=10), **parent()
    )
    request = submit(made, tiers=["minimum"], categories=[], consent_basis="consent", consent=first, override_ground="")
    consent_withdraw(
        actor=made.user("practitioner"), consent=first, withdrawn_on=today - timedelta(days=1), reason="Changed mind."
    )
    second = consent_record_of(world, made.child, tiers=["minimum"], recipients=[school], **parent())
    disclosure = answer(made, request, entries=[], legal_basis="explicit_consent", subject_told="told")
    assert isinstance(disclosure, Disclosure)
    assert disclosure.consent_id == second.pk
    row = DisclosureLogEntry.objects.get(disclosure_id=disclosure.pk, kind="made")
    assert row.consent_record_id == second.pk
