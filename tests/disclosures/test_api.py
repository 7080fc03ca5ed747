"""The disclosures API (disclosures/api; design12 section 8) walked through the issue's scenario - a school
practitioner asks children's social care for sensitive information about a child whose parent refused consent; a
social-care practitioner answers on significant harm; the designated manager approves; the requester reads exactly
the entries shared, an unnamed colleague none, the police nothing - and its refusals: 400 by field, 403 naming the
rule, 404 out of scope, 409 for a second answer; and an agency system's token (design12 F12)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from agencies.models import TokenScope
from audit.models import AuditEvent
from consent.services import consent_withdraw
from disclosures.models import AnswerEntry, Disclosure, InformationRequest
from protocols.models import Signature
from protocols.services import signature_withdraw
from sharing.services import entry_record, entry_revise
from tests.consent.fixtures import parent, record
from tests.disclosures.fixtures import PURPOSE, answer, case, disclosure_of, refreshed, school_of, submit
from tests.factories import SYSTEM, World, make_api_token, sign_in
from tests.sharing.fixtures import fresh

pytestmark = pytest.mark.django_db

READ = {"X-Purpose": PURPOSE}


def client(world: World, role: str) -> Client:
    return sign_in(Client(), fresh(world.users[role]))


def post(who: Client, url: str, body: dict[str, Any], **headers: str) -> Any:
    return who.post(url, data=body, content_type="application/json", headers=headers)


def request_body(made: Any, **values: Any) -> dict[str, Any]:
    body = {
        "child": made.child.pk,
        "holding_agency": made.world.home.pk,
        "purpose": PURPOSE,
        "tiers": ["minimum", "sensitive"],
        "categories": ["case_note"],
        "need_to_know": "The child said at school they are frightened to go home.",
        "consent_basis": "refused",
        "override_ground": "significant_harm",
    }
    body.update(values)
    return body


def share_body(made: Any, **values: Any) -> dict[str, Any]:
    body = {
        "outcome": "share",
        "entries": [made.entry.pk],
        "legal_basis": "significant_harm",
        "public_interest": "The child's safety outweighs the parent's wish for confidentiality.",
        "proportionality": "Only the case note about the disclosure at home is needed.",
        "why_shared": "The school must know to keep the child safe during the day.",
        "why_without_consent": "The parent refused; asking again would put the child at risk of significant harm.",
        "subject_told": "not_safe",
        "subject_not_told_reason": "Telling the parent would put the child at risk.",
    }
    body.update(values)
    return body


def fields(response: Any) -> dict[str, list[str]]:
    assert response.status_code == 400, response.content
    found: dict[str, list[str]] = response.json()["error"]["fields"]
    return found


def test_the_issue_scenario_through_the_api(world: World) -> None:
    made = case(world)
    school = client(world, "school")
    asked = post(school, "/api/v1/requests/", request_body(made))
    assert asked.status_code == 201, asked.content
    request_id = asked.json()["id"]
    assert asked.json()["state"] == "submitted" and asked.json()["due_on"]
    assert asked.json()["actions"] == ["withdraw"]
    # Children's social care sees it in its inbox; the school among what it sent.
    practitioner = client(world, "practitioner")
    inbox = practitioner.get("/api/v1/requests/").json()
    assert [row["id"] for row in inbox["inbox"]] == [request_id] and inbox["sent"] == []
    assert [row["id"] for row in school.get("/api/v1/requests/").json()["sent"]] == [request_id]

    answered = post(practitioner, f"/api/v1/requests/{request_id}/answer/", share_body(made))
    assert answered.status_code == 200, answered.content
    assert answered.json()["state"] == "awaiting_approval" and answered.json()["disclosure"] is None
    assert answered.json()["answer"]["legal_basis"] == "significant_harm"

    manager = client(world, "designated_manager")
    queue = manager.get("/api/v1/approvals/").json()
    assert [(row["id"], row["may_approve"]) for row in queue["approvals"]] == [(request_id, True)]
    approved = post(manager, f"/api/v1/requests/{request_id}/approval/", {"decision": "approve", "note": "Fine."})
    assert approved.status_code == 200, approved.content
    assert approved.json()["state"] == "shared"
    disclosure_id = approved.json()["disclosure"]
    assert disclosure_id == disclosure_of(refreshed(InformationRequest.objects.get(pk=request_id))).pk

    # The requester reads exactly the entries shared.
    read = school.get(f"/api/v1/disclosures/{disclosure_id}/", headers=READ)
    assert read.status_code == 200, read.content
    body = read.json()
    assert [item["entry_id"] for item in body["content"]["entries"]] == [made.entry.pk]
    assert body["hash_verified"] is True and body["approver"]["id"] == world.users["designated_manager"].pk
    assert [row["id"] for row in school.get("/api/v1/disclosures/?direction=received").json()["received"]] == [
        disclosure_id
    ]
    assert AuditEvent.objects.filter(kind="disclosure.view", object_id=str(disclosure_id), purpose=PURPOSE).exists()
    # An unnamed colleague of the school: none of it; the police: nothing.
    for role in ("school_colleague", "other_agency"):
        outsider = client(world, role)
        assert outsider.get(f"/api/v1/disclosures/{disclosure_id}/", headers=READ).status_code == 404
        assert outsider.get(f"/api/v1/requests/{request_id}/").status_code == 404
        lists = outsider.get("/api/v1/disclosures/").json()
        assert lists == {"sent": [], "received": []}
    # Social care lists it among those it made.
    assert [row["id"] for row in manager.get("/api/v1/disclosures/?direction=sent").json()["sent"]] == [disclosure_id]


def test_a_disclosure_read_needs_a_purpose(world: World) -> None:
    made = case(world)
    request = submit(made)
    answer(made, request)
    approved = post(
        client(world, "designated_manager"), f"/api/v1/requests/{request.pk}/approval/", {"decision": "approve"}
    )
    disclosure_id = approved.json()["disclosure"]
    assert "X-Purpose" in fields(client(world, "school").get(f"/api/v1/disclosures/{disclosure_id}/"))


def test_an_agency_without_a_live_signature_is_refused_by_field(world: World) -> None:
    made = case(world)
    signature = Signature.objects.get(agency=world.home, withdrawn_at__isnull=True)
    signature_withdraw(actor=SYSTEM, signature=signature, reason="Leaving the partnership.")
    refused = fields(post(client(world, "school"), "/api/v1/requests/", request_body(made)))
    assert "no protocol version in force that both have signed" in refused["holding_agency"][0]
    assert not InformationRequest.objects.exists()


def test_a_child_out_of_scope_reads_as_not_existing(world: World) -> None:
    made = case(world, shielded=True)
    refused = fields(post(client(world, "school"), "/api/v1/requests/", request_body(made)))
    assert "Nothing you can reach has the id" in refused["child"][0]


def test_consent_withdrawn_a_minute_ago_refuses_the_request(world: World) -> None:
    made = case(world)
    consent = record(world, made.child, tiers=["minimum", "sensitive"], recipients=[school_of(world)], **parent())
    consent_withdraw(
        actor=made.user("practitioner"), consent=consent, withdrawn_on=timezone.localdate(), reason="Changed mind."
    )
    body = request_body(made, consent_basis="consent", consent=consent.pk, override_ground="")
    refused = fields(post(client(world, "school"), "/api/v1/requests/", body))
    assert "withdrawn" in refused["consent"][0].lower()


def test_a_purpose_the_protocol_does_not_permit_is_refused(world: World) -> None:
    made = case(world)
    refused = fields(post(client(world, "school"), "/api/v1/requests/", request_body(made, purpose="Marketing")))
    assert "does not permit sharing for this purpose" in refused["purpose"][0]


def test_bad_enums_unknown_fields_and_oversized_lists_are_refused_by_field(world: World) -> None:
    made = case(world)
    school = client(world, "school")
    body = request_body(made, tiers=["everything"], urgency="yesterday", colour="blue", categories=["case_note"] * 100)
    refused = fields(post(school, "/api/v1/requests/", body))
    assert {"tiers.0", "urgency", "colour", "categories"} <= set(refused)
    assert "consent_basis" in fields(post(school, "/api/v1/requests/", request_body(made, consent_basis="maybe")))
    assert "state" in fields(school.get("/api/v1/requests/?state=lost"))


def test_approving_your_own_request_is_refused_naming_the_rule(world: World) -> None:
    made = case(world)
    request = submit(made, by="designated_manager", holding_agency=school_of(world))
    # The school's answer needs a school entry; the rule refuses before any of that is read.
    refused = post(
        client(world, "designated_manager"), f"/api/v1/requests/{request.pk}/approval/", {"decision": "approve"}
    )
    assert refused.status_code == 403, refused.content
    assert "Only a designated manager" in refused.json()["error"]["message"]


def test_the_requester_may_not_approve_the_answered_request(world: World) -> None:
    made = case(world)
    request = submit(made)
    answer(made, request)
    refused = post(client(world, "school"), f"/api/v1/requests/{request.pk}/approval/", {"decision": "approve"})
    assert refused.status_code == 403, refused.content
    assert "designated manager" in refused.json()["error"]["message"]


def test_answering_twice_is_a_conflict(world: World) -> None:
    made = case(world)
    request = submit(made)
    practitioner = client(world, "practitioner")
    first = post(practitioner, f"/api/v1/requests/{request.pk}/answer/", share_body(made))
    assert first.status_code == 200, first.content
    second = post(
        client(world, "designated_manager"), f"/api/v1/requests/{request.pk}/answer/",
        {"outcome": "decline", "decline_reason": "nothing_held"},
    )  # fmt: skip
    assert second.status_code == 409, second.content
    assert second.json()["error"]["code"] == "conflict"
    assert AuditEvent.objects.filter(kind="access.denied", request_id=second["X-Request-ID"]).count() == 1
    assert refreshed(request).state == "awaiting_approval"


def test_approving_twice_is_a_conflict_and_the_requester_withdrawing_after_is_too(world: World) -> None:
    made = case(world)
    request = submit(made)
    answer(made, request)
    manager = client(world, "designated_manager")
    assert post(manager, f"/api/v1/requests/{request.pk}/approval/", {"decision": "approve"}).status_code == 200
    again = post(client(world, "second_manager"), f"/api/v1/requests/{request.pk}/approval/", {"decision": "approve"})
    assert again.status_code == 409, again.content
    assert post(client(world, "school"), f"/api/v1/requests/{request.pk}/withdraw/", {}).status_code == 409
    assert Disclosure.objects.filter(request_id=request.pk).count() == 1


def test_decline_and_manager_decline_name_their_fields(world: World) -> None:
    made = case(world)
    request = submit(made)
    practitioner = client(world, "practitioner")
    url = f"/api/v1/requests/{request.pk}/answer/"
    assert "decline_reason" in fields(post(practitioner, url, {"outcome": "decline"}))
    assert "decline_detail" in fields(post(practitioner, url, {"outcome": "decline", "decline_reason": "other"}))
    assert "legal_basis" in fields(post(practitioner, url, share_body(made, legal_basis="x")))
    declined = post(practitioner, url, {"outcome": "decline", "decline_reason": "nothing_held"})
    assert declined.status_code == 200 and declined.json()["state"] == "declined"
    assert declined.json()["decline_reason"] == "nothing_held"


def test_another_agencys_disclosure_and_request_are_not_found(world: World) -> None:
    made = case(world)
    request = submit(made)
    answer(made, request)
    disclosure = post(
        client(world, "designated_manager"), f"/api/v1/requests/{request.pk}/approval/", {"decision": "approve"}
    )
    disclosure_id = disclosure.json()["disclosure"]
    police = client(world, "other_agency")
    assert police.get(f"/api/v1/disclosures/{disclosure_id}/", headers=READ).status_code == 404
    assert post(police, f"/api/v1/disclosures/{disclosure_id}/revoke/", {"reason": "x"}, **READ).status_code == 404
    assert post(police, f"/api/v1/requests/{request.pk}/answer/", {"outcome": "decline"}).status_code == 404
    assert police.get("/api/v1/disclosures/99999999/", headers=READ).status_code == 404


def test_revoke_then_revoke_again_is_a_conflict_and_the_requester_loses_the_content(world: World) -> None:
    made = case(world)
    request = submit(made)
    answer(made, request)
    manager = client(world, "designated_manager")
    disclosure_id = post(manager, f"/api/v1/requests/{request.pk}/approval/", {"decision": "approve"}).json()[
        "disclosure"
    ]
    url = f"/api/v1/disclosures/{disclosure_id}/revoke/"
    assert "reason" in fields(post(manager, url, {"reason": ""}, **READ))
    revoked = post(manager, url, {"reason": "Shared with the wrong school."}, **READ)
    assert revoked.status_code == 200 and revoked.json()["revoked"] is True
    assert post(manager, url, {"reason": "Again."}, **READ).status_code == 409
    school = client(world, "school").get(f"/api/v1/disclosures/{disclosure_id}/", headers=READ)
    assert school.status_code == 200 and school.json()["content"] is None


# --- An agency system's token (design12 F12) ----------------------------------------------------------------------


def bearer(world: World, agency: Any, scopes: list[Any], name: str) -> Client:
    secret = f"isp_tests-{name}-token-".ljust(48, "0")
    make_api_token(agency, scopes, name=f"Test {name}", secret=secret)
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


REQUESTS_TOKEN = [TokenScope.CHILDREN_READ, TokenScope.RECORDS_READ, TokenScope.REQUESTS_WRITE]


def test_a_token_submits_and_withdraws_a_request(world: World) -> None:
    made = case(world)
    token = bearer(world, school_of(world), REQUESTS_TOKEN, "school-requests")
    asked = post(token, "/api/v1/requests/", request_body(made))
    assert asked.status_code == 201, asked.content
    request_id = asked.json()["id"]
    assert [row["id"] for row in token.get("/api/v1/requests/").json()["sent"]] == [request_id]
    withdrawn = post(token, f"/api/v1/requests/{request_id}/withdraw/", {"reason": "Raised in error."})
    assert withdrawn.status_code == 200 and withdrawn.json()["state"] == "withdrawn"


def test_a_token_answers_but_never_approves(world: World) -> None:
    made = case(world)
    request = submit(made)
    token = bearer(world, world.home, REQUESTS_TOKEN, "care-requests")
    assert [row["id"] for row in token.get("/api/v1/requests/").json()["inbox"]] == [request.pk]
    answered = post(token, f"/api/v1/requests/{request.pk}/answer/", share_body(made))
    assert answered.status_code == 200, answered.content
    assert answered.json()["state"] == "awaiting_approval"
    refused = post(token, f"/api/v1/requests/{request.pk}/approval/", {"decision": "approve"})
    assert refused.status_code == 403 and "scopes" in refused.json()["error"]["message"]
    assert token.get("/api/v1/approvals/").status_code == 403
    # A human designated manager approves the token's answer.
    approved = post(
        client(world, "designated_manager"), f"/api/v1/requests/{request.pk}/approval/", {"decision": "approve"}
    )
    assert approved.status_code == 200 and approved.json()["state"] == "shared"
    # Disclosures are people's: a token reads none, makes none.
    assert token.get(f"/api/v1/disclosures/{approved.json()['disclosure']}/", headers=READ).status_code == 404
    assert token.get("/api/v1/disclosures/").status_code == 403


def test_a_token_without_requests_write_is_refused_for_its_scopes(world: World) -> None:
    made = case(world)
    token = bearer(world, school_of(world), [TokenScope.CHILDREN_READ], "school-index")
    refused = post(token, "/api/v1/requests/", request_body(made))
    assert refused.status_code == 403 and "scopes" in refused.json()["error"]["message"]


def test_the_holding_agency_answers_with_a_second_entry_of_another_category_refused(world: World) -> None:
    made = case(world)
    request = submit(made)
    other = entry_record(
        actor=made.user("practitioner"), child=made.child, agency=world.home, category="health",
        fields={"topic": "Asthma"}, text="Inhaler at school.", basis="fact",
    )  # fmt: skip
    url = f"/api/v1/requests/{request.pk}/answer/"
    refused = fields(post(client(world, "practitioner"), url, share_body(made, entries=[made.entry.pk, other.pk])))
    assert "minimum needed" in refused["entries"][0]


# --- The revisions read (the answer pages' choice, through the same service argument) ----------------------------


def _correct(made: Any) -> None:
    entry_revise(
        actor=made.user("practitioner"), entry=made.entry, fields={},
        text="CORRECTED: it was a neighbour, wrongly recorded.", basis="fact", reason="Correction.",
    )  # fmt: skip


def test_an_answer_states_the_revision_read_and_a_correction_since_is_refused(world: World) -> None:
    made = case(world)
    request = submit(made)
    url = f"/api/v1/requests/{request.pk}/answer/"
    practitioner = client(world, "practitioner")
    _correct(made)  # the caller read revision 1; the entry now reads as revision 2
    stale = fields(post(practitioner, url, share_body(made, revisions=[{"entry": made.entry.pk, "revision": 1}])))
    assert list(stale) == ["revisions"] and "corrected since you checked it" in stale["revisions"][0]
    assert refreshed(request).state == "submitted" and not AnswerEntry.objects.filter(answer__request=request).exists()
    answered = post(practitioner, url, share_body(made, revisions=[{"entry": made.entry.pk, "revision": 2}]))
    assert answered.status_code == 200, answered.content
    assert list(AnswerEntry.objects.filter(answer__request=request).values_list("revision__number", flat=True)) == [2]


@pytest.mark.parametrize(
    ("revisions", "words"),
    [
        (lambda entry: [{"entry": entry, "revision": 7}], "has no revision 7"),
        (lambda entry: [], "Say which revision of entry"),
        (lambda entry: [{"entry": entry, "revision": 1}, {"entry": entry + 1000, "revision": 1}], "not one of the"),
        (lambda entry: [{"entry": entry, "revision": 1}, {"entry": entry, "revision": 1}], "named twice"),
    ],
    ids=["not the entry's", "none for an entry", "an entry not shared", "twice"],
)
def test_a_revision_that_is_not_the_entrys_is_refused_by_field(world: World, revisions: Any, words: str) -> None:
    made = case(world)
    request = submit(made)
    body = share_body(made, revisions=revisions(made.entry.pk))
    refused = fields(post(client(world, "practitioner"), f"/api/v1/requests/{request.pk}/answer/", body))
    assert list(refused) == ["revisions"] and words in refused["revisions"][0], refused
    assert refreshed(request).state == "submitted" and not AnswerEntry.objects.filter(answer__request=request).exists()


def test_the_schema_describes_the_revisions_of_an_answer(world: World) -> None:
    schema = Client().get("/api/schema/?format=json").json()
    answer_in = schema["components"]["schemas"]["AnswerInRequest"]["properties"]
    assert answer_in["revisions"]["type"] == "array"
    item = schema["components"]["schemas"]["EntryRevisionInRequest"]
    assert set(item["required"]) == {"entry", "revision"}
