"""The decision journey as a practitioner of the holding agency meets it (issue 12 "Answering"): the flowchart's
sections with the consent check now, "check your answers" built by a rolled-back trial (so a refusal shows before
anything is disclosed, and nothing is written), the confirmation that either makes the disclosure or leaves the
request waiting for a designated manager, and the decline with its reason (Buckinghamshire 5). Bad input is a message
on the page, never a 500; a request answered meanwhile says what became of it."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from agencies.models import Role
from audit.models import AuditEvent
from consent.services import consent_withdraw
from disclosures.models import AnswerEntry, Disclosure, InformationRequest, RequestAnswer
from disclosures.services import request_answer_decline
from disclosures.views.answers import SESSION_KEY
from sharing.services import entry_record
from tests.consent.fixtures import assessed, record
from tests.disclosures.fixtures import Case, answer, case, refreshed, submit
from tests.factories import World, make_user, sign_in
from tests.sharing.fixtures import fresh, train

pytestmark = pytest.mark.django_db

# Users read their own protocol's clauses, never the documents it was drafted from (issue 8, item 13).
SOURCE_DOCUMENTS = re.compile(r"Haringey|Southampton|Buckinghamshire|Barnet|WYCPS", re.IGNORECASE)


def client(made: Case, role: str) -> Client:
    return sign_in(Client(), made.world.users[role])


def typed(made: Case, **values: Any) -> dict[str, Any]:
    """What the practitioner types: confidential, sharing the case note on significant harm, not telling the parent
    (not safe), to the requester, access for the protocol's retention."""
    end = timezone.localdate() + timedelta(days=90)
    data: dict[str, Any] = {
        "is_confidential": "yes",
        "legal_basis": "significant_harm",
        "s29_form_reference": "",
        "why_without_consent": "The parent refused; the child is at risk of significant harm at home.",
        "public_interest": "The child's safety outweighs the duty of confidence.",
        "proportionality": "Only the case note about the threat is needed.",
        "entries": [made.entry.pk],
        "why_shared": "The school must keep the child safe during the day.",
        "recipients": [made.world.users["school"].pk],
        "subject_told": "not_safe",
        "subject_not_told_reason": "Telling the parent would put the child at risk.",
        "onward_terms": "Not to be passed on without our agreement.",
        "retain_until_day": str(end.day),
        "retain_until_month": str(end.month),
        "retain_until_year": str(end.year),
        "what_agreed": "",
        "third_parties": "",
    }
    data.update(values)
    return data


def url(request: InformationRequest, step: str = "") -> str:
    return f"/requests/{request.pk}/{step}"


def test_the_form_follows_the_flowchart_and_shows_consent_now(world: World) -> None:
    made = case(world)
    request = submit(made)
    page = client(made, "practitioner").get(url(request, "answer/"))
    assert page.status_code == 200
    html = page.content.decode()
    sections = [
        "1. Is the information confidential?",
        "2. Is there consent?",
        "3. The legal basis, the public interest and proportionality",
        "4. What is the minimum needed?",
        "5. Who receives it, and on what terms",
    ]
    assert [html.index(section) for section in sections] == sorted(html.index(section) for section in sections)
    # The consent check now, for each tier asked for: no consent recorded for this child.
    assert html.count("Not covered") == 2
    assert "No consent has been recorded for this child" in html
    assert "Consent was refused; the requester asks to override it" in html
    # The entry, at the revision that would be disclosed; the bases the protocol allows on a refusal.
    assert "Case notes" in html or "Case note" in html
    assert "revision 1, fact" in html
    assert "Mother&#x27;s partner threatened the child." in html
    assert 'value="significant_harm"' in html
    assert 'value="explicit_consent"' not in html
    # The requester is the default recipient.
    assert (
        f'value="{world.users["school"].pk}" checked' in html or f'checked value="{world.users["school"].pk}"' in html
    )
    assert not SOURCE_DOCUMENTS.search(html)
    assert "(section 4.3 of the" in html  # the protocol's own consent clause
    # Reading the entries to choose from is audited with the request's purpose.
    assert AuditEvent.objects.filter(kind="request.answer_read", object_id=str(request.pk)).exists()


