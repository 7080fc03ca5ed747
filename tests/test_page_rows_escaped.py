"""The rows the agency and protocol pages build as markup in Python (agencies/presenters.py,
protocols/presenters.py; issue 9) escape what people typed exactly as the template did: a 200-character value
carrying `<script>` shows as text, whole, and never as a tag."""

from __future__ import annotations

import pytest
from django.utils.html import escape

from agencies.models import Membership
from agencies.services import membership_update
from protocols.models import Signature
from protocols.services import protocol_version_create, signature_withdraw
from tests import protocol_fixtures as fx
from tests.factories import SYSTEM, World
from tests.matrix import client_as

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert('x')</script>"


def _typed(marker: str, length: int = 200) -> str:
    """A value of `length` characters with `marker` and a script tag in it, padded with characters that escape."""
    value = f'{marker} {SCRIPT} "quoted" & <b>bold</b> '
    return (value + "x" * length)[:length]


def _shows_escaped(page: str, value: str) -> None:
    assert escape(value) in page, "the value is shown whole, escaped"
    assert SCRIPT not in page and "<b>bold</b>" not in page, "never as markup"


def test_the_people_rows_escape_a_job_title_and_team(world: World) -> None:
    job_title, team = _typed("Job"), _typed("Team")
    membership = Membership.objects.get(user=world.users["practitioner"], agency=world.home)
    membership_update(actor=SYSTEM, membership=membership, job_title=job_title, team=team)

    page = client_as(world, "agency_admin").get(f"/agencies/{world.home.pk}/").content.decode()

    _shows_escaped(page, f"{job_title}, {team}")
    assert f'href="/memberships/{membership.pk}/edit/"' in page


def test_the_signature_rows_escape_a_withdrawal_reason(world: World) -> None:
    protocol = fx.protocol_in_force(world)
    reason = _typed("Reason")
    signature_withdraw(
        actor=SYSTEM, signature=Signature.objects.get(protocol=protocol, agency=world.other), reason=reason
    )
    protocol_version_create(
        actor=SYSTEM,
        protocol=protocol,
        text=protocol.versions.get(number=2).text,
        change_note=_typed("Note"),
        retention_months=36,
    )

    register = client_as(world, "practitioner").get(f"/protocols/{protocol.pk}/").content.decode()
    _shows_escaped(register, reason)  # the protocol's register
    _shows_escaped(register, _typed("Note"))  # the versions list
    agency_page = client_as(world, "agency_admin").get(f"/agencies/{world.other.pk}/").content.decode()
    _shows_escaped(agency_page, reason)  # the agency's "Protocols signed"
