"""The central register of breaches and disputes (issue 14; Southampton 13): who reads which rows, the filters, the
counts by agency and by month, the chart (CSP-safe, accessible, escaped), the CSV (formula-safe, audited) and the
refusal of a filter it cannot read."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from audit.models import AuditEvent
from breaches import register_selectors as selectors
from isp_portal.charts import bar_chart
from isp_portal.policy import NotPermitted
from tests.breaches.fixtures import reported_breach
from tests.disclosures.dispute_fixtures import opened
from tests.factories import World, make_user, sign_in

pytestmark = pytest.mark.django_db


def _filters(**values: object) -> selectors.RegisterFilters:
    return selectors.filters_of(values)


def test_months_parse_and_range_by_the_rules() -> None:
    assert selectors.parse_month("2026-03") == date(2026, 3, 1)
    for bad in ("2026-13", "26-03", "2026-3", "1999-12", "x"):
        with pytest.raises(ValueError, match=r"month|era|between"):
            selectors.parse_month(bad)
    today = date(2026, 12, 1)
    assert selectors.month_range(None, None, today) == (date(2026, 1, 1), date(2026, 12, 1))
    with pytest.raises(ValueError, match="month_to"):
        selectors.month_range(date(2026, 5, 1), date(2026, 4, 1), today)
    with pytest.raises(ValueError, match="at most 36"):
        selectors.month_range(date(2023, 1, 1), date(2026, 1, 1), today)


@given(st.dates(date(2000, 1, 1), date(2090, 1, 1)), st.integers(0, 200))
def test_add_months_lands_on_the_first_and_counts_back(start: date, months: int) -> None:
    first = start.replace(day=1)
    later = selectors.add_months(first, months)
    assert later.day == 1 and selectors.months_between(first, later) == months + 1


def test_the_register_lists_breaches_and_disputes_with_counts(world: World) -> None:
    breach = reported_breach(world, personal_data=True)
    _after, dispute = opened(world)
    admin = world.users["partnership_admin"]
    page = selectors.central_register(admin, _filters())
    references = {row.reference for row in page.rows}
    assert {breach.reference, dispute.register_label} <= references
    assert page.breaches == 1 and page.disputes == 1
    this_month = timezone.localdate().replace(day=1)
    assert [(m.breaches, m.disputes) for m in page.by_month if m.month == this_month] == [(1, 1)]
    counted = {count.agency_id: (count.breaches, count.disputes) for count in page.by_agency}
    assert counted[world.other.pk][0] == 1  # the breach counts for the agency alleged in breach
    assert counted[dispute.raising_agency_id][1] == 1 and counted[dispute.responding_agency_id][1] == 1

    only_breaches = selectors.central_register(admin, _filters(kind="breach", personal_data=True))
    assert [row.reference for row in only_breaches.rows] == [breach.reference]
    closed = selectors.central_register(admin, _filters(status="closed"))
    assert closed.rows == []
    elsewhere = selectors.central_register(admin, _filters(month_from=date(2020, 1, 1), month_to=date(2020, 12, 1)))
    assert elsewhere.rows == [] and len(elsewhere.by_month) == 12


def test_an_agency_auditor_reads_only_their_agencys_rows_and_others_are_refused(world: World) -> None:
    breach = reported_breach(world)
    police_auditor = make_user(name="Polly Auditor", agency=world.other, roles=["auditor"])
    stranger_auditor = make_user(name="Stan Auditor", agency=opened(world)[0].school, roles=["auditor"])
    assert [r.reference for r in selectors.central_register(police_auditor, _filters()).rows] == [breach.reference]
    assert breach.reference not in {r.reference for r in selectors.central_register(stranger_auditor, _filters()).rows}
    for role in ("practitioner", "designated_manager", "agency_admin", "other_agency", "no_role"):
        with pytest.raises(NotPermitted):
            selectors.central_register(world.users[role], _filters())


def test_the_csv_is_formula_safe_audited_and_of_the_filtered_rows(world: World) -> None:
    from agencies.models import Agency

    Agency.objects.filter(pk=world.other.pk).update(name="=HYPERLINK(1)")
    breach = reported_breach(world)
    _after, dispute = opened(world)
    client = sign_in(Client(), world.users["partnership_admin"])
    response = client.get("/breaches/register/export.csv", {"kind": "breach"})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    assert breach.reference in text and dispute.register_label not in text
    assert "'=HYPERLINK(1)" in text and ",=HYPERLINK" not in text
    event = AuditEvent.objects.get(kind="breach.register_export")
    assert event.detail["rows"] == 1 and event.detail["filters"]["kind"] == "breach"


@pytest.mark.parametrize("query", [{"stat": "open"}, {"month_from": "2026-13"}, {"kind": ["breach", "dispute"]}])
def test_a_filter_that_cannot_be_read_is_refused_by_name(world: World, query: dict) -> None:
    client = sign_in(Client(), world.users["partnership_admin"])
    name = next(iter(query))
    for url in ("/breaches/register/", "/breaches/register/export.csv", "/api/v1/register/"):
        response = client.get(url, query)
        assert response.status_code == 400, url
        assert name in response.content.decode(), url
    assert not AuditEvent.objects.filter(kind="breach.register_export").exists()


def test_the_csv_streams_every_row_across_chunks(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(selectors, "EXPORT_CHUNK", 2)
    made = {
        reported_breach(world, occurred_on=timezone.localdate() - timedelta(days=n + 3)).reference for n in range(3)
    }
    _after, dispute = opened(world)
    rows = list(selectors.register_rows(world.users["partnership_admin"], _filters()))
    assert {row.reference for row in rows} == made | {dispute.register_label}
    assert len(rows) == 4
    keys = [(-row.recorded_at.timestamp(), row.kind, -row.pk) for row in rows]
    assert keys == sorted(keys)


def test_the_chart_is_an_accessible_image_with_no_script_or_style_and_escaped_labels() -> None:
    svg = str(
        bar_chart(
            chart_id="c", title="Counts & more", description="The table gives the figures.",
            labels=["<script>alert(1)</script>", "B"], series=[("Breaches", [1, 2]), ("Disputes", [0, 1])],
        )
    )  # fmt: skip
    assert svg.startswith("<svg") and 'role="img"' in svg and 'aria-labelledby="c-title"' in svg
    assert '<title id="c-title">Counts &amp; more</title>' in svg
    assert "<script" not in svg and "<style" not in svg and "style=" not in svg
    assert "&lt;script&gt;" in svg
