"""The consent API as an agency's developer would use it, and the FHIR form validated by the fhir.resources
models (FHIR R4 Consent; R4B's Consent is R4's)."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone
from fhir.resources.R4B.consent import Consent

from audit.models import AuditEvent
from consent.fhir import consent_resource
from consent.models import ConsentRecord
from consent.selectors import consents_visible
from consent.services import consent_withdraw
from tests.consent.fixtures import assessed, child_aged, parent, record
from tests.consent.samples import png
from tests.factories import World
from tests.matrix import client_as
from tests.protocol_fixtures import protocol_in_force
from tests.sharing.fixtures import PURPOSE, fresh

pytestmark = pytest.mark.django_db
READ = {"X-Purpose": "Checking the consent before a referral"}


@pytest.fixture(autouse=True)
def private_media(tmp_path: Path):  # type: ignore[no-untyped-def]
    with override_settings(PRIVATE_MEDIA_ROOT=tmp_path):
        yield tmp_path


def body(world: World, **values: Any) -> dict[str, Any]:
    today = timezone.localdate().isoformat()
    return {
        "given_by": "child",
        "form": "explicit_verbal",
        "decision": "given",
        "protocol": protocol_in_force(world).pk,
        "purposes": [PURPOSE],
        "tiers": ["minimum"],
        "recipients": [world.other.pk],
        "obtained_on": today,
        **values,
    }


def post(client: Any, url: str, data: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
    return client.post(url, data=json.dumps(data), content_type="application/json", headers=headers)


def test_record_list_read_fhir_and_withdraw(world: World) -> None:
    child = child_aged(world, 14)
    client = client_as(world, "practitioner")
    url = f"/api/v1/children/{child.pk}/consents/"
    made = post(client, url, body(world, **{**assessed(), "assessed_on": timezone.localdate().isoformat()}))
    assert made.status_code == 201, made.content
    consent = made.json()
    assert consent["child_age"] == 14 and consent["competence"] == "competent" and consent["in_force"]
    assert consent["recipients"] == [{"id": world.other.pk, "name": world.other.name}]

    listed = client.get(url, headers=READ)
    assert [row["id"] for row in listed.json()] == [consent["id"]]
    assert AuditEvent.objects.filter(kind="consent.list", child_id=child.pk, purpose=READ["X-Purpose"]).exists()

    fhir = client.get(f"/api/v1/consents/{consent['id']}/fhir/", headers=READ)
    assert fhir.status_code == 200 and fhir["Content-Type"] == "application/fhir+json"
    resource = Consent.model_validate_json(fhir.content)
    assert resource.status == "active" and resource.provision.type == "permit"
    assert resource.patient.reference == f"Patient/{child.pk}"
    assert resource.provision.actor[0].reference.reference == f"Organization/{world.other.pk}"
    assert resource.provision.purpose[0].display == PURPOSE

    withdrawn = post(
        client,
        f"/api/v1/consents/{consent['id']}/withdraw/",
        {"withdrawn_on": timezone.localdate().isoformat(), "reason": "The young person asked"},
        READ,
    )
    assert withdrawn.status_code == 200 and withdrawn.json()["withdrawal"]["reason"] == "The young person asked"
    assert not withdrawn.json()["in_force"]
    again = Consent.model_validate_json(client.get(f"/api/v1/consents/{consent['id']}/fhir/", headers=READ).content)
    assert again.status == "inactive" and again.provision.period.end is not None


def test_refusals_are_400s_naming_the_fields(world: World) -> None:
    child = child_aged(world, 14)
    client = client_as(world, "practitioner")
    url = f"/api/v1/children/{child.pk}/consents/"
    refused = post(client, url, body(world))
    assert refused.status_code == 400
    assert "Fraser/Gillick" in refused.json()["error"]["fields"]["competence"][0]
    before = (
        past := post(client, url, body(world, **{**assessed(), "assessed_on": timezone.localdate().isoformat()}))
    ).json()
    assert past.status_code == 201
    withdrawn = post(
        client,
        f"/api/v1/consents/{before['id']}/withdraw/",
        {"withdrawn_on": (timezone.localdate() - timedelta(days=1)).isoformat(), "reason": "Asked"},
        READ,
    )
    assert withdrawn.status_code == 400 and "withdrawn_on" in withdrawn.json()["error"]["fields"]
    assert ConsentRecord.objects.filter(child=child).count() == 1


def test_evidence_that_is_not_what_it_says_is_a_400(world: World, private_media: Path) -> None:
    child = child_aged(world, 16)
    made = record(world, child)
    client = client_as(world, "practitioner")
    url = f"/api/v1/consents/{made.pk}/evidence/"
    wrong = client.post(
        url, {"file": SimpleUploadedFile("form.pdf", png(), content_type="application/pdf")}, headers=READ
    )
    assert wrong.status_code == 400
    assert "not what its name says" in wrong.json()["error"]["fields"]["file"][0]
    assert not any(private_media.rglob("*.*"))
    right = client.post(url, {"file": SimpleUploadedFile("photo.png", png(), content_type="image/png")}, headers=READ)
    assert right.status_code == 201 and right.json()["evidence"]["content_type"] == "image/png"


def test_the_evidence_is_downloaded_with_its_purpose_and_audited(world: World) -> None:
    """GET /api/v1/consents/{id}/evidence/: the browser's download through the API, on the same terms (the
    policy, then X-Purpose, then every opening recorded with it)."""
    child = child_aged(world, 16)
    made = record(world, child)
    url = f"/api/v1/consents/{made.pk}/evidence/"
    client = client_as(world, "practitioner")
    assert client.get(url, headers=READ).status_code == 404  # no evidence yet
    assert client.post(url, {"file": SimpleUploadedFile("p.png", png())}, headers=READ).status_code == 201
    without = client.get(url)
    assert without.status_code == 400 and "X-Purpose" in without.json()["error"]["fields"]
    assert not AuditEvent.objects.filter(kind="consent.evidence_view").exists()
    response = client.get(url, headers=READ)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == png()
    assert response["Cache-Control"] == "no-store" and response["X-Content-Type-Options"] == "nosniff"
    assert f'filename="consent-{made.pk}-evidence.png"' in response["Content-Disposition"]
    opening = AuditEvent.objects.get(kind="consent.evidence_view", object_id=str(made.pk))
    assert opening.purpose == READ["X-Purpose"]
    # The police officer sees the child in the index but is not involved: the file is out of their scope.
    assert client_as(world, "other_agency").get(url, headers=READ).status_code == 404
    assert AuditEvent.objects.filter(kind="consent.evidence_view").count() == 1


def test_a_write_that_answers_with_the_record_states_its_purpose(world: World) -> None:
    """Withdraw, review and evidence answer with the whole record (the parent's name, the scope): a read, so
    they need X-Purpose, asked before the body is read (nothing written without it), and the answer is recorded
    as a read with it."""
    child = child_aged(world, 16)
    made = record(world, child)
    client = client_as(world, "practitioner")
    today = timezone.localdate().isoformat()
    withdraw = {"withdrawn_on": today, "reason": "The young person asked"}
    review = {"reviewed_on": today, "note": "Still agreed"}
    for action, data in (("withdraw", withdraw), ("review", review)):
        refused = post(client, f"/api/v1/consents/{made.pk}/{action}/", data)
        assert refused.status_code == 400 and "X-Purpose" in refused.json()["error"]["fields"], action
    refused = client.post(f"/api/v1/consents/{made.pk}/evidence/", {"file": SimpleUploadedFile("p.png", png())})
    assert refused.status_code == 400 and "X-Purpose" in refused.json()["error"]["fields"]
    assert not (made.reviews.exists() or ConsentRecord.objects.get(pk=made.pk).withdrawal_or_none())
    assert not AuditEvent.objects.filter(kind="consent.view", object_id=str(made.pk)).exists()
    answered = post(client, f"/api/v1/consents/{made.pk}/review/", review, READ)
    assert answered.status_code == 200 and answered.json()["review_due_on"] is None
    read = AuditEvent.objects.get(kind="consent.view", object_id=str(made.pk))
    assert read.purpose == READ["X-Purpose"]


def test_a_read_states_its_purpose(world: World) -> None:
    child = child_aged(world, 16)
    made = record(world, child)
    response = client_as(world, "practitioner").get(f"/api/v1/consents/{made.pk}/")
    assert response.status_code == 400 and "X-Purpose" in response.json()["error"]["fields"]


# --- The FHIR form --------------------------------------------------------------------------------------------------


def fhir_of(world: World, made: ConsentRecord) -> Consent:
    loaded = consents_visible(fresh(world.users["practitioner"])).get(pk=made.pk)
    data = consent_resource(loaded, timezone.localdate()).model_dump_json(by_alias=True, exclude_none=True)
    return Consent.model_validate_json(data)  # what a receiving system parses


def test_fhir_a_parents_refusal_to_every_signatory(world: World) -> None:
    child = child_aged(world, 9)
    made = record(world, child, **parent("Father", "Frank OBrien"), decision="refused", all_signatories=True)
    resource = fhir_of(world, made)
    assert resource.provision.type == "deny"
    assert resource.performer[0].type == "RelatedPerson" and "Frank OBrien (Father" in resource.performer[0].display
    assert resource.provision.actor[0].reference.display == "Every signatory of World Protocol"
    assert resource.scope.coding[0].code == "patient-privacy"
    assert {coding.code for concept in resource.category for coding in concept.coding} >= {"59284-0", "IDSCL"}
    assert str(resource.dateTime) == made.obtained_on.isoformat()


def test_fhir_tiers_period_and_evidence(world: World) -> None:
    child = child_aged(world, 17)
    today = timezone.localdate()
    made = record(
        world,
        child,
        tiers=["minimum", "sensitive"],
        valid_until=today + timedelta(days=90),
        evidence=io.BytesIO(png()),
        evidence_name="photo.png",
    )
    resource = fhir_of(world, made)
    assert [coding.code for coding in resource.provision.class_fhir] == ["minimum", "sensitive"]
    assert str(resource.provision.period.end) == (today + timedelta(days=90)).isoformat()
    assert resource.sourceAttachment.contentType == "image/png"
    consent_withdraw(actor=fresh(world.users["practitioner"]), consent=made, withdrawn_on=today, reason="Asked")
    assert fhir_of(world, made).status == "inactive"


@pytest.mark.parametrize(
    "broken",
    [{"dateTime": "yesterday"}, {"scope": None}, {"provision": {"type": "permit", "period": {"start": "2026-13-01"}}}],
)
def test_the_fhir_check_can_fail(world: World, broken: dict[str, Any]) -> None:
    """The validation the tests rely on refuses a resource that is not a Consent: a bad date, no scope."""
    from pydantic import ValidationError

    from consent.fhir import consent_resource_data

    made = record(world, child_aged(world, 16))
    data = consent_resource_data(
        consents_visible(fresh(world.users["practitioner"])).get(pk=made.pk), timezone.localdate()
    )
    data.update(broken)
    data = {key: value for key, value in data.items() if value is not None}
    with pytest.raises(ValidationError):
        Consent.model_validate(data)
