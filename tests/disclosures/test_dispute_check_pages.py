"""Raising a dispute through "check your answers" (issue 13; Southampton 13; design Q10, Q11): a request's and an
onward request's pages offer it only when the policy allows; the form is rehearsed and nothing is raised until the
check page is confirmed, once (confirming.check_answers)."""

from __future__ import annotations

import pytest
from django.test import Client

from disclosures.models import Dispute
from disclosures.services.onward import onward_request_decline
from tests.disclosures.after_fixtures import AfterWorld, after_world, onward_submit
from tests.disclosures.dispute_fixtures import GROUNDS, declined
from tests.factories import World, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def after(world: World) -> AfterWorld:
    return after_world(world)


def client(after: AfterWorld, role: str) -> Client:
    return sign_in(Client(), after.user(role))


def test_a_declined_request_is_disputed_only_once_its_answers_are_checked(after: AfterWorld) -> None:
    request = declined(after)
    school = client(after, "school")
    assert f"/requests/{request.pk}/dispute/" in school.get(f"/requests/{request.pk}/").content.decode()
    sent = school.post(f"/requests/{request.pk}/dispute/", {"grounds": GROUNDS, "impact_so_far": ""})
    assert sent.status_code == 302 and sent["Location"] == f"/requests/{request.pk}/dispute/check/"
    assert not Dispute.objects.filter(request_id=request.pk).exists()  # rehearsed only
    page = school.get(sent["Location"]).content.decode()
    assert "Check your answers" in page and GROUNDS in page and "Stage 1, with the line managers, runs until" in page
    digest = page.split('name="draft" value="')[1].split('"')[0]
    done = school.post(sent["Location"], {"draft": digest})
    dispute = Dispute.objects.get(request_id=request.pk)
    assert done.status_code == 302 and done["Location"] == f"/disputes/{dispute.pk}/"
    again = school.post(sent["Location"], {"draft": digest})  # a second click makes nothing more
    assert (
        again["Location"] == f"/disputes/{dispute.pk}/" and Dispute.objects.filter(request_id=request.pk).count() == 1
    )


def test_an_empty_dispute_form_is_refused_on_its_field(after: AfterWorld) -> None:
    request = declined(after)
    response = client(after, "school").post(f"/requests/{request.pk}/dispute/", {"grounds": ""})
    assert response.status_code == 200 and "There is a problem" in response.content.decode()


def test_a_request_answered_in_time_offers_no_dispute(after: AfterWorld) -> None:
    page = client(after, "school").get(f"/requests/{after.request.pk}/").content.decode()
    assert "/dispute/" not in page


def test_a_declined_onward_request_is_disputed_through_its_check_page(after: AfterWorld) -> None:
    onward = onward_submit(after)
    school = client(after, "school")
    assert f"/onward/{onward.pk}/dispute/" not in school.get(f"/onward/{onward.pk}/").content.decode()  # open, in time
    onward_request_decline(actor=after.user("designated_manager"), onward=onward, reason="not_proportionate")
    assert f"/onward/{onward.pk}/dispute/" in school.get(f"/onward/{onward.pk}/").content.decode()
    # The originator's people may not raise it (it reads as missing to them).
    assert client(after, "designated_manager").get(f"/onward/{onward.pk}/dispute/").status_code == 404
    sent = school.post(f"/onward/{onward.pk}/dispute/", {"grounds": GROUNDS})
    assert sent["Location"] == f"/onward/{onward.pk}/dispute/check/"
    page = school.get(sent["Location"]).content.decode()
    assert f"Onward request {onward.pk}" in page
    digest = page.split('name="draft" value="')[1].split('"')[0]
    school.post(sent["Location"], {"draft": digest})
    dispute = Dispute.objects.get(onward_request_id=onward.pk)
    assert (dispute.subject_kind, dispute.ground) == ("onward", "declined")
