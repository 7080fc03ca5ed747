"""The demo's volume (issue 15: "enough events and disclosures that the workspace, exports and charts look real"):
after seed_demo the audit store holds thousands of access events and hundreds of disclosure-log rows spread over
the past twelve months and across agencies, the whole chain verifies (`audit_verify`), a second run adds nothing, and
the partnership registers show the demo's signatories and reviews."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models.functions import TruncMonth
from django.utils import timezone

from agencies.models import Role, User
from audit.models import AuditEvent, DisclosureLogEntry
from oversight import demo_volume
from reports import registers

pytestmark = [pytest.mark.serial, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def demo_mode(settings: Any) -> None:
    settings.DEMO_MODE = True


def test_seed_demo_leaves_a_year_of_history_that_verifies() -> None:
    call_command("seed_demo", stdout=io.StringIO())
    year_ago = timezone.now() - timezone.timedelta(days=370)
    past = AuditEvent.objects.filter(
        occurred_at__gte=year_ago, occurred_at__lt=timezone.now() - timezone.timedelta(days=1)
    )
    assert past.count() >= 3000
    months = set(past.annotate(m=TruncMonth("occurred_at")).values_list("m", flat=True))
    assert len(months) >= 12
    kinds = set(past.values_list("kind", flat=True))
    assert {"auth.sign_in", "auth.sign_in_failed", "child.search", "child.view", "access.denied"} <= kinds
    assert past.filter(outcome="denied").count() >= 30
    assert past.exclude(actor_agency_id=None).values("actor_agency_id").distinct().count() >= 4
    assert past.exclude(ip=None).exists()
    log = DisclosureLogEntry.objects.filter(disclosure_id__gte=demo_volume.HISTORY_IDS)
    assert log.count() == demo_volume.HISTORY_DISCLOSURES
    assert len(set(log.annotate(m=TruncMonth("occurred_at")).values_list("m", flat=True))) >= 12
    assert log.values("legal_basis").distinct().count() >= 3
    # Every historical log row names the audit event written with it, which carries the row's SHA-256.
    row = log.order_by("pk").first()
    assert row is not None and AuditEvent.objects.get(pk=row.event_id).kind == "disclosure.make"

    out = io.StringIO()
    call_command("audit_verify", stdout=out)  # raises on a broken chain
    assert "head: #" in out.getvalue()

    before = AuditEvent.objects.filter(kind="auth.sign_in").count()
    call_command("seed_demo", stdout=io.StringIO())
    assert AuditEvent.objects.filter(kind="auth.sign_in").count() == before
    assert DisclosureLogEntry.objects.filter(disclosure_id__gte=demo_volume.HISTORY_IDS).count() == log.count()

    admin = next(u for u in User.objects.all() if any(Role.PARTNERSHIP_ADMIN in m.roles for m in u.memberships.all()))
    assert registers.signatory_rows(admin) and registers.review_rows(admin)
