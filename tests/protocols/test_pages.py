"""The protocols app's contributions to other pages: an agency's page shows what it has signed (issue 3)."""

from __future__ import annotations

import pytest

from protocols.models import Signature
from protocols.services import signature_withdraw
from tests import protocol_fixtures as fx
from tests.factories import SYSTEM, World
from tests.matrix import client_as

pytestmark = pytest.mark.django_db


def test_an_agencys_page_shows_the_protocols_it_signed_and_withdrew_from(world: World) -> None:
    protocol = fx.protocol_in_force(world)
    client = client_as(world, "practitioner")
    page = client.get(f"/agencies/{world.other.pk}/").content.decode()
    assert "Protocols signed" in page and protocol.title in page and "Withdrawn" not in page

    signature = Signature.objects.get(protocol=protocol, agency=world.other)
    signature_withdraw(actor=SYSTEM, signature=signature, reason="Our new director has not signed")
    page = client.get(f"/agencies/{world.other.pk}/").content.decode()
    assert "Withdrawn" in page and "Our new director has not signed" in page


def test_an_agency_that_has_signed_nothing_is_told_so(world: World) -> None:
    page = client_as(world, "practitioner").get(f"/agencies/{world.home.pk}/").content.decode()
    assert "has not signed a protocol" in page
