"""Tester findings on issue 13 (b13d, the whole after-a-disclosure scenario in the browser, against b33d570), fixed:
a recipient finds the inaccuracy report beside each entry it received; the originator is not offered it."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.disclosures.after_fixtures import after_world
from tests.factories import World, sign_in
from tests.sharing.fixtures import PURPOSE

pytestmark = pytest.mark.django_db


def test_a_recipient_reading_a_received_disclosure_finds_how_to_report_an_entry_inaccurate(world: World) -> None:
    after = after_world(world)
    school = sign_in(Client(), after.user("school"))
    assert school.post(f"/disclosures/{after.disclosure.pk}/", {"purpose": PURPOSE}).status_code == 302
    page = school.get(f"/disclosures/{after.disclosure.pk}/").content.decode()
    assert "The child" in page or "revision" in page  # the content is shown (the purpose was given)
    assert f"/disclosures/{after.disclosure.pk}/entries/{after.made.entry.pk}/report/" in page
    council = sign_in(Client(), after.user("practitioner"))
    assert council.post(f"/disclosures/{after.disclosure.pk}/", {"purpose": PURPOSE}).status_code == 302
    assert "/report/" not in council.get(f"/disclosures/{after.disclosure.pk}/").content.decode()
