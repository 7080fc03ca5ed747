"""seed_demo's consents (issue 11): given, refused, withdrawn and due for review; the 14-year-old assessed
Fraser-competent who refused while their mother agreed; the young person about to leave the age scope with their
own consent. All through the services (each decision is a consent.record audit event)."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from audit.models import AuditEvent
from consent import rules
from consent.demo import LEAVING
from consent.models import ConsentEvidence, ConsentRecord, ConsentWithdrawal
from consent.selectors import Reason, consent_covering
from sharing.models import ChildName
from sharing.services.children import protocol_version_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def demo_mode(settings: Any) -> None:
    settings.DEMO_MODE = True


def test_the_demo_consents() -> None:
    call_command("seed_demo", stdout=io.StringIO())
    today = timezone.localdate()
    records = ConsentRecord.objects.all()
    assert records.count() >= 8
    assert AuditEvent.objects.filter(kind="consent.record").count() == records.count()
    assert records.filter(decision="given").exists() and records.filter(decision="refused").exists()
    assert ConsentWithdrawal.objects.exists()
    assert records.filter(review_due_on__lte=today, withdrawal__isnull=True).count() >= 2
    assert records.filter(form="implied", notice_given_on__isnull=False).exists()
    assert ConsentEvidence.objects.exists()
    assert records.filter(given_by="parent", parents_separated=True, is_resident_parent=True).exists()

    # The Fraser-competent child who refused while the mother agreed: the refusal prevails, and says why.
    refusal = records.get(given_by="child", decision="refused", competence="competent")
    assert 12 <= rules.age_on(refusal.child.born_on, today) <= 15
    mother = records.get(child=refusal.child, given_by="parent", decision="given")
    assert mother.parent_relationship == "Mother"
    signatory = refusal.protocol.signatures.filter(withdrawn_at__isnull=True).first()
    assert signatory is not None
    answer = consent_covering(child=refusal.child, tier="minimum", agency=signatory.agency, purpose=refusal.purposes[0])
    assert answer.reason == Reason.PARENT_OVERRIDDEN and answer.consent == refusal
    assert "prevails over their mother's consent" in answer.message

    # The young person three weeks before they leave the age scope, with nothing that extends it.
    leaving = ChildName.objects.get(given=LEAVING[0], family=LEAVING[1], kind="legal").child
    version = protocol_version_for(leaving.involvements.get().agency)
    assert version is not None
    assert rules.age_on(leaving.born_on, today) == version.age_max
    assert rules.age_on(leaving.born_on, today + timedelta(days=28)) == version.age_max + 1
    assert not leaving.has_additional_needs and not leaving.is_care_leaver
    assert records.filter(child=leaving, given_by="child", decision="given").exists()
