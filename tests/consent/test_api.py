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
    # One actor per agency that was a signatory when it was decided (world's protocol: home and other).
    assert sorted(actor.reference.display for actor in resource.provision.actor) == sorted(
        [world.home.name, world.other.name]
    )
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


def _with_purpose(client: Any, child: Any) -> Any:
    client.post(f"/children/{child.pk}/purpose/", {"purpose": PURPOSE, "next": f"/children/{child.pk}/"})
    return client


def test_a_partly_overridden_consent_reads_the_same_in_the_summary_the_api_the_fhir_form_and_the_page(
    world: World,
) -> None:
    """The mother consented to sharing with the police and the council; her Fraser-competent 14-year-old refuses
    the police. One reading (consent.selectors.consent_readings): the mother's consent still counts, for the
    council (the selector shares under it), and not for the police - in the summary, the API (in_force,
    overridden_in_part), the FHIR form (active, a nested deny provision for the police, validated) and the page's
    tag (break11d findings 6, 7, 9)."""
    from consent.selectors import child_consent_summary, consent_covering

    today = timezone.localdate()
    child = child_aged(world, 14)
    mothers = record(
        world, child, **parent(), recipients=[world.other, world.home], obtained_on=today - timedelta(days=60)
    )
    record(world, child, decision="refused", recipients=[world.other], **assessed("competent"))
    assert consent_covering(child=child, tier="minimum", agency=world.home, purpose=PURPOSE).consent == mothers
    summary = child_consent_summary(fresh(world.users["practitioner"]), child, purpose="Checking")
    line = next(line for line in summary.covered_now if line.record == mothers)
    assert f"It does not count for the minimum data with {world.other.name}, for {PURPOSE}" in line.sentence
    assert "their refusal prevails over their mother's consent" in line.sentence

    client = _with_purpose(client_as(world, "practitioner"), child)
    api = client.get(f"/api/v1/consents/{mothers.pk}/", headers=READ).json()
    assert api["in_force"] and world.other.name in api["overridden_in_part"]
    fhir = client.get(f"/api/v1/consents/{mothers.pk}/fhir/", headers=READ).json()
    Consent.model_validate(fhir)
    assert fhir["status"] == "active" and fhir["provision"]["type"] == "permit"
    [nested] = fhir["provision"]["provision"]
    assert nested["type"] == "deny"
    assert [actor["reference"]["reference"] for actor in nested["actor"]] == [f"Organization/{world.other.pk}"]
    assert [purpose["display"] for purpose in nested["purpose"]] == [PURPOSE]
    page = client.get(f"/children/{child.pk}/consents/{mothers.pk}/").content.decode()
    assert "Given in part" in page and "govuk-tag--green" not in page
    assert "Does not count for" in page


def test_a_wholly_overridden_consent_has_no_nested_provision_and_does_not_count(world: World) -> None:
    today = timezone.localdate()
    child = child_aged(world, 14)
    mothers = record(world, child, **parent(), obtained_on=today - timedelta(days=60))
    record(world, child, decision="refused", **assessed("competent"))
    client = client_as(world, "practitioner")
    api = client.get(f"/api/v1/consents/{mothers.pk}/", headers=READ).json()
    assert not api["in_force"] and api["overridden_in_part"] == ""
    fhir = client.get(f"/api/v1/consents/{mothers.pk}/fhir/", headers=READ).json()
    assert fhir["status"] == "inactive" and "provision" not in fhir["provision"]
    listed = client.get(f"/api/v1/children/{child.pk}/consents/", headers=READ).json()
    assert {row["id"]: row["in_force"] for row in listed} == {mothers.pk: False, listed[0]["id"]: True}


def test_the_age_recorded_with_the_decision_stays_readable_after_a_correction(world: World) -> None:
    from sharing.models import Child
    from sharing.services import child_update
    from tests.consent.test_break11c_findings import _minimum

    young = child_aged(world, 16)
    own = record(world, young)
    young = Child.objects.get(pk=young.pk)
    corrected = young.born_on.replace(year=young.born_on.year + 2)
    child_update(actor=fresh(world.users["practitioner"]), child=young, data=_minimum(young, born_on=corrected))
    client = _with_purpose(client_as(world, "practitioner"), young)
    api = client.get(f"/api/v1/consents/{own.pk}/", headers=READ).json()
    assert (api["child_age"], api["child_age_recorded"], api["in_force"]) == (14, 16, False)
    page = client.get(f"/children/{young.pk}/consents/{own.pk}/").content.decode()
    assert "Not assessed (the child was 14)" in page and "recorded as 16 with the decision" in page


def test_an_auditor_reads_a_shielded_childs_consents_they_audit(world: World) -> None:
    """The shield answers as for no child only where the auditor reads none of the child's consents: an auditor
    of the agency that recorded one, and a partnership auditor, list them (break11d finding 12)."""
    from agencies.models import Role
    from tests.factories import make_user

    shielded = child_aged(world, 16, shielded=True)
    made = record(world, shielded)
    world.users["home_auditor"] = make_user(name="Hana Auditor", agency=world.home, roles=[Role.AUDITOR])
    for who in ("home_auditor", "auditor"):
        client = client_as(world, who)
        listed = client.get(f"/api/v1/children/{shielded.pk}/consents/", headers=READ)
        assert listed.status_code == 200, who
        assert [row["id"] for row in listed.json()] == [made.pk]
        assert client.get(f"/children/{shielded.pk}/consents/").status_code == 200, who


def test_a_young_persons_own_decision_after_a_finding_at_16_that_they_are_not_competent_is_a_400(
    world: World,
) -> None:
    """breakt11l F1: a finding at 16 or over that the young person is not competent, unanswered since, rebuts
    the presumption at 16 (Mental Capacity Act 2005 s1(2)): their own decision resting on it is refused on the
    competence field. A finding made before 16 does not block them once 16."""
    today = timezone.localdate()
    client = client_as(world, "practitioner")
    found = child_aged(world, 16)
    ten = today - timedelta(days=10)
    record(world, found, **parent(), decision="refused", obtained_on=ten, **assessed("not_competent", on=ten))
    refused = post(client, f"/api/v1/children/{found.pk}/consents/", body(world))
    assert refused.status_code == 400, refused.content
    assert "no assessment since found them competent" in refused.json()["error"]["fields"]["competence"][0]
    assert ConsentRecord.objects.filter(child=found).count() == 1

    younger = child_aged(world, 16)
    at_15 = today - timedelta(days=250)  # before the 16th birthday (child_aged: 40 to 239 days ago)
    record(world, younger, **parent(), decision="refused", obtained_on=at_15, **assessed("not_competent", on=at_15))
    made = post(client, f"/api/v1/children/{younger.pk}/consents/", body(world))
    assert made.status_code == 201, made.content
    assert made.json()["in_force"]
