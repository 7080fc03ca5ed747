"""The protocol's page, read in three plain SQL statements (protocols.selectors.protocol_page,
protocol_versions, signature_register; issue 9), shows everything the ORM reads showed: the parent and the
supplements, every version with the one in force and those that were, the register with carried-over and
withdrawn signatures, the consultations, the reviews and the audits."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.html import escape

from audit.models import AuditEvent
from protocols.models import Signature
from protocols.services import (
    consultation_open,
    protocol_adopt,
    protocol_audit_create,
    protocol_create,
    protocol_version_create,
    signature_withdraw,
)
from tests import protocol_fixtures as fx
from tests.factories import SYSTEM, World
from tests.matrix import client_as

pytestmark = pytest.mark.django_db


def test_the_protocol_page_shows_all_that_hangs_off_the_protocol(world: World) -> None:
    protocol = fx.protocol_in_force(world)  # version 1 in force, signed by home and other; version 2 drafted
    protocol_adopt(actor=SYSTEM, protocol=protocol, version=protocol.versions.get(number=2))
    signature_withdraw(
        actor=SYSTEM,
        signature=Signature.objects.get(protocol=protocol, agency=world.other, version__number=2),
        reason="Our new director has not signed",
    )
    protocol_version_create(
        actor=SYSTEM,
        protocol=protocol,
        text=protocol.versions.get(number=2).text,
        change_note="Longer retention",
        retention_months=36,
    )
    consultation_open(actor=SYSTEM, protocol=protocol, version=protocol.versions.get(number=3), working_days=10)
    today = timezone.localdate()
    protocol_audit_create(
        actor=SYSTEM,
        protocol=protocol,
        auditing_agency=world.other,
        scope="Consent recording",
        notice_given_on=today,
        starts_on=today + timedelta(days=40),
        responses_due_on=today + timedelta(days=90),
    )
    supplement = protocol_create(
        actor=SYSTEM,
        title="Youth Justice Supplement",
        kind="individual",
        parent=protocol,
        **fx.rules(),
    )

    page = client_as(world, "practitioner").get(f"/protocols/{protocol.pk}/").content.decode()

    assert "Version 2, in force" in page
    assert "Faster responses" in page and "Longer retention" in page
    assert page.count("Was in force") == 1  # version 1
    assert "carried over from version 1" in page
    assert "Our new director has not signed" in page
    assert escape(world.home.name) in page and escape(world.other.name) in page
    assert "On version 3" in page  # the consultation
    assert "Review 1" in page
    assert f"By {escape(world.other.name)}" in page  # the audit
    assert "Supplemented by" in page and f'href="/protocols/{supplement.pk}/"' in page

    child_page = client_as(world, "practitioner").get(f"/protocols/{supplement.pk}/").content.decode()
    assert f'href="/protocols/{protocol.pk}/">{escape(protocol.title)}</a>' in child_page


def test_a_missing_protocol_is_a_recorded_404(world: World) -> None:
    client = client_as(world, "practitioner")
    before = AuditEvent.objects.filter(kind="access.denied").count()
    assert client.get("/protocols/999999/").status_code == 404
    assert AuditEvent.objects.filter(kind="access.denied").count() == before + 1
