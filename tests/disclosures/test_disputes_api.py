"""Disputes over HTTP (issue 13; Southampton 13; docs/after-disclosure-design.md 8, 10): the issue's bad input, each
refused with the rule that refused it, audited, nothing half-written - a dispute about a request answered in time
(400 `request`), escalating a stage early (403 naming stage 1's last day), another agency's dispute id in the URL
(404) or another agency's request in a body (400 like a missing id) - and a whole journey through the API."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from audit.models import AuditEvent
from disclosures.models import Dispute, DisputeRecord
from tests.disclosures.after_fixtures import after_world
from tests.disclosures.dispute_fixtures import GROUNDS, declined, opened
from tests.factories import World, sign_in
from tests.sharing.fixtures import fresh

pytestmark = pytest.mark.django_db


def client(world: World, role: str) -> Client:
    return sign_in(Client(), fresh(world.users[role]))


def post(who: Client, url: str, body: dict[str, Any]) -> Any:
    return who.post(url, data=body, content_type="application/json")


def test_a_request_answered_in_time_is_a_400_naming_the_rule_and_recorded(world: World) -> None:
    after = after_world(world)
    before = Dispute.objects.count()
    response = post(client(world, "school"), "/api/v1/disputes/", {"request": after.request.pk, "grounds": GROUNDS})
    assert response.status_code == 400
    assert "nothing to dispute" in str(response.json()["error"]["fields"]["request"])
    assert AuditEvent.objects.filter(kind="request.refused", request_id=response["X-Request-ID"]).count() == 1
    assert Dispute.objects.count() == before


def test_escalating_early_is_a_403_with_the_date_and_recorded(world: World) -> None:
    _after, dispute = opened(world)
    response = post(client(world, "school_manager"), f"/api/v1/disputes/{dispute.pk}/escalate/", {"reason": ""})
    assert response.status_code == 403
    assert "Stage 1 runs until" in response.json()["error"]["message"]
    assert AuditEvent.objects.filter(kind="access.denied", request_id=response["X-Request-ID"]).count() == 1
    assert Dispute.objects.get(pk=dispute.pk).state == "stage_one"


def test_another_agencys_dispute_is_a_404_in_the_url_and_a_400_in_a_body(world: World) -> None:
    after, dispute = opened(world)
    police = client(world, "other_agency")
    for url in (f"/api/v1/disputes/{dispute.pk}/", f"/api/v1/disputes/{dispute.pk}/withdraw/"):
        response = police.get(url) if url.endswith(f"{dispute.pk}/") else post(police, url, {"reason": "x"})
        assert response.status_code == 404, url
        assert AuditEvent.objects.filter(kind="access.denied", request_id=response["X-Request-ID"]).count() == 1
    # The school's declined request named in a body by someone outside it: as if it did not exist.
    response = post(police, "/api/v1/disputes/", {"request": declined(after).pk, "grounds": GROUNDS})
    assert response.status_code == 400 and "request" in response.json()["error"]["fields"]
    assert Dispute.objects.get(pk=dispute.pk).state == "stage_one"


def test_the_journey_through_the_api(world: World) -> None:
    after = after_world(world)
    school, school_manager = client(world, "school"), client(world, "school_manager")
    home_manager = client(world, "designated_manager")
    made = post(school, "/api/v1/disputes/", {"request": declined(after).pk, "grounds": GROUNDS})
    assert made.status_code == 201, made.content
    pk = made.json()["id"]
    assert made.json()["register_number"].startswith("DR-")
    assert (
        post(school_manager, f"/api/v1/disputes/{pk}/position/", {"position": "share", "note": "Needed."}).status_code
        == 200
    )
    second = post(school_manager, f"/api/v1/disputes/{pk}/position/", {"position": "share", "note": "Again."})
    assert second.status_code == 409
    answer = post(home_manager, f"/api/v1/disputes/{pk}/position/", {"position": "not_share", "note": "No."})
    assert answer.status_code == 200 and "escalate" in answer.json()["actions"]
    assert (
        post(home_manager, f"/api/v1/disputes/{pk}/escalate/", {"reason": "We differ."}).json()["state"] == "stage_two"
    )
    for role in ("school_guardian", "home_guardian"):
        assert post(client(world, role), f"/api/v1/disputes/{pk}/advice/", {"advice": "Advice."}).status_code == 200
    post(school_manager, f"/api/v1/disputes/{pk}/position/", {"position": "share", "note": "Still needed."})
    decided = post(home_manager, f"/api/v1/disputes/{pk}/decision/", {"outcome": "share", "reason": "Agreed."})
    assert decided.status_code == 200 and decided.json()["state"] == "resolved"
    assert decided.json()["follow_up_request"] is not None
    body = {"process_followed": "Both stages.", "reason": "Shared after all.", "impact": "Delay of a week."}
    assert post(home_manager, f"/api/v1/disputes/{pk}/record/", body).status_code == 200
    assert DisputeRecord.objects.filter(dispute_id=pk).count() == 1
    journey = school.get(f"/api/v1/disputes/{pk}/").json()
    assert [event["kind"] for event in journey["events"]][:3] == ["opened", "assigned", "assigned"]


@pytest.mark.parametrize(
    ("role", "url", "misspelt"),
    [
        ("designated_manager", "/api/v1/dispute-register/?stat=stage_one&overdue=true", "stat"),
        ("school", "/api/v1/onward-requests/?states=agreed", "states"),
        ("school", "/api/v1/correction-notices/?pending=true&acknowledged=false", "acknowledged"),
    ],
)
def test_a_list_refuses_an_unknown_query_parameter_by_name(world: World, role: str, url: str, misspelt: str) -> None:
    """A misspelt filter would otherwise quietly list everything (`?stat=` reading as no filter at all)."""
    after_world(world)
    response = client(world, role).get(url)
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {misspelt: ["This parameter is not accepted here."]}
    # The same list with only the parameters it knows is answered.
    assert client(world, role).get(url.split(f"{misspelt}=")[0].rstrip("&?")).status_code == 200
