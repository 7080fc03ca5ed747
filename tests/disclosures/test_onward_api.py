"""The onward-disclosure API walked through (issue 13; Southampton 10-11; docs/after-disclosure-design.md 8, 10): the
school asks, the council's designated manager agrees, the school passes the case note on to the health visitor;
and the bad input of the issue: passing on without the originator's agreement (403 naming the rule, nothing
written), another agency's ids in the URL (404) or the body (400 like a missing id), each audited; a second
decision is a 409."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from audit.models import AuditEvent
from disclosures.models import Disclosure, OnwardRequest
from tests.disclosures.after_fixtures import AfterWorld, after_world, onward_submit
from tests.disclosures.fixtures import PURPOSE
from tests.factories import World, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def after(world: World) -> AfterWorld:
    return after_world(world)


def client(after: AfterWorld, role: str) -> Client:
    return sign_in(Client(), after.user(role))


def post(who: Client, url: str, body: dict[str, Any]) -> Any:
    return who.post(url, data=body, content_type="application/json", headers={"X-Purpose": PURPOSE})


def submit_body(after: AfterWorld, **values: Any) -> dict[str, Any]:
    return {
        "parent_disclosure": after.disclosure.pk, "entries": [after.made.entry.pk], "to_agency": after.health.pk,
        "purpose": PURPOSE, "tiers": ["sensitive"], "categories": ["case_note"],
        "need_to_know": "The health visitor sees the child at home each week.", "consent_basis": "refused",
        "override_ground": "significant_harm", "legal_basis": "significant_harm", **values,
    }  # fmt: skip


def disclose_body(after: AfterWorld) -> dict[str, Any]:
    return {
        "recipients": [after.user("health_visitor").pk], "subject_told": "not_safe",
        "subject_not_told_reason": "Telling the parent would put the child at risk.",
        "why_shared": "The health visitor must know.", "proportionality": "Only the case note.",
        "public_interest": "The child's safety.", "why_without_consent": "The parent refused.",
    }  # fmt: skip


def refusal_recorded(response: Any, *kinds: str) -> bool:
    return AuditEvent.objects.filter(kind__in=kinds, request_id=response["X-Request-ID"]).exists()


def test_asked_agreed_and_passed_on(after: AfterWorld) -> None:
    school, manager = client(after, "school"), client(after, "designated_manager")
    made = post(school, "/api/v1/onward-requests/", submit_body(after))
    assert made.status_code == 201, made.json()
    pk = made.json()["id"]
    assert made.json()["state"] == "requested" and made.json()["actions"] == ["withdraw"]
    # Nothing is passed on before the originator agrees: 403 naming the rule, nothing written.
    early = post(school, f"/api/v1/onward-requests/{pk}/disclose/", disclose_body(after))
    assert early.status_code == 403 and "has not agreed yet" in early.json()["error"]["message"]
    assert not Disclosure.objects.filter(kind="onward").exists()
    assert refusal_recorded(early, "access.denied")
    agreed = post(manager, f"/api/v1/onward-requests/{pk}/decision/", {"decision": "agree"})
    assert agreed.status_code == 200 and agreed.json()["state"] == "agreed"
    again = post(manager, f"/api/v1/onward-requests/{pk}/decision/", {"decision": "decline", "decline_reason": "other"})
    assert again.status_code == 409
    passed = post(school, f"/api/v1/onward-requests/{pk}/disclose/", disclose_body(after))
    assert passed.status_code == 201, passed.json()
    made_disclosure = Disclosure.objects.get(onward_request_id=pk)
    lineage = manager.get(f"/api/v1/disclosures/{made_disclosure.pk}/lineage/")
    assert lineage.status_code == 200
    assert [node["hop"] for node in lineage.json()["nodes"]] == [0, 1]
    entry = manager.get(f"/api/v1/lineage/entries/{after.made.entry.pk}/")
    assert [node["disclosure"] for node in entry.json()["nodes"]] == [after.disclosure.pk, made_disclosure.pk]


def test_another_agencys_onward_request_in_the_url_is_a_404(after: AfterWorld) -> None:
    onward = onward_submit(after)
    police = sign_in(Client(), after.world.users["other_agency"])
    for path in ("", "decision/"):
        url = f"/api/v1/onward-requests/{onward.pk}/{path}"
        response = police.get(url) if not path else post(police, url, {"decision": "agree"})
        assert response.status_code == 404
        assert refusal_recorded(response, "access.denied")
    assert OnwardRequest.objects.get(pk=onward.pk).state == "requested"


def test_another_agencys_disclosure_in_the_body_reads_as_missing(after: AfterWorld) -> None:
    """The police officer names the school's disclosure: a 400 like a missing id, recorded as reaching out of
    scope; nothing written."""
    police = sign_in(Client(), after.world.users["other_agency"])
    before = OnwardRequest.objects.count()
    response = post(police, "/api/v1/onward-requests/", submit_body(after))
    assert response.status_code == 400 and "parent_disclosure" in response.json()["error"]["fields"]
    assert refusal_recorded(response, "access.denied", "request.refused")
    assert OnwardRequest.objects.count() == before


def test_an_entry_not_received_is_refused_by_field(after: AfterWorld) -> None:
    school = client(after, "school")
    response = post(school, "/api/v1/onward-requests/", submit_body(after, entries=[after.made.entry.pk + 10_000]))
    assert response.status_code == 400
    assert "only the entries your agency received" in str(response.json()["error"]["fields"]["entries"])


def test_only_the_originators_manager_decides(after: AfterWorld) -> None:
    onward = onward_submit(after)
    practitioner = client(after, "practitioner")
    response = post(practitioner, f"/api/v1/onward-requests/{onward.pk}/decision/", {"decision": "agree"})
    assert response.status_code == 403 and "designated manager of the agency the information came from" in str(
        response.json()["error"]["message"]
    )
