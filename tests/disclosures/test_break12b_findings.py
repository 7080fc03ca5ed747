"""Tester findings on issue 12 (break12b, against 65bb236). Each test is a strict xfail: it fails today because of the
defect it names and passes once the defect is fixed. Not product tests of record: they document defects."""

from __future__ import annotations

import contextlib
import threading
from dataclasses import replace
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connections, transaction
from django.test import Client

from agencies.demo import LOGIN_KEYS
from agencies.models import Membership
from agencies.services import membership_deactivate
from audit.models import AuditEvent
from disclosures import demo as disclosures_demo
from disclosures import services
from disclosures.models import Disclosure, InformationRequest
from disclosures.services import request_approve, request_withdraw
from tests.disclosures.fixtures import HARM, answer, case, disclosure_of, refreshed, school_of, submit
from tests.disclosures.test_api import READ, client
from tests.disclosures.test_unrequested_pages import emergency_answers, url, with_purpose
from tests.factories import SYSTEM, World, sign_in
from tests.sharing.fixtures import PURPOSE, fresh

pytestmark = pytest.mark.django_db

THIRD_PARTY = "The new partner of the mother, Mr Kestrel, has a conviction for assault"
AGREED = "Agreed with the police sergeant on duty that the school is told today"


@pytest.mark.django_db(transaction=True)
def test_a_double_submitted_emergency_confirmation_makes_one_disclosure(world: World, monkeypatch: Any) -> None:
    made = case(world)
    first = with_purpose(sign_in(Client(), fresh(world.users["practitioner"])), made.child)
    form_url = f"{url('emergency', made.child)}?to_agency={school_of(world).pk}"
    assert first.get(form_url).status_code == 200
    assert first.post(form_url, emergency_answers(made)).status_code == 302
    second = Client()
    second.cookies = first.cookies  # the same browser, the same session: a double click on "Confirm"
    barrier = threading.Barrier(2)
    original = services.disclosure_emergency

    def both_arrive(**kwargs: Any) -> Any:  # both clicks have passed the view's session read
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(5)
        return original(**kwargs)

    monkeypatch.setattr(services, "disclosure_emergency", both_arrive)

    def click(browser: Client) -> None:
        try:
            with contextlib.suppress(Exception):  # the count below is the finding
                browser.post(url("emergency", made.child, check=True))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=click, args=(browser,)) for browser in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert Disclosure.objects.filter(kind="emergency").count() == 1


def _shared_with_a_decision_record(world: World) -> tuple[Any, Disclosure]:
    made = case(world)
    request = submit(made)
    answer(made, request, decision=replace(HARM, third_parties=THIRD_PARTY, what_agreed=AGREED))
    request_approve(actor=made.user("designated_manager"), request=refreshed(request))
    return made, disclosure_of(request)


def test_the_requester_does_not_read_the_decision_record_on_the_disclosure_page(world: World) -> None:
    _made, disclosure = _shared_with_a_decision_record(world)
    school = client(world, "school")
    request_page = school.get(f"/requests/{disclosure.request_id}/")
    assert request_page.status_code == 200 and THIRD_PARTY not in request_page.content.decode()  # holds today
    page = school.get(f"/disclosures/{disclosure.pk}/")
    assert page.status_code == 200
    assert THIRD_PARTY not in page.content.decode() and AGREED not in page.content.decode()


def test_the_requester_does_not_read_the_decision_record_through_the_api(world: World) -> None:
    _made, disclosure = _shared_with_a_decision_record(world)
    school = client(world, "school")
    assert THIRD_PARTY not in school.get(f"/api/v1/requests/{disclosure.request_id}/").content.decode()
    body = school.get(f"/api/v1/disclosures/{disclosure.pk}/", headers=READ)
    assert body.status_code == 200
    assert THIRD_PARTY not in body.content.decode() and AGREED not in body.content.decode()