def test_share_on_significant_harm_waits_for_approval(world: World) -> None:
    made = case(world)
    request = submit(made)
    browser = client(made, "practitioner")
    response = browser.post(url(request, "answer/"), typed(made))
    assert response.status_code == 302 and response["Location"] == url(request, "answer/check/")
    check = browser.get(url(request, "answer/check/"))
    html = check.content.decode()
    assert check.status_code == 200
    assert "Check your answers" in html and "There is a problem" not in html
    assert "Nothing is shared yet" in html and "Send for approval" in html
    assert not SOURCE_DOCUMENTS.search(html)
    # The trial was rolled back: nothing answered, nothing disclosed, no audit of an answer.
    assert refreshed(request).state == "submitted"
    assert not RequestAnswer.objects.filter(request=request).exists()
    assert not AuditEvent.objects.filter(kind="request.answer", object_id=str(request.pk)).exists()
    done = browser.post(url(request, "answer/check/"), follow=True)
    assert done.status_code == 200
    text = done.content.decode()
    assert "nothing is shared yet: a designated manager of your agency must approve it" in text
    assert "Waiting for a designated manager" in text
    assert not SOURCE_DOCUMENTS.search(text)
    request = refreshed(request)
    assert request.state == "awaiting_approval"
    assert request.answered_by_id == world.users["practitioner"].pk
    assert list(AnswerEntry.objects.filter(answer__request=request).values_list("entry_id", flat=True)) == [
        made.entry.pk
    ]
    assert not Disclosure.objects.filter(request=request).exists()
    assert SESSION_KEY not in browser.session


def test_share_of_the_minimum_data_on_a_ground_is_made_at_once(world: World) -> None:
    made = case(world)
    request = submit(made, tiers=["minimum"], categories=[])
    browser = client(made, "practitioner")
    browser.post(url(request, "answer/"), typed(made, entries=[]))
    check = browser.get(url(request, "answer/check/")).content.decode()
    assert "The information is shared at once" in check and "Share the information" in check
    done = browser.post(url(request, "answer/check/"), follow=True).content.decode()
    disclosure = Disclosure.objects.get(request=request)
    assert f"disclosure {disclosure.pk} was made to Hill School" in done
    assert "Information shared" in done
    assert refreshed(request).state == "shared"


def test_a_basis_the_protocol_does_not_allow_is_refused_on_the_check_page(world: World) -> None:
    made = case(world)
    request = submit(made)
    browser = client(made, "practitioner")
    # Not offered, but typed: the service names the rule on the check page, nothing is written.
    assert browser.post(url(request, "answer/"), typed(made, legal_basis="explicit_consent")).status_code == 302
    check = browser.get(url(request, "answer/check/"))
    html = check.content.decode()
    assert "There is a problem" in html
    assert "There is no consent to share on" in html
    assert f'href="/requests/{request.pk}/answer/#ground"' in html
    assert "Share the information" not in html and "Send for approval" not in html
    # Confirming anyway is refused the same way, recorded, nothing written.
    again = browser.post(url(request, "answer/check/"))
    assert again.status_code == 200 and "There is no consent to share on" in again.content.decode()
    assert refreshed(request).state == "submitted"
    assert AuditEvent.objects.filter(kind="request.refused", request_id=again["X-Request-ID"]).count() == 1


def test_s29_is_not_offered_to_a_school_and_not_telling_needs_a_reason(world: World) -> None:
    made = case(world)
    request = submit(made)
    browser = client(made, "practitioner")
    # The police's data protection form is a police request's basis only (rules.requester_basis_refusal): the school
    # asked, so the form does not offer it, and check your answers refuses it sent anyway.
    offered = browser.get(url(request, "answer/")).content.decode()
    assert 'value="police_s29"' not in offered and 'value="significant_harm"' in offered
    browser.post(url(request, "answer/"), typed(made, legal_basis="police_s29", s29_form_reference="PPU/1"))
    html = browser.get(url(request, "answer/check/")).content.decode()
    assert "is a basis only for a disclosure to the police" in html
    browser.post(url(request, "answer/"), typed(made, subject_not_told_reason=""))
    html = browser.get(url(request, "answer/check/")).content.decode()
    assert "Say why the child or family was not told" in html
    # Access that would end before it began.
    past = timezone.localdate() - timedelta(days=1)
    browser.post(
        url(request, "answer/"),
        typed(made, retain_until_day=str(past.day), retain_until_month=str(past.month),
              retain_until_year=str(past.year)),
    )  # fmt: skip
    html = browser.get(url(request, "answer/check/")).content.decode()
    assert "Access must last until a day in the future." in html
    assert f'href="/requests/{request.pk}/answer/#terms"' in html


