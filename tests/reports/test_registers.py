"""The partnership registers (issue 15; Southampton 13 and 18; Haringey 4.1-4.2, 5): each register's rows and the
summary's counts, the pure rules behind a row's status, the CSVs and the ZIP (formula-safe, round-tripped, audited
with their row counts), who reads which rows, and the refusals."""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from datetime import date, timedelta
from html import escape

import pytest
from django.test import Client
from django.utils import timezone

from agencies.models import Agency
from audit.models import AuditEvent
from isp_portal.policy import NotPermitted
from protocols.models import Review
from protocols.services import signature_withdraw
from reports import registers as selectors
from reports import registers_rules as rules
from reports.views.registers import zip_of_csvs
from tests.breaches.fixtures import reported_breach
from tests.disclosures.dispute_fixtures import opened
from tests.factories import SYSTEM, World, make_agency, make_user, sign_in
from tests.protocol_fixtures import protocol_in_force

pytestmark = pytest.mark.django_db
S = rules.SignatoryStatus


@pytest.mark.parametrize(
    ("signed", "withdrawn", "carried", "expected"),
    [
        (None, False, False, S.NOT_SIGNED),
        (2, True, False, S.WITHDRAWN),
        (1, False, False, S.EARLIER_VERSION),
        (2, False, False, S.SIGNED),
        (2, False, True, S.CARRIED_OVER),
    ],
)
def test_a_signatory_rows_status_follows_its_newest_signature(
    signed: int | None, withdrawn: bool, carried: bool, expected: rules.SignatoryStatus
) -> None:
    status = rules.signatory_status(signed_version=signed, current_version=2, withdrawn=withdrawn, carried_over=carried)
    assert status == expected


@pytest.mark.parametrize(
    ("status", "checklist", "complete"),
    [
        (S.SIGNED, "complete", True),
        (S.CARRIED_OVER, "due for renewal", True),
        (S.SIGNED, "incomplete", False),
        (S.EARLIER_VERSION, "complete", False),
        (S.WITHDRAWN, "complete", False),
        (S.NOT_SIGNED, "complete", False),
    ],
)
def test_a_signature_is_complete_only_with_its_checklist(status: S, checklist: str, complete: bool) -> None:
    assert rules.signature_complete(status, checklist) is complete


def test_a_reviews_standing_and_outcome_in_dates() -> None:
    today = date(2026, 6, 1)
    overdue = rules.review_standing(
        next_due_on=date(2026, 5, 1), completed_on=None, report_due_on=None, reported_on=None, today=today
    )
    assert overdue.overdue and overdue.reminder == "overdue" and overdue.outcome == "No review completed yet"
    soon = rules.review_standing(
        next_due_on=date(2026, 6, 20), completed_on=date(2025, 12, 1), report_due_on=date(2026, 1, 1),
        reported_on=None, today=today,
    )  # fmt: skip
    assert (
        not soon.overdue and soon.reminder == "1 month" and soon.outcome == "Findings to be reported by 1 January 2026"
    )
    far = rules.review_standing(
        next_due_on=date(2027, 6, 1), completed_on=date(2026, 5, 1), report_due_on=date(2026, 5, 20),
        reported_on=date(2026, 5, 10), today=today,
    )  # fmt: skip
    assert far.reminder == "" and far.outcome == "Findings reported at the meeting of 10 May 2026"


def test_the_signatories_register_has_each_agency_against_each_protocol_in_force(world: World) -> None:
    protocol = protocol_in_force(world)
    unsigned = make_agency("=Unsigned Youth Club")
    rows = {(row.agency_id, row.protocol_id): row for row in selectors.signatory_rows(world.users["partnership_admin"])}
    home = rows[(world.home.pk, protocol.pk)]
    assert home.status == S.SIGNED and home.signed_version == 1 and home.signatory == "A Director, Director"
    assert home.checklist == "complete" and home.complete
    stranger = rows[(unsigned.pk, protocol.pk)]
    assert stranger.status == S.NOT_SIGNED and not stranger.complete and stranger.ico_status in ("missing", "valid")
    live = protocol.signatures.get(agency=world.other, withdrawn_at__isnull=True)
    signature_withdraw(actor=SYSTEM, signature=live, reason="Leaving the partnership")
    rows = {(row.agency_id, row.protocol_id): row for row in selectors.signatory_rows(world.users["auditor"])}
    assert rows[(world.other.pk, protocol.pk)].status == S.WITHDRAWN


def test_the_reviews_register_shows_the_next_review_and_whether_it_is_overdue(world: World) -> None:
    protocol = protocol_in_force(world)
    Review.objects.filter(protocol=protocol).update(due_on=timezone.localdate() - timedelta(days=3))
    [row] = [row for row in selectors.review_rows(world.users["partnership_admin"]) if row.protocol_id == protocol.pk]
    assert row.next_number == 1 and row.standing.overdue and row.last_review_id is None
    assert row.standing.outcome == "No review completed yet"


def test_the_summary_counts_the_four_registers(world: World) -> None:
    protocol_in_force(world)
    make_agency("Unsigned Youth Club")
    reported_breach(world)
    opened(world)
    admin = world.users["partnership_admin"]
    signatories, reviews = selectors.signatory_rows(admin), selectors.review_rows(admin)
    summary = selectors.summary(admin, signatories, reviews)
    assert summary.agencies == len({row.agency_id for row in signatories})
    assert summary.signed >= 2 and summary.not_signed >= 1
    assert summary.protocols == len(reviews) >= 1
    assert (summary.breaches, summary.breaches_open, summary.disputes, summary.disputes_open) == (1, 1, 1, 1)