def test_a_second_approval_click_is_not_an_access_denial(world: World) -> None:
    made = case(world)
    request = submit(made)
    answer(made, request)
    manager = client(world, "designated_manager")
    approval = f"/requests/{request.pk}/approval/"
    first = manager.post(approval, {"decision": "approve", "note": "Proportionate."})
    assert first.status_code == 302 and refreshed(request).state == "shared"
    denials = AuditEvent.objects.filter(kind="access.denied").count()
    second = manager.post(approval, {"decision": "approve", "note": "Proportionate."})
    assert second.status_code != 403
    assert AuditEvent.objects.filter(kind="access.denied").count() == denials


def test_a_closed_request_cannot_be_deleted_in_the_database(world: World) -> None:
    made = case(world)
    request = submit(made)
    request_withdraw(actor=made.user("school"), request=request, reason="No longer needed.")
    with contextlib.suppress(Exception), transaction.atomic():  # any refusal by the database will do
        InformationRequest.objects.filter(pk=request.pk).delete()
    assert InformationRequest.objects.filter(pk=request.pk).exists()


def test_the_demo_sign_ins_name_the_person_who_asks(world: World) -> None:
    assert disclosures_demo.ASKER in LOGIN_KEYS


def test_a_disclosure_to_a_school_cannot_rest_on_a_police_data_protection_form(world: World) -> None:
    made = case(world)
    request = submit(made)
    with pytest.raises(ValidationError) as refused:
        answer(made, request, legal_basis="police_s29", s29_form_reference="PPU/2026/0042")
    assert "legal_basis" in refused.value.message_dict


def test_sharing_without_consent_records_why_it_is_proportionate(world: World) -> None:
    made = case(world)
    request = submit(made)
    with pytest.raises(ValidationError) as refused:
        answer(made, request, decision=replace(HARM, proportionality="", public_interest=""))
    assert "proportionality" in refused.value.message_dict


def test_a_recipient_who_left_the_agency_no_longer_reads_a_minimum_data_disclosure(world: World) -> None:
    made = case(world)
    request = submit(made, tiers=["minimum"], categories=[])
    disclosure = answer(made, request, entries=[])
    assert isinstance(disclosure, Disclosure)
    reader = client(world, "school")
    # The page asks why the reader is looking before it shows the content (F11).
    assert reader.post(f"/disclosures/{disclosure.pk}/", {"purpose": PURPOSE}).status_code == 302
    assert "Date of birth" in reader.get(f"/disclosures/{disclosure.pk}/").content.decode()
    membership_deactivate(
        actor=SYSTEM, membership=Membership.objects.get(user=world.users["school"], agency=school_of(world)),
        reason="Left the school.",
    )  # fmt: skip
    school = client(world, "school")
    school.post(f"/disclosures/{disclosure.pk}/", {"purpose": PURPOSE})
    page = school.get(f"/disclosures/{disclosure.pk}/")
    assert page.status_code == 404 or "Date of birth" not in page.content.decode()
    api = school.get(f"/api/v1/disclosures/{disclosure.pk}/", headers=READ)
    assert api.status_code == 404 or api.json().get("content") is None


def test_a_request_does_not_open_a_shielded_child_to_an_agency_the_shield_keeps_out(world: World) -> None:
    from datetime import date

    from django.utils import timezone

    from disclosures.services import request_answer_share, request_submit
    from sharing.models import ShieldedAccess
    from tests.disclosures.fixtures import school_world
    from tests.sharing.fixtures import PURPOSE, make_child

    school_world(world)
    kid = make_child(world, "Sia", "Hidden", shielded=True, born_on=date(2014, 5, 6), nhs_number="9990000026")
    # The school found her today on the shield's exact terms (an exact search records this row).
    ShieldedAccess.objects.create(
        child=kid, user=world.users["school"], agency=school_of(world), on_date=timezone.localdate()
    )
    police = client(world, "other_agency")
    assert police.get(f"/children/{kid.pk}/").status_code == 404  # the shield keeps the police out
    try:
        asked = request_submit(
            actor=fresh(world.users["school"]), child=kid, holding_agency=world.other, purpose=PURPOSE,
            tiers=["minimum"], categories=[],
            need_to_know="The child is frightened of a relative who works for the police.",
            consent_basis="refused", override_ground="significant_harm",
        )  # fmt: skip
        made = request_answer_share(
            actor=fresh(world.users["other_agency"]), request=asked, entries=[], legal_basis="significant_harm",
            decision=HARM, subject_told="not_safe", subject_not_told_reason="Not safe.",
        )  # fmt: skip
    except Exception:  # refusing the request, or the police's answer, is one fix
        return
    page = police.get(f"/disclosures/{made.pk}/").content.decode()
    assert "Hidden" not in page and "9990000026" not in page


