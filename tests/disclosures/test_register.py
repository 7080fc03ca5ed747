"""The central register of disputes (issue 13; Southampton 13: "all disputes to be recorded on a central register";
docs/after-disclosure-design.md 7, Q12): who reads which rows, its filters and keyset pages, no child identity and
no free text on the page, the API or the CSV, and the CSV export streamed, audited with its filters and row count,
its formula cells neutralised."""

from __future__ import annotations

import pytest
from django.test import Client

from audit.models import AuditEvent
from disclosures import dispute_selectors as selectors
from disclosures.dispute_selectors import RegisterFilters
from disclosures.services.disputes import dispute_withdraw
from isp_portal.csv_export import csv_safe
from isp_portal.policy import NotPermitted
from tests.disclosures.dispute_fixtures import GROUNDS, opened
from tests.factories import World, sign_in
from tests.sharing.fixtures import fresh

pytestmark = pytest.mark.django_db


def client(world: World, role: str) -> Client:
    return sign_in(Client(), fresh(world.users[role]))


def test_keepers_read_every_row_managers_their_agencys_and_practitioners_none(world: World) -> None:
    after, dispute = opened(world)
    page = selectors.dispute_register(fresh(world.users["partnership_admin"]), RegisterFilters())
    assert [row.register_number for row in page.rows] == [dispute.register_number]
    assert page.counts["stage_one"] == 1
    assert len(selectors.dispute_register(after.user("designated_manager"), RegisterFilters()).rows) == 1
    # The police's designated manager would see none of it; a practitioner may not read the register at all.
    with pytest.raises(NotPermitted):
        selectors.dispute_register(after.user("practitioner"), RegisterFilters())


def test_filters_and_keyset_pages(world: World) -> None:
    after, first = opened(world)
    second = opened(world)[1]
    dispute_withdraw(actor=after.user("school"), dispute=first, reason="No longer needed.")
    keeper = fresh(world.users["partnership_admin"])
    assert [r.register_number for r in selectors.dispute_register(keeper, RegisterFilters(state="withdrawn")).rows] == [
        first.register_number
    ]
    assert [
        r.register_number for r in selectors.dispute_register(keeper, RegisterFilters(records_incomplete=True)).rows
    ] == [first.register_number]
    below = selectors.dispute_register(keeper, RegisterFilters(before=second.register_number)).rows
    assert [r.register_number for r in below] == [first.register_number]
    assert selectors.dispute_register(keeper, RegisterFilters(agency=world.other.pk)).rows == []


def test_no_child_and_no_free_text_on_the_page_the_api_or_the_csv(world: World) -> None:
    after, dispute = opened(world, grounds="PLANTED-GROUNDS-MARKER")
    child_name = after.made.child.names.first()
    keeper = client(world, "partnership_admin")
    page = keeper.get("/disputes/register/")
    api = keeper.get("/api/v1/dispute-register/")
    export = keeper.get("/disputes/register/export.csv?state=stage_one")
    csv_text = b"".join(export.streaming_content).decode()
    assert page.status_code == api.status_code == export.status_code == 200
    for body in (page.content.decode(), api.content.decode(), csv_text):
        assert dispute.register_label in body
        assert "PLANTED-GROUNDS-MARKER" not in body
        if child_name is not None:
            assert child_name.family not in body


def test_the_export_is_audited_with_its_filters_and_row_count(world: World) -> None:
    opened(world)
    response = client(world, "partnership_admin").get("/disputes/register/export.csv?state=stage_one&overdue=on")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    lines = b"".join(response.streaming_content).decode().strip().splitlines()
    assert lines[0].startswith("Register number,")
    event = AuditEvent.objects.get(kind="dispute.register_export", request_id=response["X-Request-ID"])
    assert event.detail["filters"] == {"state": "stage_one", "overdue": True}
    assert event.detail["rows"] == len(lines) - 1 == 0


def test_a_designated_manager_may_not_export(world: World) -> None:
    opened(world)
    response = client(world, "designated_manager").get("/disputes/register/export.csv")
    assert response.status_code == 403
    assert AuditEvent.objects.filter(kind="access.denied", request_id=response["X-Request-ID"]).count() == 1


@pytest.mark.parametrize("cell", ["=HYPERLINK(1)", "+1", "-1", "@SUM(A1)", "\t=1"])
def test_formula_cells_are_neutralised(cell: str) -> None:
    assert csv_safe(cell) == f"'{cell}"
    assert csv_safe("Hill School") == "Hill School"


def test_the_register_page_rejects_a_bad_filter_without_a_500(world: World) -> None:
    opened(world)
    response = client(world, "partnership_admin").get("/disputes/register/?state=nonsense&before=x")
    assert response.status_code == 200
    assert "govuk-error-summary" in response.content.decode()


def test_the_grounds_marker_exists_so_the_leak_check_can_fail(world: World) -> None:
    # The journey (for the parties) does show the grounds: the marker is findable where it belongs.
    _after, dispute = opened(world, grounds=GROUNDS + " PLANTED")
    assert "PLANTED" in client(world, "designated_manager").get(f"/disputes/{dispute.pk}/").content.decode()