def test_consent_withdrawn_since_the_request_is_refused_before_confirming(world: World) -> None:
    made = case(world)
    consent = record(
        world, made.child, tiers=["minimum", "sensitive"], recipients=[made.world.objects["school"]], **assessed()
    )
    request = submit(made, consent_basis="consent", consent=consent, override_ground="")
    browser = client(made, "practitioner")
    form = browser.get(url(request, "answer/")).content.decode()
    assert "Covered" in form and 'value="explicit_consent"' in form
    consent_withdraw(
        actor=fresh(world.users["practitioner"]), consent=consent, withdrawn_on=timezone.localdate(),
        reason="The young person changed their mind",
    )  # fmt: skip
    browser.post(url(request, "answer/"), typed(made, legal_basis="explicit_consent", why_without_consent=""))
    html = browser.get(url(request, "answer/check/")).content.decode()
    assert "There is a problem" in html and "withdrawn" in html.lower()
    assert refreshed(request).state == "submitted"


def test_a_restricted_entry_needs_an_authorised_recipient(world: World) -> None:
    made = case(world)
    restricted = entry_record(
        actor=fresh(world.users["restricted"]), child=made.child, agency=world.home, category="case_note", fields={},
        text="Victim information kept apart.", basis="fact", restricted=True,
    )  # fmt: skip
    request = submit(made)
    # The practitioner not authorised for restricted information is not offered it; typed in, it is refused.
    browser = client(made, "practitioner")
    assert "Victim information kept apart." not in browser.get(url(request, "answer/")).content.decode()
    browser.post(url(request, "answer/"), typed(made, entries=[made.entry.pk, restricted.pk]))
    html = browser.get(url(request, "answer/check/")).content.decode()
    assert "You can share only entries you may see yourself" in html
    assert "Victim information kept apart." not in html
    # The authorised practitioner may share it, but not to a teacher who is not authorised.
    authorised = client(made, "restricted")
    assert "Victim information kept apart." in authorised.get(url(request, "answer/")).content.decode()
    authorised.post(url(request, "answer/"), typed(made, entries=[restricted.pk]))
    html = authorised.get(url(request, "answer/check/")).content.decode()
    assert "only people authorised for restricted information may receive it" in html
    assert refreshed(request).state == "submitted"


def test_another_person_of_the_requesting_agency_may_be_named(world: World) -> None:
    made = case(world)
    request = submit(made)
    colleague = world.users["school_colleague"]
    browser = client(made, "practitioner")
    assert "Cal Colleague" in browser.get(url(request, "answer/")).content.decode()
    browser.post(url(request, "answer/"), typed(made, recipients=[colleague.pk]))
    assert "There is a problem" not in browser.get(url(request, "answer/check/")).content.decode()
    # Someone of another agency, typed in: the service refuses them by name.
    browser.post(url(request, "answer/"), typed(made, recipients=[world.users["other_agency"].pk]))
    assert "is not one of the people of Hill School" in browser.get(url(request, "answer/check/")).content.decode()


def test_bad_input_is_a_form_error(world: World) -> None:
    made = case(world)
    request = submit(made)
    browser = client(made, "practitioner")
    response = browser.post(
        url(request, "answer/"),
        typed(made, is_confidential="perhaps", subject_told="", retain_until_day="31", retain_until_month="2",
              entries=["x"], recipients=[]),
    )  # fmt: skip
    html = response.content.decode()
    assert response.status_code == 200 and "There is a problem" in html
    assert "Select whether the information is confidential" in html
    assert "Select whether the child or family was told" in html
    assert "must be a real date" in html
    assert "Select who receives the information" in html
    assert SESSION_KEY not in browser.session
    # An id that does not exist is refused on the check page, never a 500.
    browser.post(url(request, "answer/"), typed(made, entries=[999999999]))
    assert "Choose entries from this child" in browser.get(url(request, "answer/check/")).content.decode()


def test_check_without_a_draft_goes_back_to_the_form(world: World) -> None:
    made = case(world)
    request = submit(made)
    response = client(made, "practitioner").get(url(request, "answer/check/"))
    assert response.status_code == 302 and response["Location"] == url(request, "answer/")