def test_an_agency_auditor_reads_their_agencys_signatory_rows_and_others_are_refused(world: World) -> None:
    protocol_in_force(world)
    breach = reported_breach(world)
    police_auditor = make_user(name="Polly Auditor", agency=world.other, roles=["auditor"])
    assert {row.agency_id for row in selectors.signatory_rows(police_auditor)} == {world.other.pk}
    assert [row.reference for row in selectors.central_page(police_auditor, "breaches").rows] == [breach.reference]
    assert len(selectors.review_rows(police_auditor)) == len(selectors.review_rows(world.users["auditor"]))
    for role in ("practitioner", "designated_manager", "agency_admin", "other_agency", "no_role"):
        with pytest.raises(NotPermitted):
            selectors.signatory_rows(world.users[role])
        with pytest.raises(NotPermitted):
            selectors.review_rows(world.users[role])
    client = sign_in(Client(), world.users["agency_admin"])
    assert client.get("/registers/").status_code == 403
    assert AuditEvent.objects.filter(outcome="denied", object_type="resource:partnership_registers").exists()


def _csv(response: object) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize("register", selectors.REGISTERS)
def test_each_csv_round_trips_is_formula_safe_and_audited(world: World, register: str) -> None:
    protocol_in_force(world)
    Agency.objects.filter(pk=world.other.pk).update(name="=HYPERLINK(1)")
    reported_breach(world)
    opened(world)
    client = sign_in(Client(), world.users["partnership_admin"])
    response = client.get(f"/registers/{register}.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = _csv(response)
    expected = selectors.export(world.users["partnership_admin"], register)
    assert rows[0] == list(expected.header)
    assert len(rows) - 1 == expected.rows >= 1
    cells = [cell for row in rows[1:] for cell in row]
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)
    if register in ("signatories", "breaches"):  # the dispute is between the school and the council
        assert "'=HYPERLINK(1)" in cells
    event = AuditEvent.objects.get(kind="reports.register_export")
    assert event.detail["rows"] == {register: expected.rows}


def test_the_zip_holds_the_four_csvs_and_is_audited_with_their_counts(world: World) -> None:
    protocol_in_force(world)
    reported_breach(world)
    opened(world)
    client = sign_in(Client(), world.users["partnership_admin"])
    response = client.get("/registers/export.zip")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))  # type: ignore[attr-defined]
    assert sorted(archive.namelist()) == sorted(f"{name}-register.csv" for name in selectors.REGISTERS)
    counts = AuditEvent.objects.get(kind="reports.registers_export").detail["rows"]
    for name in selectors.REGISTERS:
        rows = list(csv.reader(io.StringIO(archive.read(f"{name}-register.csv").decode())))
        assert len(rows) - 1 == counts[name]
    assert counts["breaches"] == 1 and counts["disputes"] == 1


def test_the_zip_streams_in_pieces_and_keeps_cells_formula_safe(monkeypatch: pytest.MonkeyPatch) -> None:
    from reports.views import registers as views

    monkeypatch.setattr(views, "ZIP_FLUSH_BYTES", 10)
    # Digests do not compress, so the deflater hands on what it is given in blocks as the rows are read.
    rows = ([f"+{hashlib.sha256(str(n).encode()).hexdigest()}"] for n in range(5000))
    pieces = list(zip_of_csvs([("a.csv", ["Name"], rows)]))
    assert len(pieces) > 5
    text = zipfile.ZipFile(io.BytesIO(b"".join(pieces))).read("a.csv").decode()
    lines = text.splitlines()
    assert lines[0] == "Name" and lines[1] == f"'+{hashlib.sha256(b'0').hexdigest()}" and len(lines) == 5001


@pytest.mark.parametrize(
    ("url", "query"),
    [
        ("/registers/", {"register": "nonsense"}),
        ("/registers/", {"kind": "breach"}),
        ("/registers/", {"page": "0"}),
        ("/registers/signatories.csv", {"page": "2"}),
        ("/registers/export.zip", {"x": "1"}),
        ("/api/v1/registers/signatories/", {"pagee": "2"}),
        ("/api/v1/registers/breaches/", {"page": "x"}),
    ],
)
def test_an_address_that_cannot_be_read_is_refused_by_name(world: World, url: str, query: dict) -> None:
    client = sign_in(Client(), world.users["partnership_admin"])
    response = client.get(url, query)
    assert response.status_code == 400
    assert next(iter(query)) in response.content.decode()
    assert not AuditEvent.objects.filter(kind__startswith="reports.register").exists()


def test_an_unknown_register_is_not_found(world: World) -> None:
    client = sign_in(Client(), world.users["partnership_admin"])
    assert client.get("/registers/meetings.csv").status_code == 404


def test_the_page_and_the_api_show_each_register(world: World) -> None:
    protocol = protocol_in_force(world)
    breach = reported_breach(world)
    _after, dispute = opened(world)
    client = sign_in(Client(), world.users["auditor"])
    page = client.get("/registers/").content.decode()
    assert "Partnership registers" in page and protocol.title in page and escape(world.home.name) in page
    assert breach.reference in client.get("/registers/", {"register": "breaches"}).content.decode()
    assert dispute.register_label in client.get("/registers/", {"register": "disputes"}).content.decode()
    signatories = client.get("/api/v1/registers/signatories/").json()
    assert signatories["count"] == len(signatories["rows"]) >= 2 and not signatories["has_next"]
    assert client.get("/api/v1/registers/reviews/").json()["rows"][0]["protocol_title"] == protocol.title
    assert client.get("/api/v1/registers/breaches/").json()["rows"][0]["reference"] == breach.reference
    assert client.get("/api/v1/registers/disputes/").json()["count"] == 1
    assert client.get("/api/v1/registers/signatories/", {"page": 2}).json()["rows"] == []
