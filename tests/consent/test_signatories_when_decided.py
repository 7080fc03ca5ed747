"""An "every signatory" consent names the agencies it covers, in the API and the FHIR form (issue 11; b11k): the
protocol's signatories at the end of the day it was obtained (consent.rules.scope_fixed_at, signatory_at), read
in the statement that reads the records (consent.selectors.with_signatories_then)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from fhir.resources.R4B.consent import Consent

from agencies.models import Agency
from consent.fhir import consent_resource_data
from consent.models import ConsentRecord
from protocols.models import Signature
from tests.consent.fixtures import child_aged, parent, record
from tests.factories import World
from tests.matrix import client_as
from tests.protocol_fixtures import complete_checklist, protocol_in_force, sign

pytestmark = pytest.mark.django_db
READ = {"X-Purpose": "Checking the consent before a referral"}


def _signed_long_ago(world: World) -> None:
    """The world's signatories (home and other) signed a year ago: before any consent of these tests."""
    protocol_in_force(world)
    Signature.objects.update(signed_at=timezone.now() - timedelta(days=365))


def _late_signer(world: World) -> Agency:
    """The Unsigned Academy, signing the protocol in force now: after any consent obtained before today."""
    academy = Agency.objects.get(name="Unsigned Academy")
    complete_checklist(academy)
    sign(protocol_in_force(world), academy)
    return academy


def _signed_on(agency: Agency, day: object) -> None:
    at = timezone.make_aware(datetime.combine(day, time(15, 0)))  # type: ignore[arg-type]
    Signature.objects.filter(agency=agency).update(signed_at=at)


def test_the_api_and_the_fhir_form_name_the_signatories_of_the_day_it_was_obtained(world: World) -> None:
    _signed_long_ago(world)
    child = child_aged(world, 9)
    obtained_on = timezone.localdate() - timedelta(days=3)
    made = record(world, child, **parent(), all_signatories=True, obtained_on=obtained_on)
    named = record(world, child, **parent(), obtained_on=obtained_on)  # names world.other: no signatories listed
    academy = _late_signer(world)  # signed after the day it was obtained: not covered
    then = sorted([world.home, world.other], key=lambda agency: (agency.name, agency.pk))
    expected = [{"id": agency.pk, "name": agency.name} for agency in then]
    client = client_as(world, "practitioner")

    listed = {row["id"]: row for row in client.get(f"/api/v1/children/{child.pk}/consents/", headers=READ).json()}
    assert listed[made.pk]["signatories_when_decided"] == expected
    assert listed[named.pk]["signatories_when_decided"] == []
    detail = client.get(f"/api/v1/consents/{made.pk}/", headers=READ).json()
    assert detail["signatories_when_decided"] == expected

    fhir = client.get(f"/api/v1/consents/{made.pk}/fhir/", headers=READ)
    resource = Consent.model_validate_json(fhir.content)  # validated by the fhir.resources models
    assert resource.provision is not None and resource.provision.actor is not None
    actors = resource.provision.actor
    assert [(actor.reference.reference, actor.reference.display) for actor in actors] == [
        (f"Organization/{agency.pk}", agency.name) for agency in then
    ]
    assert {coding.code for actor in actors for coding in actor.role.coding or []} == {"IRCP"}  # as a named recipient's
    assert academy.name not in fhir.content.decode()

    # Signed during the day it was obtained (its end is when the scope names its agencies): covered.
    _signed_on(academy, obtained_on)
    again = client.get(f"/api/v1/consents/{made.pk}/", headers=READ).json()["signatories_when_decided"]
    assert {"id": academy.pk, "name": academy.name} in again
    # Signed the day after: not.
    _signed_on(academy, obtained_on + timedelta(days=1))
    again = client.get(f"/api/v1/consents/{made.pk}/", headers=READ).json()["signatories_when_decided"]
    assert again == expected


def test_a_record_read_without_the_annotation_reads_the_same_list(world: World) -> None:
    _signed_long_ago(world)
    child = child_aged(world, 9)
    made = record(world, child, **parent(), all_signatories=True, obtained_on=timezone.localdate() - timedelta(days=1))
    _late_signer(world)
    data = consent_resource_data(ConsentRecord.objects.get(pk=made.pk), timezone.localdate())
    Consent.model_validate(data)
    assert [actor["reference"]["display"] for actor in data["provision"]["actor"]] == sorted(
        [world.home.name, world.other.name]
    )


def test_the_list_reads_every_consents_signatories_in_its_one_statement(world: World) -> None:
    """The list endpoint's statements do not grow with the every-signatory consents listed."""
    _signed_long_ago(world)
    child = child_aged(world, 9)
    record(world, child, **parent(), all_signatories=True)
    client = client_as(world, "practitioner")
    url = f"/api/v1/children/{child.pk}/consents/"
    client.get(url, headers=READ)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url, headers=READ).status_code == 200
    for _ in range(3):
        record(world, child, **parent(), all_signatories=True)
    with CaptureQueriesContext(connection) as four:
        rows = client.get(url, headers=READ).json()
    assert len(rows) == 4 and all(len(row["signatories_when_decided"]) == 2 for row in rows)
    assert len(four) == len(one)
