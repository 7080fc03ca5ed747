"""Tester findings on issue 13 (b13d, the whole after-a-disclosure scenario in the browser, against b33d570). Each
test is a strict xfail: it fails today because of the defect it names and passes once the defect is fixed. Not
product tests of record: they document defects."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.disclosures.after_fixtures import after_world
from tests.factories import World, sign_in
from tests.sharing.fixtures import PURPOSE

pytestmark = pytest.mark.django_db


@pytest.mark.xfail(
    strict=True,
    reason="b13d: no page links to disclosures/<pk>/entries/<entry_pk>/report/: a recipient reading a disclosure it "
    "received (disclosures/<pk>/, content shown) has no way to report an entry inaccurate (Southampton 9)",
)
def test_a_recipient_reading_a_received_disclosure_finds_how_to_report_an_entry_inaccurate(world: World) -> None:
    after = after_world(world)
    school = sign_in(Client(), after.user("school"))
    assert school.post(f"/disclosures/{after.disclosure.pk}/", {"purpose": PURPOSE}).status_code == 302
    page = school.get(f"/disclosures/{after.disclosure.pk}/").content.decode()
    assert "The child" in page or "revision" in page  # the content is shown (the purpose was given)
    assert f"/disclosures/{after.disclosure.pk}/entries/{after.made.entry.pk}/report/" in page
