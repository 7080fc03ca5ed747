"""b11l (issue 11): the child API lists the corrections of the child's legal name (`name_corrections`) as the
record page does - to every reader of the record, the reason absent where the shield withholds the other names
and once erased - in the statements the read already ran; the reopenings and the name corrections are read by one
helper (sharing.selectors.children._reasoned_seen)."""

from __future__ import annotations

import html
from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from isp_portal.policy import SystemActor
from sharing.models import Child
from sharing.selectors.children import NameCorrectionView, ReopeningView, name_corrections_seen, reopenings_seen
from sharing.services import NameChange, child_shield, child_update, minimum_data_of, retention
from sharing.services.retention import child_close
from tests.factories import World, sign_in
from tests.matrix import client_as
from tests.sharing.fixtures import PURPOSE, fresh, make_child, sharing_world

pytestmark = pytest.mark.django_db
REASON = "Misspelt at referral: the school's letter gives Elderwick"


def _correct(world: World, child: Child, family: str, reason: str = REASON, by: str = "practitioner") -> None:
    child = Child.objects.get(pk=child.pk)
    child_update(
        actor=fresh(world.users[by]),
        child=child,
        data=minimum_data_of(child),
        name=("Seraphina", family),
        name_change=NameChange.CORRECTION,
        reason=reason,
    )


def _read(client: Client, child: Child, query: str = "") -> Any:
    response = client.get(f"/api/v1/children/{child.pk}/{query}", HTTP_X_PURPOSE=PURPOSE)
    assert response.status_code == 200, response.content
    return response.json()


def test_the_child_api_lists_the_name_corrections_as_the_page_does(world: World) -> None:
    sw = sharing_world(world)
    child = make_child(sw, "Seraphina", "Elderwik")
    _correct(sw, child, "Elderwick")
    practitioner = sw.users["practitioner"]
    today = timezone.localdate()
    expected = [{"corrected_on": today.isoformat(), "corrected_by": practitioner.full_name, "reason": REASON}]
    body = _read(client_as(sw, "practitioner"), child)
    assert body["name_corrections"] == expected
    # The page says the same (the one reading: name_corrections_seen).
    client = sign_in(Client(), practitioner)
    client.post(f"/children/{child.pk}/purpose/", {"purpose": PURPOSE, "next": f"/children/{child.pk}/"})
    page = html.unescape(client.get(f"/children/{child.pk}/").content.decode())
    assert REASON in page and "Name corrected" in page
    # Every reader of the record sees it with the names, as on the page: another agency, a partnership admin.
    for role in ("other_agency", "partnership_admin"):
        assert _read(client_as(sw, role), child)["name_corrections"] == expected, role
    # Asked for by name (`fields`), like any other field of the record.
    assert _read(client_as(sw, "practitioner"), child, "?fields=name_corrections") == {
        "id": child.pk,
        "name_corrections": expected,
    }


def test_the_reason_is_absent_where_the_shield_withholds_the_other_names_and_once_erased(world: World) -> None:
    sw = sharing_world(world)
    child = make_child(sw, "Seraphina", "Elderwik")
    _correct(sw, child, "Elderwick")
    child_shield(actor=fresh(sw.users["practitioner"]), child=child, agency=sw.home, reason="Fled domestic abuse")
    practitioner = sw.users["practitioner"].full_name
    involved = _read(client_as(sw, "practitioner"), child)["name_corrections"]
    assert [correction.get("reason") for correction in involved] == [REASON]
    # A partnership admin's agency is not involved: the shield withholds the other names, and so the reason.
    withheld = _read(client_as(sw, "partnership_admin"), child)
    assert [name["kind"] for name in withheld["names"]] == ["legal"]
    assert [set(correction) for correction in withheld["name_corrections"]] == [{"corrected_on", "corrected_by"}]
    assert withheld["name_corrections"][0]["corrected_by"] == practitioner
    assert REASON not in str(withheld)

    admin = sw.users["partnership_admin"]
    closed = child_close(actor=fresh(admin), child=Child.objects.get(pk=child.pk), reason="No longer needed")
    assert closed.erase_due_on is not None
    erased_at = retention.child_erase(actor=SystemActor("test"), child=closed, today=closed.erase_due_on).erased_at
    assert erased_at is not None
    erased = _read(client_as(sw, "practitioner"), child)["name_corrections"]
    assert [(c["corrected_by"], c["reason_erased_on"], "reason" in c) for c in erased] == [
        (practitioner, erased_at.date().isoformat(), False)  # as the record's `erased_on` says it
    ]


def test_the_read_costs_the_same_statements_whatever_the_corrections(world: World) -> None:
    """The corrections are arrays of the child's own statement (NAME_CORRECTION_ARRAYS): none, one or three cost
    the read the same statements."""
    sw = sharing_world(world)
    child = make_child(sw, "Seraphina", "Elderwik")
    client = client_as(sw, "practitioner")
    _read(client, child)  # the session and identity are cached from here on

    def counted() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            body = _read(client, child)
        return len(queries), len(body["name_corrections"])

    none, found = counted()
    assert found == 0
    _correct(sw, child, "Elderwick")
    assert counted() == (none, 1)
    _correct(sw, child, "Elderwyck", reason="Spelt again from the birth certificate")
    _correct(sw, child, "Elderwick", reason="The birth certificate was misread")
    assert counted() == (none, 3)


def test_one_helper_reads_the_reopenings_and_the_corrections_alike() -> None:
    """The two readers share their shape (when, by whom, the reason or why not): the same rows read the same."""
    at = datetime(2026, 6, 1, 23, 30, tzinfo=UTC)
    for erased_on, withheld in ((None, False), (None, True), (date(2026, 4, 1), True), (date(2026, 4, 1), False)):
        corrections = name_corrections_seen([(at, REASON, None)], erased_on=erased_on, withheld=withheld)
        reopenings = reopenings_seen([(date(2026, 3, 1), REASON, None)], erased_on=erased_on, withheld=withheld)
        expected_reason = REASON if erased_on is None and not withheld else None
        assert reopenings == [
            ReopeningView(date(2026, 3, 1), "", expected_reason, erased_on, withheld and not erased_on)
        ]
        assert corrections == [
            NameCorrectionView(
                date(2026, 6, 2),  # the day by the portal's clock (London, summer time)
                "",
                expected_reason,
                erased_on,
                withheld and erased_on is None,
            )
        ]


def test_the_schema_describes_the_name_corrections(world: World) -> None:
    """The OpenAPI description (drf-spectacular) says what the read returns, so the fuzzing checks it."""
    schemas = Client().get("/api/schema/?format=json").json()["components"]["schemas"]
    listed = schemas["ChildOut"]["properties"]["name_corrections"]
    assert listed["type"] == "array" and listed["items"]["$ref"].endswith("/NameCorrectionOut")
    correction = schemas["NameCorrectionOut"]
    assert set(correction["properties"]) == {"corrected_on", "corrected_by", "reason", "reason_erased_on"}
    assert set(correction["required"]) == {"corrected_on", "corrected_by"}
