"""Every page that shows a child's details is an audit event with its purpose (issue 10, tester's finding 2): the
merge check shows the two children's names and dates of birth, so it records one child.view naming both, as the
record page does; a shielded child's agency is told, as for its record. The other pages and endpoints that show a
child (the record, the entries and their revisions, the search, the likely matches of the new-child check and of
the API) are audited by their selectors and tested with them (test_selectors, test_pages, test_api)."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from audit.models import AuditEvent
from sharing.models import ShieldedAccess
from sharing.selectors import MERGE_PURPOSE
from tests.factories import World, sign_in
from tests.sharing.fixtures import make_child, sharing_world

pytestmark = pytest.mark.django_db


def test_the_merge_check_records_one_view_naming_both_children(world: World) -> None:
    sw = sharing_world(world)
    keep = make_child(sw, "Sam", "Smith", born_on=date(2014, 1, 5))
    other = make_child(
        sw,
        "Samuel",
        "Smith",
        born_on=date(2014, 1, 5),
        by="other_agency",
        agency=sw.other,
        considered=[keep.pk],
        shielded=True,
    )
    client = sign_in(Client(), sw.users["partnership_admin"])
    client.post(f"/children/{keep.pk}/merge/", {"other": str(other.pk), "reason": "Same NHS records."})
    check = client.get(f"/children/{keep.pk}/merge/check/").content.decode()
    assert "Samuel Smith" in check and "Sam Smith" in check
    event = AuditEvent.objects.get(kind="child.view")
    assert event.actor_id == sw.users["partnership_admin"].pk and event.purpose == MERGE_PURPOSE
    assert event.child_id == keep.pk and event.detail["children"] == [keep.pk, other.pk]
    # The shielded one's agency is told that the admin saw it (once a day, as for its record).
    assert ShieldedAccess.objects.filter(child=other, user=sw.users["partnership_admin"]).count() == 1
