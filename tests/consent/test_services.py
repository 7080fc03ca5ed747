"""consent.services: the bad input of issue 11 refused with a clear message and nothing half-written; audit
events; the evidence stored privately; the review sweep sending each reminder once; the database's own
constraints where the services are bypassed."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import override_settings
from django.utils import timezone

from agencies.models import Agency
from audit.models import AuditEvent
from consent.models import ConsentEvidence, ConsentRecord, ConsentWithdrawal
from consent.services import (
    consent_evidence_attach,
    consent_record,
    consent_review_record,
    consent_reviews_sweep,
    consent_withdraw,
    evidence_path,
)
from consent.tasks import review_sweep
from isp_portal.models import Notification
from isp_portal.policy import NotPermitted, OutOfScope
from protocols.models import Protocol
from tests.consent.fixtures import NOT_A_PURPOSE, assessed, child_aged, record
from tests.consent.samples import png
from tests.factories import World
from tests.pdf_samples import active_pdf, one_page_pdf
from tests.protocol_fixtures import make_protocol
from tests.sharing.fixtures import fresh

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private_media(tmp_path: Path):  # type: ignore[no-untyped-def]
    with override_settings(PRIVATE_MEDIA_ROOT=tmp_path):
        yield tmp_path


def refused(world: World, child: object, **values: object) -> dict[str, list[str]]:
    counts = (ConsentRecord.objects.count(), ConsentEvidence.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ValidationError) as caught:
        record(world, child, **values)  # type: ignore[arg-type]
    assert (ConsentRecord.objects.count(), ConsentEvidence.objects.count(), AuditEvent.objects.count()) == counts
    return caught.value.message_dict


def test_recording_is_audited_with_what_was_decided(world: World) -> None:
    child = child_aged(world, 14)
    made = record(world, child, **assessed())
    event = AuditEvent.objects.get(kind="consent.record", object_id=str(made.pk))
    assert event.child_id == child.pk
    assert event.detail["decision"] == "given" and event.detail["child_age"] == 14
    assert event.detail["competence"] == "competent"


def test_a_scope_naming_an_agency_that_has_not_signed_is_refused(world: World) -> None:
    child = child_aged(world, 16)
    academy = Agency.objects.get(name="Unsigned Academy")
    errors = refused(world, child, recipients=[world.other, academy])
    assert errors["recipients"] == [
        "Unsigned Academy has not signed World Protocol (the version in force): information can only be shared "
        "with agencies that have signed it, so it cannot be named in a consent under it."
    ]


def test_a_purpose_the_protocol_does_not_permit_and_a_protocol_not_in_force_are_refused(world: World) -> None:
    child = child_aged(world, 16)
    assert (
        "does not permit sharing for “Selling mailing lists”"
        in refused(world, child, purposes=[NOT_A_PURPOSE])["purposes"][0]
    )
    draft = make_protocol("Draft Protocol", adopt=False)
    with pytest.raises(ValidationError) as caught:
        consent_record(
            actor=fresh(world.users["practitioner"]),
            child=child,
            given_by="child",
            form="implied",
            decision="given",
            protocol=draft,
            purposes=["x"],
            tiers=["minimum"],
            obtained_on=timezone.localdate(),
            recipients=[world.other],
        )
    errors = caught.value.message_dict
    assert "is not in force" in errors["protocol"][0]
    assert "fair-processing notice" in errors["notice_given_on"][0]


def test_bad_tiers_recipients_and_dates_are_refused_by_field(world: World) -> None:
    child = child_aged(world, 16)
    today = timezone.localdate()
    errors = refused(
        world,
        child,
        tiers=["aggregate"],
        all_signatories=True,
        recipients=[world.other],
        obtained_on=today + timedelta(days=1),
        valid_until=today - timedelta(days=5),
    )
    assert "anonymised" in errors["tiers"][0]
    assert "not both" in errors["recipients"][0]
    assert "today or in the past" in errors["obtained_on"][0]
    assert "on or after its start" in errors["valid_until"][0]


def test_a_parent_is_named_and_a_childs_decision_names_none(world: World) -> None:
    child = child_aged(world, 8)
    errors = refused(world, child, given_by="parent")
    assert set(errors) >= {"parent_name", "parent_relationship"}
    errors = refused(world, child_aged(world, 16, given="Bea"), parent_name="Mary")
    assert "names no parent" in errors["parent_name"][0]


def test_an_assessment_is_whole(world: World) -> None:
    child = child_aged(world, 13)
    errors = refused(world, child, competence="competent")
    assert set(errors) >= {"assessed_on", "assessor_name"}
    errors = refused(world, child, assessor_name="Sam")
    assert "outcome" in errors["competence"][0]


def test_withdrawal_dated_before_the_consent_is_refused_and_nothing_is_written(world: World) -> None:
    child = child_aged(world, 16)
    today = timezone.localdate()
    consent = record(world, child, obtained_on=today - timedelta(days=10))
    with pytest.raises(ValidationError) as caught:
        consent_withdraw(
            actor=fresh(world.users["practitioner"]),
            consent=consent,
            withdrawn_on=today - timedelta(days=11),
            reason="Changed their mind",
        )
    assert caught.value.message_dict["withdrawn_on"][0].startswith(
        "The withdrawal cannot be dated before the consent was obtained"
    )
    with pytest.raises(ValidationError) as future:
        consent_withdraw(
            actor=fresh(world.users["practitioner"]),
            consent=consent,
            withdrawn_on=today + timedelta(days=1),
            reason="x",
        )
    assert "takes effect at once" in future.value.message_dict["withdrawn_on"][0]
    assert not ConsentWithdrawal.objects.exists()
    assert not AuditEvent.objects.filter(kind="consent.withdraw").exists()


def test_withdrawal_is_recorded_once_and_audited(world: World) -> None:
    child = child_aged(world, 16)
    consent = record(world, child)
    practitioner = fresh(world.users["practitioner"])
    withdrawal = consent_withdraw(
        actor=practitioner, consent=consent, withdrawn_on=timezone.localdate(), reason="Asked"
    )
    assert withdrawal.recorded_by_agency == world.home
    assert AuditEvent.objects.filter(kind="consent.withdraw", object_id=str(consent.pk)).count() == 1
    with pytest.raises(NotPermitted, match="already been withdrawn"):
        consent_withdraw(actor=fresh(practitioner), consent=consent, withdrawn_on=timezone.localdate(), reason="Again")
    refusal = record(world, child, decision="refused")
    with pytest.raises(NotPermitted, match="there is no consent to withdraw"):
        consent_withdraw(actor=fresh(practitioner), consent=refusal, withdrawn_on=timezone.localdate(), reason="x")


def test_only_an_involved_agency_records_and_withdraws(world: World) -> None:
    child = child_aged(world, 16)
    with pytest.raises(NotPermitted, match="involved with this child"):
        record(world, child, by="other_agency")
    consent = record(world, child)
    with pytest.raises(OutOfScope):
        consent_withdraw(
            actor=fresh(world.users["other_agency"]), consent=consent, withdrawn_on=timezone.localdate(), reason="x"
        )


def test_a_shielded_childs_consents_follow_the_shield(world: World) -> None:
    child = child_aged(world, 15, shielded=True, postcode="M1 1AE")
    made = record(world, child, **assessed())
    from consent.selectors import consents_visible

    assert list(consents_visible(fresh(world.users["practitioner"]))) == [made]
    assert not consents_visible(fresh(world.users["other_agency"])).exists()
    with pytest.raises(OutOfScope):
        record(world, child, by="other_agency")  # the shield answers as for a missing child


# --- Evidence ---------------------------------------------------------------------------------------------------


def test_evidence_is_stored_privately_judged_by_its_content(world: World, private_media: Path) -> None:
    child = child_aged(world, 16)
    made = record(world, child, evidence=io.BytesIO(one_page_pdf()), evidence_name="signed form.pdf")
    evidence = ConsentEvidence.objects.get(consent=made)
    assert evidence.content_type == "application/pdf" and evidence.original_name == "signed form.pdf"
    path = evidence_path(evidence)
    assert path.parent.parent == private_media and path.read_bytes() == one_page_pdf()
    assert oct(path.stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (png(), "form.pdf", "not what its name says"),
        (b"just some text", "form.pdf", "must be a PDF, a PNG image or a JPEG image"),
        (active_pdf("javascript"), "form.pdf", "JavaScript"),
        (png()[:-8], "photo.png", "damaged"),
        (b"", "form.pdf", "empty"),
    ],
)
def test_bad_evidence_is_refused_and_nothing_is_written(
    world: World, private_media: Path, data: bytes, name: str, message: str
) -> None:
    child = child_aged(world, 16)
    errors = refused(world, child, evidence=io.BytesIO(data), evidence_name=name)
    assert message in errors["evidence"][0]
    assert not any(private_media.rglob("*.*"))


def test_evidence_over_the_limit_is_refused(world: World) -> None:
    child = child_aged(world, 16)
    with override_settings(CONSENT_EVIDENCE_MAX_BYTES=1024):
        errors = refused(world, child, evidence=io.BytesIO(png() + b"\x00" * 2000), evidence_name="photo.png")
    assert errors["evidence"] == ["The file must be smaller than 1 KB."]


def test_evidence_attached_later_once(world: World) -> None:
    child = child_aged(world, 16)
    made = record(world, child)
    practitioner = fresh(world.users["practitioner"])
    stored = consent_evidence_attach(actor=practitioner, consent=made, upload=io.BytesIO(png()), filename="p.png")
    assert stored.content_type == "image/png"
    with pytest.raises(ValidationError, match="already has its evidence"):
        consent_evidence_attach(actor=fresh(practitioner), consent=made, upload=io.BytesIO(png()), filename="p.png")


# --- Reviews ----------------------------------------------------------------------------------------------------


def test_the_review_sweep_reminds_once_per_review_date(world: World) -> None:
    child = child_aged(world, 16)
    today = timezone.localdate()
    due = record(world, child, obtained_on=today - timedelta(days=30), review_due_on=today)
    record(world, child, review_due_on=today + timedelta(days=30))  # not due
    gone = record(world, child_aged(world, 16, given="Bea"), obtained_on=today - timedelta(days=3), review_due_on=today)
    consent_withdraw(actor=fresh(world.users["practitioner"]), consent=gone, withdrawn_on=today, reason="Asked")
    assert consent_reviews_sweep(today=today) == 1
    note = Notification.objects.get(key__startswith="consent-review:")
    assert note.recipient == world.users["practitioner"] and note.key == f"consent-review:{due.pk}:{today.isoformat()}"
    assert consent_reviews_sweep(today=today) == 0
    assert review_sweep() == {"review_reminders": 0}
    # Reviewed, with a next date: reminded again when that comes.
    consent_review_record(
        actor=fresh(world.users["practitioner"]),
        consent=due,
        reviewed_on=today,
        note="Still wanted",
        next_review_on=today + timedelta(days=7),
    )
    assert consent_reviews_sweep(today=today + timedelta(days=7)) == 1
    assert AuditEvent.objects.filter(kind="consent.review").count() == 1


def test_a_review_cannot_come_before_the_consent(world: World) -> None:
    child = child_aged(world, 16)
    made = record(world, child)
    with pytest.raises(ValidationError) as caught:
        consent_review_record(
            actor=fresh(world.users["practitioner"]),
            consent=made,
            reviewed_on=timezone.localdate() - timedelta(days=1),
            note="",
        )
    assert set(caught.value.message_dict) == {"reviewed_on", "note"}


# --- The database holds what it can -------------------------------------------------------------------------------


def test_the_database_refuses_what_the_services_refuse(world: World) -> None:
    child = child_aged(world, 14)
    made = record(world, child, **assessed())
    protocol = Protocol.objects.get(title="World Protocol")
    base = {
        "child": child,
        "recorded_by_agency": world.home,
        "protocol": protocol,
        "protocol_version": protocol.current_version,
        "purposes": made.purposes,
        "tiers": ["minimum"],
        "form": "explicit_written",
        "decision": "given",
        "obtained_on": made.obtained_on,
        "valid_from": made.obtained_on,
        "child_age": 14,
    }
    broken = [
        {"given_by": "child"},  # under 16 without an assessment
        {"given_by": "parent", "parent_name": "", "parent_relationship": "Mother"},
        {"given_by": "parent", "parent_name": "M", "parent_relationship": "Mother", **assessed()},
        {"given_by": "parent", "parent_name": "M", "parent_relationship": "Mother", "child_age": 16},
        {"given_by": "child", **assessed(), "valid_until": made.obtained_on - timedelta(days=1)},
        {"given_by": "child", **assessed(), "form": "implied"},
        {"given_by": "child", **assessed(), "tiers": ["aggregate"]},
        {"given_by": "child", "competence": "competent", "assessed_on": made.obtained_on},  # no assessor
        {"given_by": "parent", "parent_name": "M", "parent_relationship": "Mother", "is_resident_parent": True},
    ]
    for values in broken:
        with pytest.raises(IntegrityError), transaction.atomic():
            ConsentRecord.objects.create(**{**base, **values})
    with pytest.raises(IntegrityError, match="cannot be withdrawn before it was obtained"), transaction.atomic():
        ConsentWithdrawal.objects.create(consent=made, withdrawn_on=made.obtained_on - timedelta(days=1), reason="x")
    withdrawal = ConsentWithdrawal.objects.create(consent=made, withdrawn_on=made.obtained_on, reason="Asked")
    with pytest.raises(Exception, match="immutable"), transaction.atomic():
        ConsentWithdrawal.objects.filter(pk=withdrawal.pk).update(reason="Changed")


def test_no_consent_is_recorded_for_a_closed_record(world: World) -> None:
    """Southampton 8: a closed record is kept for reference until its content is erased, never added to; a new
    consent decision for it is refused (403) and nothing is written. A withdrawal stays recordable."""
    from sharing.services.retention import child_close

    child = child_aged(world, 17)
    given = record(world, child)
    child_close(actor=fresh(world.users["partnership_admin"]), child=child, reason="No longer needed.")
    with pytest.raises(NotPermitted, match="closed"):
        record(world, child)
    assert ConsentRecord.objects.filter(child=child).count() == 1
    consent_withdraw(
        actor=fresh(world.users["practitioner"]), consent=given, withdrawn_on=timezone.localdate(), reason="Asked."
    )