def test_answered_meanwhile_says_what_became_of_it(world: World) -> None:
    made = case(world)
    request = submit(made)
    browser = client(made, "practitioner")
    browser.post(url(request, "answer/"), typed(made))
    # The designated manager answers first.
    answer(made, request, by="designated_manager")
    confirm = browser.post(url(request, "answer/check/"), follow=True)
    assert confirm.status_code == 200
    html = confirm.content.decode()
    assert "Waiting for a designated manager" in html and "Dee Manager answered it" in html
    assert RequestAnswer.objects.filter(request=request).count() == 1
    assert refreshed(request).answered_by_id == world.users["designated_manager"].pk
    # The requester cannot answer their own request: the policy's reason.
    own = client(made, "school").get(url(request, "answer/"))
    assert own.status_code == 403


def test_a_race_inside_the_confirmation_is_a_message_not_a_500(world: World, monkeypatch: Any) -> None:
    made = case(world)
    request = submit(made)
    browser = client(made, "practitioner")
    browser.post(url(request, "answer/"), typed(made))
    from disclosures.views import answers as views

    real = views.services.request_answer_share

    def someone_else_first(**kwargs: Any) -> Any:
        answer(made, request, by="designated_manager")
        return real(**kwargs)

    monkeypatch.setattr(views.services, "request_answer_share", someone_else_first)
    response = browser.post(url(request, "answer/check/"), follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Your answer was not recorded" in html
    assert "Waiting for a designated manager" in html
    assert RequestAnswer.objects.filter(request=request).count() == 1


def test_decline_with_a_reason_is_recorded_and_the_requester_told(world: World) -> None:
    made = case(world)
    request = submit(made)
    browser = client(made, "practitioner")
    form = browser.get(url(request, "decline/")).content.decode()
    assert "A designated manager declined" not in form  # the manager's own decline is theirs (Haringey 4.6)
    refused = browser.post(url(request, "decline/"), {"reason": "other", "detail": ""})
    assert refused.status_code == 200 and "Say why the request is declined" in refused.content.decode()
    done = browser.post(
        url(request, "decline/"), {"reason": "not_proportionate", "detail": "A call will do."}, follow=True
    )
    html = done.content.decode()
    assert "Sam Teacher has been told" in html and "Request declined" in html
    assert not SOURCE_DOCUMENTS.search(html)
    request = refreshed(request)
    assert request.state == "declined" and request.decline_reason == "not_proportionate"
    assert request.decline_detail == "A call will do."
    assert AuditEvent.objects.filter(kind="request.decline", object_id=str(request.pk)).exists()


def test_decline_keeps_the_decision_drafted(world: World) -> None:
    made = case(world)
    request = submit(made)
    browser = client(made, "practitioner")
    browser.post(url(request, "answer/"), typed(made, is_confidential="no", proportionality="Not needed in full."))
    browser.post(url(request, "decline/"), {"reason": "not_proportionate", "detail": ""})
    decision = RequestAnswer.objects.get(request=request)
    assert decision.outcome == "decline" and decision.is_confidential is False
    assert decision.proportionality == "Not needed in full."


def test_out_of_scope_and_not_permitted(world: World) -> None:
    made = case(world)
    request = submit(made)
    assert client(made, "other_agency").get(url(request, "answer/")).status_code == 404
    assert client(made, "school_colleague").get(url(request, "decline/")).status_code == 404
    assert client(made, "school").post(url(request, "decline/"), {"reason": "other", "detail": "x"}).status_code == 403
    assert refreshed(request).state == "submitted"
    assert client(made, "practitioner").get("/requests/999999999/answer/").status_code == 404


def test_a_declined_request_shows_its_decline(world: World) -> None:
    made = case(world)
    request = submit(made)
    request_answer_decline(actor=made.user("designated_manager"), request=request, reason="nothing_held", detail="")
    page = client(made, "practitioner").get(url(request, "answer/check/"))
    assert page.status_code == 200
    assert "Dee Manager declined it: We hold nothing relevant" in page.content.decode()


def test_an_untrained_practitioner_cannot_answer(world: World) -> None:
    made = case(world)
    request = submit(made)
    newcomer = make_user(name="New Starter", agency=world.home, roles=[Role.PRACTITIONER])
    assert sign_in(Client(), newcomer).get(url(request, "answer/")).status_code == 404
    train(newcomer)
    assert sign_in(Client(), newcomer).get(url(request, "answer/")).status_code == 200