def test_an_escalation_reaches_someone_who_may_review_it(world: World) -> None:
    from datetime import timedelta

    from disclosures.services.sweeps import emergency_escalation_sweep
    from isp_portal.models import Notification
    from isp_portal.policy import can
    from tests.disclosures.test_sweeps import emergency

    made = case(world)
    discloser = world.users["practitioner"]
    Membership.objects.filter(user_id=discloser.pk, agency=world.home).update(is_caldicott_guardian=True)
    disclosure = emergency(made)
    assert disclosure.discloser_id == discloser.pk and disclosure.review_due_at is not None
    emergency_escalation_sweep(now=disclosure.review_due_at + timedelta(seconds=1))
    told = Notification.objects.filter(key__startswith=f"disclosure-escalated-{disclosure.pk}-")
    people = [note.recipient for note in told.select_related("recipient")]
    reviewers = [person for person in people if can(person, "review", disclosure)]
    assert reviewers


def test_reading_a_disclosure_in_the_browser_is_recorded_with_a_purpose(world: World) -> None:
    _made, disclosure = _shared_with_a_decision_record(world)
    school = client(world, "school")
    page = school.get(f"/disclosures/{disclosure.pk}/")
    shown = page.status_code == 200 and "partner threatened the child" in page.content.decode()
    viewed = AuditEvent.objects.filter(kind="disclosure.view", object_id=str(disclosure.pk)).order_by("-pk").first()
    assert not shown or (viewed is not None and viewed.purpose)


@pytest.mark.parametrize("route", ["answer", "emergency"])
def test_a_recipient_named_twice_through_the_api_is_not_a_server_error(world: World, route: str) -> None:
    from tests.disclosures.test_api import post, share_body

    made = case(world)
    school_id = world.users["school"].pk
    practitioner = client(world, "practitioner")
    practitioner.raise_request_exception = False
    if route == "answer":
        request = submit(made)
        response = post(
            practitioner, f"/api/v1/requests/{request.pk}/answer/", share_body(made, recipients=[school_id, school_id])
        )
    else:
        body = {
            "child": made.child.pk, "to_agency": school_of(world).pk, "recipients": [school_id, school_id],
            "reason": "immediate_risk_of_harm", "legal_basis": "significant_harm",
            "purpose": "Safeguarding the child", "tiers": ["minimum", "sensitive"], "categories": ["case_note"],
            "entries": [made.entry.pk], "subject_told": "not_safe",
            "subject_not_told_reason": "Telling the mother would put the child at risk.",
            "why_without_consent": "Asking would delay protecting the child.",
        }  # fmt: skip
        from tests.sharing.fixtures import PURPOSE

        body["purpose"] = PURPOSE
        response = post(practitioner, "/api/v1/disclosures/emergency/", body)
    assert response.status_code < 500, response.status_code


def test_confirming_a_check_page_records_what_it_showed(world: World) -> None:
    from disclosures.models import AnswerRecipient
    from tests.disclosures.test_answer_pages import typed

    made = case(world)
    request = submit(made)
    practitioner = client(world, "practitioner")
    form = f"/requests/{request.pk}/answer/"
    first_tab = practitioner.post(form, typed(made))
    assert first_tab.status_code == 302
    shown = practitioner.get(first_tab["Location"]).content.decode()
    assert "Sam Teacher" in shown and "Cal Colleague" not in shown
    # A second tab: the same form, another recipient, sent but never checked.
    colleague = world.users["school_colleague"].pk
    assert practitioner.post(form, typed(made, recipients=[colleague])).status_code == 302
    practitioner.post(first_tab["Location"], {})  # "Send for approval" on the first tab's check page
    named = set(AnswerRecipient.objects.filter(answer__request=request).values_list("user_id", flat=True))
    assert named in (set(), {world.users["school"].pk})
