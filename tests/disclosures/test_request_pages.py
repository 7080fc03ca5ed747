"""The request pages as people meet them (issue 12): the school asks children's social care for a child's information
from the child's page (the form, "check your answers" built by a rolled-back trial of the service, the request
page); every refusal of the protocol shown on the form with the rule that refused it, before anything is sent;
the holding agency's inbox with due dates, overdue, urgency and consent-lapsed tags and its state filter; a
request's page with the actions the reader may take; withdrawal; and the dashboard's panels."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from agencies.models import Agency, AgencyStatus
from agencies.services import agency_status_change
from consent.services import consent_withdraw
from disclosures.models import InformationRequest
from disclosures.services import request_withdraw
from disclosures.views.requests import SESSION_KEY
from isp_portal.models import Notification
from sharing.models import Child
from tests.consent.fixtures import parent, record
from tests.disclosures.fixtures import PURPOSE, answer, case, refreshed, school_of, submit
from tests.factories import SYSTEM, World, sign_in

pytestmark = pytest.mark.django_db


def text(response: Any) -> str:
    return response.content.decode().replace("&#x27;", "'").replace("&quot;", '"').replace("&amp;", "&")


def signed_in(world: World, role: str) -> Client:
    return sign_in(Client(), world.users[role])


def with_purpose(client: Client, child: Child) -> Client:
    response = client.post(f"/children/{child.pk}/purpose/", {"purpose": PURPOSE, "next": f"/children/{child.pk}/"})
    assert response.status_code == 302
    return client


def answers(world: World, **values: Any) -> dict[str, Any]:
    """What the school's practitioner types: children's social care, for the case notes and the minimum data, the
    parent having refused consent, overridden on significant harm."""
    data: dict[str, Any] = {
        "holding_agency": str(world.home.pk),
        "purpose": PURPOSE,
        "tiers": ["minimum", "sensitive"],
        "categories": ["case_note"],
        "need_to_know": "The child said at school they are frightened to go home.",
        "urgency": "urgent",
        "consent_basis": "refused",
        "not_sought_reason": "",
        "override_ground": "significant_harm",
    }
    data.update(values)
    return data


def errors_of(response: Any) -> str:
    page = text(response)
    assert response.status_code == 200, response.status_code
    assert "There is a problem" in page or "This request cannot be sent" in page, page[:3000]
    return page


# --- The journey --------------------------------------------------------------------------------------------------


def test_the_school_asks_from_the_childs_page_and_the_request_is_sent(world: World) -> None:
    made = case(world)
    client = with_purpose(signed_in(world, "school"), made.child)
    child_page = text(client.get(f"/children/{made.child.pk}/"))
    assert f"/children/{made.child.pk}/requests/new/" in child_page and "Request information" in child_page
    form = text(client.get(f"/children/{made.child.pk}/requests/new/"))
    assert "Which agency holds the information?" in form and world.home.name in form
    assert "Unsigned Academy" not in form  # it shares no protocol with the school: not offered
    response = client.post(f"/children/{made.child.pk}/requests/new/", answers(world))
    assert response.status_code == 302, errors_of(response)
    assert response["Location"] == f"/children/{made.child.pk}/requests/new/check/"
    assert not InformationRequest.objects.exists()  # the trial was rolled back
    assert not Notification.objects.filter(key__startswith="request-submitted").exists()
    check = text(client.get(response["Location"]))
    assert "Check your answers" in check and "Answer due by" in check and "World Protocol" in check
    assert "Consent was refused; overridden on the ground" in check
    assert not InformationRequest.objects.exists()
    sent = client.post(response["Location"])
    assert sent.status_code == 302
    made_request = InformationRequest.objects.get()
    assert sent["Location"] == f"/requests/{made_request.pk}/"
    assert made_request.urgency == "urgent" and made_request.categories == ["case_note"]
    # The draft is gone: the key holds only where the confirmation went (a second click is sent there).
    assert "data" not in client.session.get(SESSION_KEY, {})
    page = text(client.get(sent["Location"]))
    assert "Your request has been sent" in page and "Submitted" in page and "Sent by Sam Teacher" in page
    assert "Withdraw the request" in page and "Answer this request" not in page


def test_every_refusal_is_shown_on_the_form_with_its_rule(world: World) -> None:
    made = case(world)
    client = with_purpose(signed_in(world, "school"), made.child)
    url = f"/children/{made.child.pk}/requests/new/"
    unsigned = Agency.objects.get(name="Unsigned Academy")
    page = errors_of(client.post(url, answers(world, holding_agency=str(unsigned.pk))))
    assert "have no protocol version in force that both have signed" in page
    page = errors_of(client.post(url, answers(world, tiers=["minimum"])))
    assert "Kinds of information are chosen only with the detailed and sensitive information" in page
    page = errors_of(client.post(url, answers(world, override_ground="")))
    assert "Choose the ground that overrides the refusal." in page
    page = errors_of(client.post(url, answers(world, consent_basis="not_sought", override_ground="")))
    assert "Say why consent was not sought." in page
    page = errors_of(client.post(url, answers(world, consent_basis="consent", override_ground="")))
    assert "No consent has been recorded for this child" in page
    page = errors_of(client.post(url, answers(world, holding_agency=str(school_of(world).pk))))
    assert "sharing is between two agencies" in page
    assert not InformationRequest.objects.exists()


def test_an_agency_suspended_refuses_the_request_naming_it(world: World) -> None:
    made = case(world)
    client = with_purpose(signed_in(world, "school"), made.child)
    agency_status_change(actor=SYSTEM, agency=world.home, to_status=AgencyStatus.SUSPENDED, reason="Breach sanction")
    page = errors_of(client.post(f"/children/{made.child.pk}/requests/new/", answers(world)))
    assert world.home.name in page
    assert not InformationRequest.objects.exists()


def test_consent_withdrawn_before_sending_is_shown_on_check_your_answers(world: World) -> None:
    made = case(world)
    consent = record(world, made.child, tiers=["minimum", "sensitive"], recipients=[school_of(world)], **parent())
    client = with_purpose(signed_in(world, "school"), made.child)
    url = f"/children/{made.child.pk}/requests/new/"
    response = client.post(url, answers(world, consent_basis="consent", override_ground=""))
    assert response.status_code == 302, errors_of(response)
    check = text(client.get(response["Location"]))
    assert "covers this request" in check and "Send the request" in check
    consent_withdraw(
        actor=made.user("practitioner"), consent=consent, withdrawn_on=timezone.localdate(), reason="Changed mind."
    )
    check = errors_of(client.get(response["Location"]))
    assert "withdrawn" in check.lower() and "Send the request" not in check
    refused = errors_of(client.post(response["Location"]))
    assert "withdrawn" in refused.lower()
    assert not InformationRequest.objects.exists()
    # The form says the same, on the consent question.
    page = errors_of(client.post(url, answers(world, consent_basis="consent", override_ground="")))
    assert "withdrawn" in page.lower()


@pytest.mark.parametrize(
    "values",
    [
        {"holding_agency": "abc"},
        {"holding_agency": "99999999"},
        {"holding_agency": ""},
        {"purpose": "Selling lists"},
        {"tiers": ["everything"]},
        {"categories": ["no_such_kind"]},
        {"need_to_know": "x" * 5000},
        {"need_to_know": ""},
        {"urgency": "yesterday"},
        {"consent_basis": "maybe"},
        {"not_sought_reason": "because", "consent_basis": "not_sought"},
        {"override_ground": "whim"},
        {"agency": "12"},
    ],
)
def test_bad_input_is_a_form_error_never_a_500(world: World, values: dict[str, Any]) -> None:
    made = case(world)
    client = with_purpose(signed_in(world, "school"), made.child)
    response = client.post(f"/children/{made.child.pk}/requests/new/", answers(world, **values))
    if "agency" in values:  # one agency only: the field is not asked, the value is ignored
        assert response.status_code == 302
        return
    errors_of(response)
    assert not InformationRequest.objects.exists()


def test_the_check_page_without_a_draft_goes_back_to_the_form(world: World) -> None:
    made = case(world)
    client = signed_in(world, "school")
    response = client.get(f"/children/{made.child.pk}/requests/new/check/")
    assert response.status_code == 302 and response["Location"] == f"/children/{made.child.pk}/requests/new/"


def test_someone_who_does_not_use_the_index_cannot_ask(world: World) -> None:
    made = case(world)
    response = signed_in(world, "partnership_admin").get(f"/children/{made.child.pk}/requests/new/")
    assert response.status_code == 403


# --- The inbox --------------------------------------------------------------------------------------------------


def test_the_inbox_lists_due_dates_overdue_urgency_and_lapsed_consent(world: World) -> None:
    made = case(world)
    routine = submit(made)
    urgent = submit(made, urgency="emergency")
    consent = record(world, made.child, tiers=["minimum", "sensitive"], recipients=[school_of(world)], **parent())
    on_consent = submit(made, consent_basis="consent", consent=consent, override_ground="")
    consent_withdraw(
        actor=made.user("practitioner"), consent=consent, withdrawn_on=timezone.localdate(), reason="Changed mind."
    )
    InformationRequest.objects.filter(pk=routine.pk).update(due_on=timezone.localdate() - timedelta(days=3))
    page = text(signed_in(world, "practitioner").get("/requests/"))
    assert "Requests waiting for your agency" in page and "1 request is overdue" in page
    for made_request in (routine, urgent, on_consent):
        assert f"/requests/{made_request.pk}/" in page
    assert page.index(f"/requests/{routine.pk}/") < page.index(f"/requests/{urgent.pk}/")  # the overdue first
    assert "Overdue" in page and "Emergency" in page and "Consent lapsed" in page
    assert "Hill School" in page
    # The school sees what it sent, not what waits for children's social care.
    sent = text(signed_in(world, "school").get("/requests/"))
    assert "Requests you have sent" in sent and f"/requests/{urgent.pk}/" in sent
    assert "No requests are waiting for your agency" in sent


def test_the_inbox_filters_by_state_and_refuses_a_state_that_does_not_exist(world: World) -> None:
    made = case(world)
    open_request = submit(made)
    gone = submit(made)
    request_withdraw(actor=made.user("school"), request=gone, reason="Not needed.")
    client = signed_in(world, "practitioner")
    withdrawn = text(client.get("/requests/?state=withdrawn"))
    assert f"/requests/{gone.pk}/" in withdrawn and f"/requests/{open_request.pk}/" not in withdrawn
    default = text(client.get("/requests/"))
    assert f"/requests/{open_request.pk}/" in default and f"/requests/{gone.pk}/" not in default
    bad = client.get("/requests/?state=everything")
    assert "There is a problem" in errors_of(bad) and f"/requests/{open_request.pk}/" in text(bad)


def test_only_practitioners_and_managers_have_an_inbox(world: World) -> None:
    case(world)
    assert signed_in(world, "agency_admin").get("/requests/").status_code == 403
    assert signed_in(world, "designated_manager").get("/requests/").status_code == 200


# --- A request's page and its withdrawal ------------------------------------------------------------------------


def test_the_request_page_offers_what_the_reader_may_do(world: World) -> None:
    made = case(world)
    made_request = submit(made)
    url = f"/requests/{made_request.pk}/"
    holding = text(signed_in(world, "practitioner").get(url))
    assert f"/requests/{made_request.pk}/answer/" in holding and "Answer this request" in holding
    assert "Withdraw the request" not in holding
    assert "Case notes" in holding or "case note" in holding.lower()
    assert "The child said at school they are frightened to go home." in holding
    assert "Hill School" in holding and "Sam Teacher" in holding
    asker = text(signed_in(world, "school").get(url))
    assert "Withdraw the request" in asker and "/answer/" not in asker
    # Another agency's request: out of scope, as is one that does not exist.
    assert signed_in(world, "other_agency").get(url).status_code == 404
    assert signed_in(world, "school_colleague").get(url).status_code == 404
    assert signed_in(world, "practitioner").get("/requests/99999999/").status_code == 404


def test_a_request_awaiting_approval_shows_its_timeline_and_the_managers_panel(world: World) -> None:
    made = case(world)
    made_request = submit(made)
    answer(made, made_request)
    assert refreshed(made_request).state == "awaiting_approval"
    manager = signed_in(world, "designated_manager")
    page = text(manager.get(f"/requests/{made_request.pk}/"))
    assert "Awaiting approval" in page and "Answered by Pat Practitioner" in page
    assert f"/requests/{made_request.pk}/approval/" in page
    dashboard = text(manager.get("/"))
    assert "Approvals waiting for you" in dashboard and f"/requests/{made_request.pk}/" in dashboard
    assert "/approvals/" in dashboard
    # The practitioner who answered it may not approve it: no approval link for them.
    assert "/approval/" not in text(signed_in(world, "practitioner").get(f"/requests/{made_request.pk}/"))


def test_the_practitioners_panel_counts_what_waits_and_what_is_overdue(world: World) -> None:
    made = case(world)
    late = submit(made)
    submit(made)
    InformationRequest.objects.filter(pk=late.pk).update(due_on=timezone.localdate() - timedelta(days=1))
    dashboard = text(signed_in(world, "practitioner").get("/"))
    assert "Requests waiting for your agency" in dashboard and "2 requests are waiting" in dashboard
    assert "1 overdue" in dashboard and "/requests/" in dashboard
    assert "Approvals waiting for you" not in dashboard
    # What was disclosed to a practitioner (an emergency disclosure or a referral comes without a request of theirs)
    # and what their agency disclosed are a link away.
    assert "/disclosures/received/" in dashboard and 'href="/disclosures/"' in dashboard


def test_the_asker_withdraws_with_a_reason(world: World) -> None:
    made = case(world)
    made_request = submit(made)
    url = f"/requests/{made_request.pk}/withdraw/"
    assert signed_in(world, "practitioner").get(url).status_code == 403  # the holding agency does not withdraw
    assert signed_in(world, "other_agency").get(url).status_code == 404
    client = signed_in(world, "school")
    assert "Withdraw your request" in text(client.get(url))
    errors_of(client.post(url, {"reason": "x" * 5000}))
    assert refreshed(made_request).state == "submitted"
    response = client.post(url, {"reason": "The child has moved school."})
    assert response.status_code == 302 and response["Location"] == f"/requests/{made_request.pk}/"
    assert refreshed(made_request).state == "withdrawn"
    page = text(client.get(response["Location"]))
    assert "Withdrawn: The child has moved school." in page and "Withdraw the request" not in page
    assert client.get(url).status_code == 403  # withdrawn once
