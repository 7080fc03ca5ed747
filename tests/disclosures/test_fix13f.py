"""fix13f: the dispute page says which child it is about to those handling it (as the request's page does: the
child's number, the record behind the index's purpose question), never to an auditor reading its metadata."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.disclosures.dispute_fixtures import opened
from tests.factories import World, sign_in
from tests.sharing.fixtures import fresh

pytestmark = pytest.mark.django_db


def test_the_dispute_page_names_its_child_to_its_parties_not_to_an_auditor(world: World) -> None:
    after, dispute = opened(world)
    raiser = sign_in(Client(), after.user("school")).get(f"/disputes/{dispute.pk}/").content.decode()
    assert f"Child {dispute.child_id}" in raiser and f"/children/{dispute.child_id}/" in raiser
    auditor = sign_in(Client(), fresh(world.users["auditor"])).get(f"/disputes/{dispute.pk}/").content.decode()
    assert f"/children/{dispute.child_id}/" not in auditor and "never what was written in it" in auditor
