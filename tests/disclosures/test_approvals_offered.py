"""Approvals are offered only to the managers the policy lets approve them (disclosures.policy: approve): a request
whose answer shares a restricted entry waits for a designated manager authorised for restricted information (Haringey
4.6: a manager reads what they approve; WYCPS restricted indicators), so no other manager is told of it, nor finds it
in their queue (the selector, the API, the approvals page, the dashboard's panel), nor may open its approval page."""

from __future__ import annotations

import pytest
from django.test import Client

from disclosures.models import InformationRequest
from disclosures.selectors import approvals_pending
from isp_portal.models import Notification
from isp_portal.policy import can
from tests.disclosures.fixtures import answer, case, refreshed, submit
from tests.disclosures.test_api import client
from tests.disclosures.test_break12_findings import _authorise_restricted, restricted_case
from tests.factories import World, sign_in
from tests.sharing.fixtures import fresh

pytestmark = pytest.mark.django_db


def told(request: InformationRequest) -> list[int]:
    keys = Notification.objects.filter(key__startswith=f"approval-{request.pk}-")
    return sorted(keys.values_list("recipient_id", flat=True))


def queue(world: World, role: str) -> list[int]:
    approvals, _reviews = approvals_pending(world.users[role])
    return [row.request.pk for row in approvals]


def test_a_restricted_entry_is_offered_only_to_the_manager_authorised_for_it(world: World) -> None:
    made = case(world)
    _authorise_restricted(world.users["second_manager"].pk, world.home.pk)
    _secret, request = restricted_case(made)
    authorised, other = world.users["second_manager"], world.users["designated_manager"]
    # Told: the authorised manager only.
    assert told(request) == [authorised.pk]
    # Listed: the same, by the selector and everything built on it.
    assert queue(world, "second_manager") == [request.pk]
    assert queue(world, "designated_manager") == []
    assert client(world, "designated_manager").get("/api/v1/approvals/").json()["approvals"] == []
    assert [row["id"] for row in client(world, "second_manager").get("/api/v1/approvals/").json()["approvals"]] == [
        request.pk
    ]
    page = sign_in(Client(), made.user("designated_manager")).get("/approvals/").content.decode()
    assert f"/requests/{request.pk}/approval/" not in page
    dashboard = sign_in(Client(), made.user("designated_manager")).get("/").content.decode()
    assert f"/requests/{request.pk}/" not in dashboard
    # What the queue leaves out, the policy refuses, naming the rule; what it offers, the policy allows.
    assert not can(made.user("designated_manager"), "approve", refreshed(request))
    refused = sign_in(Client(), made.user("designated_manager")).get(f"/requests/{request.pk}/approval/")
    assert refused.status_code == 403 and "authorised for restricted information" in refused.content.decode()
    assert can(made.user("second_manager"), "approve", refreshed(request))
    assert other.pk not in told(request)


def test_no_manager_is_told_of_a_restricted_entry_none_may_approve(world: World) -> None:
    made = case(world)
    _secret, request = restricted_case(made)  # neither designated manager is authorised for restricted information
    assert told(request) == []
    assert queue(world, "designated_manager") == queue(world, "second_manager") == []


def test_an_entry_that_is_not_restricted_is_offered_to_every_manager_but_the_answerer(world: World) -> None:
    made = case(world)
    request = submit(made)
    answer(made, request, by="designated_manager")
    assert refreshed(request).state == "awaiting_approval"
    assert told(request) == [world.users["second_manager"].pk]
    assert queue(world, "second_manager") == [request.pk]
    # The manager who answered still sees it waits, greyed: they may not approve it (Haringey 4.6).
    approvals, _reviews = approvals_pending(world.users["designated_manager"])
    assert [(row.request.pk, row.may_approve) for row in approvals] == [(request.pk, False)]


def test_requests_a_manager_may_not_approve_never_crowd_out_those_they_may(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The queue lists the oldest requests the manager may approve: the restricted rule is in its query, so older
    restricted requests waiting for an authorised manager do not fill the page (one row a page here)."""
    import disclosures.selectors

    made = case(world)
    _secret, older = restricted_case(made)  # waits for a manager authorised for restricted information
    newer = submit(made)
    answer(made, newer)
    monkeypatch.setattr(disclosures.selectors, "PAGE_SIZE", 1)
    assert queue(world, "designated_manager") == [newer.pk]
    _authorise_restricted(world.users["designated_manager"].pk, world.home.pk)
    approvals, _reviews = approvals_pending(fresh(world.users["designated_manager"]))
    assert [row.request.pk for row in approvals] == [older.pk]  # now theirs too, and the older first
