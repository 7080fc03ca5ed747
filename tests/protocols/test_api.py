"""The protocols API through real requests: a protocol's whole life as a partnership admin and an agency's
admin would drive it from their own systems, and the bad input the issue names (issue 4)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from protocols.models import Consultation, ConsultationResponse, Protocol, ProtocolVersion, Signature
from protocols.services import consultations_sweep
from tests import protocol_fixtures as fx
from tests.factories import World
from tests.matrix import client_as

pytestmark = pytest.mark.django_db


def send(client: Client, method: str, url: str, body: dict[str, Any] | None = None) -> Any:
    return getattr(client, method)(url, data=body or {}, content_type="application/json")


def fields_of(response: Any) -> dict[str, list[str]]:
    assert response.status_code == 400, response.content
    return dict(response.json()["error"]["fields"])


def create(client: Client, **overrides: Any) -> Any:
    body = {
        "title": "Northbridge Information Sharing Protocol",
        "kind": "general",
        "text": "The partners agree to share information about children lawfully.",
        "permitted_purposes": [fx.PURPOSE],
        "grounds_without_consent": ["significant_harm", "court_order"],
        "response_working_days": 10,
        **overrides,
    }
    return send(client, "post", "/api/v1/protocols/", body)


def test_a_protocol_from_draft_to_a_consulted_second_version(world: World) -> None:
    admin = client_as(world, "partnership_admin")
    home_admin = client_as(world, "agency_admin")

    created = create(admin)
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert created.json()["status"] == "draft"

    adopted = send(admin, "post", f"/api/v1/protocols/{pk}/adopt/", {})
    assert adopted.status_code == 200 and adopted.json()["status"] == "active"

    sign_body = {
        "agency": world.home.pk,
        "signatory_name": "Jo Director",
        "signatory_title": "Director of Children's Services",
        "attestation": "I sign on behalf of Home Council Children's Services, which agrees to abide by this protocol.",
    }
    # Southampton 18: not before the signatory checklist is complete.
    refused = send(home_admin, "post", f"/api/v1/protocols/{pk}/sign/", sign_body)
    assert "agency" in fields_of(refused)
    assert not Signature.objects.filter(protocol_id=pk).exists()
    fx.complete_checklist(world.home)
    signed = send(home_admin, "post", f"/api/v1/protocols/{pk}/sign/", sign_body)
    assert signed.status_code == 201, signed.content
    assert "agency" in fields_of(send(home_admin, "post", f"/api/v1/protocols/{pk}/sign/", sign_body))  # twice
    assert Signature.objects.filter(protocol_id=pk).count() == 1

    drafted = send(
        admin,
        "post",
        f"/api/v1/protocols/{pk}/versions/",
        {"text": "Revised text.", "change_note": "Faster replies", "response_working_days": 5},
    )
    assert drafted.status_code == 201 and drafted.json()["number"] == 2
    assert drafted.json()["grounds_without_consent"] == ["significant_harm", "court_order"]  # carried from v1

    opened = send(admin, "post", f"/api/v1/protocols/{pk}/consult/", {"working_days": 10})
    assert opened.status_code == 201, opened.content
    consultation_id = opened.json()["id"]

    # The other agency was not circulated (it has not signed): it cannot answer, for itself or for home.
    other = client_as(world, "other_agency")
    assert (
        send(
            other,
            "post",
            f"/api/v1/consultations/{consultation_id}/respond/",
            {"agency": world.home.pk, "response": "agree"},
        ).status_code
        == 403
    )
    answered = send(
        home_admin,
        "post",
        f"/api/v1/consultations/{consultation_id}/respond/",
        {"agency": world.home.pk, "response": "comment", "comment": "Five days is tight for schools."},
    )
    assert answered.status_code == 201 and answered.json()["response"] == "comment"

    too_early = send(admin, "post", f"/api/v1/consultations/{consultation_id}/decide/", {"adopt": True})
    # The body has no "outcome" field: the consultation's state is named as no field (issue 8).
    assert list(fields_of(too_early)) == ["non_field_errors"]

    consultation = Consultation.objects.get(pk=consultation_id)
    consultations_sweep(today=consultation.deadline + timedelta(days=1))
    decided = send(admin, "post", f"/api/v1/consultations/{consultation_id}/decide/", {"adopt": True})
    assert decided.status_code == 200 and decided.json()["outcome"] == "adopted", decided.content

    detail = admin.get(f"/api/v1/protocols/{pk}/").json()
    assert detail["current_version_number"] == 2
    assert detail["current"]["response_working_days"] == 5
    assert [v["number"] for v in detail["versions"]] == [1, 2]
    # The home agency's signature was carried over to version 2.
    live = admin.get("/api/v1/signatures/", {"protocol": pk, "live": "true"}).json()["results"]
    on_v2 = [row for row in live if row["version_number"] == 2]
    assert [row["agency"] for row in on_v2] == [world.home.pk]
    assert on_v2[0]["carried_over_from"] == signed.json()["id"]

    # Responding after the deadline is refused.
    late = send(
        home_admin,
        "post",
        f"/api/v1/consultations/{consultation_id}/respond/",
        {"agency": world.home.pk, "response": "agree"},
    )
    assert late.status_code in {400, 403}
    assert ConsultationResponse.objects.get(consultation_id=consultation_id).response == "comment"


def test_an_invalid_transition_is_refused(world: World) -> None:
    admin = client_as(world, "partnership_admin")
    pk = create(admin).json()["id"]
    response = send(admin, "post", f"/api/v1/protocols/{pk}/transition/", {"to_status": "superseded", "reason": "x"})
    assert "to_status" in fields_of(response)
    assert Protocol.objects.get(pk=pk).status == "draft"


def test_a_review_schedule_that_ends_before_it_starts_is_refused(world: World) -> None:
    admin = client_as(world, "partnership_admin")
    yesterday = str(timezone.localdate() - timedelta(days=1))
    response = create(admin, first_review_months=None, review_every_months=None, fixed_review_date=yesterday)
    assert "fixed_review_date" in fields_of(response)
    assert not Protocol.objects.exists()
    assert not ProtocolVersion.objects.exists()


def test_withdrawing_a_signature_needs_a_reason_and_the_agencys_admin(world: World) -> None:
    protocol = fx.protocol_in_force(world)
    signature = Signature.objects.get(protocol=protocol, agency=world.home)
    url = f"/api/v1/signatures/{signature.pk}/withdraw/"
    assert send(client_as(world, "other_agency"), "post", url, {"reason": "No"}).status_code == 403
    assert "reason" in fields_of(send(client_as(world, "agency_admin"), "post", url, {"reason": ""}))
    withdrawn = send(client_as(world, "agency_admin"), "post", url, {"reason": "Our director has left"})
    assert withdrawn.status_code == 200 and withdrawn.json()["withdrawal_reason"] == "Our director has left"


def test_review_completion_sets_the_report_due_date(world: World) -> None:
    protocol = fx.protocol_in_force(world)
    review = protocol.reviews.order_by("number").first()
    assert review is not None
    today = timezone.localdate()
    response = send(
        client_as(world, "partnership_admin"),
        "post",
        f"/api/v1/reviews/{review.pk}/complete/",
        {"findings": "Working well; consent recording uneven.", "completed_on": str(today)},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "completed"
    # Haringey 5.3: no partnership meeting is arranged, so one calendar month after completion.
    from protocols.rules import report_due

    assert body["report_due_on"] == str(report_due(today, None))
    assert body["report_due_on"] > str(today)


def test_a_partner_audit_through_the_api(world: World) -> None:
    """Notice, a draft extract naming one partner, that partner's response; nobody else sees or answers it."""
    protocol = fx.protocol_in_force(world)
    home_admin = client_as(world, "agency_admin")
    partnership_admin = client_as(world, "partnership_admin")
    today = timezone.localdate()
    body = {
        "protocol": protocol.pk,
        "auditing_agency": world.other.pk,
        "scope": "How partners record consent",
        "notice_given_on": str(today),
        "starts_on": str(today + timedelta(days=10)),
        "responses_due_on": str(today + timedelta(days=90)),
    }
    # A month's notice: starting sooner is refused on the field, and nothing is written.
    assert "starts_on" in fields_of(send(partnership_admin, "post", "/api/v1/protocol-audits/", body))
    # The home agency's admin may not give notice for another agency.
    body["starts_on"] = str(today + timedelta(days=40))
    assert send(home_admin, "post", "/api/v1/protocol-audits/", body).status_code == 403
    made = send(partnership_admin, "post", "/api/v1/protocol-audits/", body)
    assert made.status_code == 201, made.content
    audit_id = made.json()["id"]
    assert send(home_admin, "get", f"/api/v1/protocol-audits/{audit_id}/").json()["scope"] == body["scope"]

    extract = send(
        partnership_admin,
        "post",
        f"/api/v1/protocol-audits/{audit_id}/extracts/",
        {"title": "Finding 1", "text": "Consent is recorded well.", "named_agencies": [world.home.pk]},
    )
    assert extract.status_code == 201, extract.content
    extract_id = extract.json()["id"]
    # Only the named partner (and partnership admins) see it; a practitioner does not even know it exists.
    assert send(client_as(world, "practitioner"), "get", f"/api/v1/audit-extracts/{extract_id}/").status_code == 404
    assert [row["id"] for row in send(home_admin, "get", "/api/v1/audit-extracts/").json()["results"]] == [extract_id]
    # A partnership admin sees it but does not answer for the named agency.
    url = f"/api/v1/audit-extracts/{extract_id}/responses/"
    answer = {"agency": world.home.pk, "text": "We agree."}
    assert send(partnership_admin, "post", url, answer).status_code == 403
    answered = send(home_admin, "post", url, answer)
    assert answered.status_code == 201, answered.content
    assert "text" in fields_of(send(home_admin, "post", url, answer))  # once per agency
    detail = send(home_admin, "get", f"/api/v1/audit-extracts/{extract_id}/").json()
    assert [row["text"] for row in detail["responses"]] == ["We agree."]


def test_audit_api_text_is_bounded(world: World) -> None:
    protocol = fx.protocol_in_force(world)
    today = timezone.localdate()
    refused = send(
        client_as(world, "partnership_admin"),
        "post",
        "/api/v1/protocol-audits/",
        {
            "protocol": protocol.pk,
            "auditing_agency": world.home.pk,
            "scope": "x" * 5001,
            "notice_given_on": str(today),
            "starts_on": str(today + timedelta(days=40)),
            "responses_due_on": str(today + timedelta(days=90)),
        },
    )
    assert "scope" in fields_of(refused)
