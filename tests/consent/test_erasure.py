"""The erasure of a closed record erases its consent records' personal content too (Southampton 6, 8; break11
finding 3): sharing.services.retention.child_erase sends sharing.signals.child_erased, which
consent.services.consents_erase answers. Data is built through the services."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import DatabaseError, transaction
from django.test import override_settings
from django.utils import timezone

from audit.models import AuditEvent
from consent.models import ConsentEvidence, ConsentRecord, ConsentReview, ConsentWithdrawal
from consent.services import consent_evidence_attach, consent_review_record, consent_withdraw, evidence_path
from isp_portal.policy import SystemActor
from sharing.services.retention import child_close, child_erase
from tests.consent.fixtures import assessed, child_aged, parent, record
from tests.factories import World
from tests.pdf_samples import one_page_pdf
from tests.sharing.fixtures import fresh

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private_media(tmp_path: Path) -> Iterator[Path]:
    with override_settings(PRIVATE_MEDIA_ROOT=tmp_path):
        yield tmp_path


def test_the_erasure_erases_every_kind_of_consent_content_and_counts_it(world: World) -> None:
    child = child_aged(world, 13, given="Orla", family="Mcquinlan")
    given = record(world, child, **parent(), note="Mum works nights at the Mcquinlan bakery")
    own = record(world, child, decision="refused", **assessed("competent"))
    today = timezone.localdate()
    consent_review_record(
        actor=fresh(world.users["practitioner"]), consent=given, reviewed_on=today, note="Spoke to Mary at home"
    )
    consent_withdraw(
        actor=fresh(world.users["practitioner"]), consent=given, withdrawn_on=today, reason="Mary moved to Leeds"
    )
    evidence = consent_evidence_attach(
        actor=fresh(world.users["practitioner"]),
        consent=own,
        upload=io.BytesIO(one_page_pdf()),
        filename="Orla Mcquinlan form.pdf",
    )
    assert evidence_path(evidence).exists()
    child = child_close(actor=fresh(world.users["partnership_admin"]), child=child, reason="No longer needed")
    assert child.erase_due_on is not None
    with pytest.raises(DatabaseError), transaction.atomic():
        # Outside the erasure a withdrawal stays immutable, even on a closed record.
        ConsentWithdrawal.objects.filter(consent=given).update(reason="Rewritten")
    child_erase(actor=SystemActor("test"), child=child, today=child.erase_due_on)
    erased_given = ConsentRecord.objects.get(pk=given.pk)
    erased_own = ConsentRecord.objects.get(pk=own.pk)
    assert "Mary" not in erased_given.parent_name + erased_given.parent_relationship
    assert erased_given.note == "" and "Sam" not in erased_own.assessor_name
    assert ConsentWithdrawal.objects.get(consent=given).reason == "Erased."
    assert ConsentReview.objects.get(consent=given).note == "Erased."
    assert not ConsentEvidence.objects.filter(consent=own).exists()
    # Kept: the decision, its scope and its dates.
    assert (erased_given.decision, erased_given.obtained_on) == (given.decision, given.obtained_on)
    event = AuditEvent.objects.get(kind="child.erase", child_id=child.pk)
    counts = event.detail["erased"]
    assert counts["consent_parent_names"] == 1 and counts["consent_assessor_names"] == 1
    assert counts["consent_notes"] == 1 and counts["consent_withdrawal_reasons"] == 1
    assert counts["consent_review_notes"] == 1 and counts["consent_evidence_files"] == 1
    assert "Mary" not in str(event.detail) and "Mcquinlan" not in str(event.detail)


def test_the_evidence_file_is_deleted_when_the_erasure_commits(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    child = child_aged(world, 13)
    made = record(world, child, **parent())
    evidence = consent_evidence_attach(
        actor=fresh(world.users["practitioner"]), consent=made, upload=io.BytesIO(one_page_pdf()), filename="f.pdf"
    )
    path = evidence_path(evidence)
    child = child_close(actor=fresh(world.users["partnership_admin"]), child=child, reason="No longer needed")
    assert child.erase_due_on is not None
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        child_erase(actor=SystemActor("test"), child=child, today=child.erase_due_on)
    assert path.exists() and len(callbacks) == 1  # a rolled back erasure would keep it
    callbacks[0]()
    assert not path.exists()
