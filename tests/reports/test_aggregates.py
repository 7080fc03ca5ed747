"""The aggregate reports (issue 15): small counts never shown, secondary suppression holds, months frozen once,
bad input refused by field, each read audited; the dataset's CSV and JSON."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from audit.models import AuditEvent
from disclosures.models import InformationRequest
from reports.aggregates import selectors
from reports.aggregates.rules import Dimension, Measure, add_months, default_period, last_published_month
from reports.models import MonthCount
from tests.disclosures.fixtures import case, submit
from tests.factories import World, sign_in

pytestmark = pytest.mark.django_db


def _requests(world: World, count: int) -> list[InformationRequest]:
    made_case = world.objects.get("report_case") or case(world)
    world.objects["report_case"] = made_case
    made = [submit(made_case) for _ in range(count)]
    # Backdated into the last whole month (the reports count only months that have ended).
    last = last_published_month(timezone.localdate())
    at = timezone.make_aware(datetime.combine(last + timedelta(days=9), time(12)))
    InformationRequest.objects.filter(pk__in=[r.pk for r in made]).update(submitted_at=at)
    return made


def _report(world: World, rows: Dimension = Dimension.AGENCY, columns: Dimension = Dimension.MONTH):
    period = default_period(timezone.localdate())
    return selectors.aggregate_report(
        actor=world.users["auditor"], measure=Measure.REQUESTS, rows=rows, columns=columns,
        first=period.first, last=period.last,
    )  # fmt: skip


def test_a_count_of_three_is_never_shown(world: World) -> None:
    _requests(world, 3)
    report = _report(world)
    shown = [value for _, _, cells, total in report.row_cells() for value in [*cells, total] if value is not None]
    assert all(not 1 <= value <= report.table.threshold for value in shown)
    assert report.table.grand_total is None
    assert AuditEvent.objects.filter(kind="reports.aggregate").count() == 1


def test_secondary_suppression_holds(world: World) -> None:
    # 3 requests of one child's area-less age band and 15 of another: the 3 hidden; no line with one hidden count.
    _requests(world, 18)
    report = _report(world, Dimension.AGE_BAND, Dimension.MONTH)
    table = report.table
    for row in table.rows:
        line = [table.cell(row, col) for col in table.columns] + [table.row_total(row)]
        assert sum(value is None for value in line) != 1
    for col in table.columns:
        line = [table.cell(row, col) for row in table.rows] + [table.col_total(col)]
        assert sum(value is None for value in line) != 1


def test_a_month_is_frozen_once(world: World) -> None:
    _requests(world, 12)
    first = _report(world)
    frozen = MonthCount.objects.count()
    _requests(world, 2)  # recorded (backdated) into a month already read: not counted
    again = _report(world)
    assert MonthCount.objects.count() == frozen
    assert first.table.grand_total == again.table.grand_total


def test_api_refuses_bad_input_by_field(world: World) -> None:
    client = Client()
    sign_in(client, world.users["auditor"])
    period = default_period(timezone.localdate())
    base = {"measure": "requests", "rows": "agency", "columns": "month", "month_from": f"{period.first:%Y-%m}"}
    reversed_to = f"{add_months(period.first, -1):%Y-%m}"
    for data, field in (
        ({**base, "month_to": reversed_to}, "month_to"),
        ({**base, "month_to": f"{period.last:%Y-%m}", "rows": "colour"}, "rows"),
        ({**base, "month_to": f"{period.last:%Y-%m}", "rows": "legal_basis"}, "rows"),
        ({**base, "month_to": f"{period.last:%Y-%m}", "extra": "1"}, "extra"),
    ):
        response = client.get("/api/v1/reports/aggregates/", data)
        assert response.status_code == 400, data
        assert field in json.dumps(response.json()), response.json()


def test_page_form_error_on_a_reversed_range(world: World) -> None:
    client = Client()
    sign_in(client, world.users["auditor"])
    period = default_period(timezone.localdate())
    response = client.get(
        "/reports/aggregates/",
        {"measure": "requests", "rows": "agency", "columns": "month", "month_from": f"{period.first:%Y-%m}",
         "month_to": f"{add_months(period.first, -1):%Y-%m}"},
    )  # fmt: skip
    assert response.status_code == 400
    assert "The last month must be the same as or after the first month" in response.content.decode()


def test_dataset_csv_and_json(world: World) -> None:
    _requests(world, 14)
    client = Client()
    sign_in(client, world.users["auditor"])
    year = default_period(timezone.localdate()).first.year
    csv_text = b"".join(client.get("/reports/aggregates/dataset.csv", {"year": str(year)}).streaming_content).decode()
    assert "# threshold" in csv_text and "# method" in csv_text
    data = client.get("/api/v1/reports/aggregates/dataset/", {"year": year}).json()
    assert data["threshold"] >= 1 and len(data["tables"]) == len(selectors.dataset_tables())
    assert AuditEvent.objects.filter(kind="reports.dataset").count() == 2


def test_sql_age_band_matches_the_rule(world: World) -> None:
    from reports.aggregates.rules import age_band

    made = _requests(world, 1)[0]
    _report(world)
    child = made.child
    on = timezone.localtime(InformationRequest.objects.get(pk=made.pk).submitted_at).date()
    assert MonthCount.objects.get(measure="requests").age_band == age_band(child.born_on, on)


def test_beat_publishes_the_month_just_ended_with_its_counts_as_at_then(world: World) -> None:
    from reports.models import MonthPublished
    from reports.tasks import freeze_months_task

    _requests(world, 12)
    last = last_published_month(timezone.localdate())
    assert not MonthPublished.objects.filter(month=last).exists()
    assert freeze_months_task() == last.isoformat()
    assert MonthPublished.objects.get(month=last)
    counted = sum(MonthCount.objects.filter(month=last, measure=Measure.REQUESTS).values_list("n", flat=True))
    assert counted == 12
    # A request backdated into the published month afterwards changes nothing: the month is as it was when it ended.
    _requests(world, 1)
    freeze_months_task()
    assert sum(MonthCount.objects.filter(month=last, measure=Measure.REQUESTS).values_list("n", flat=True)) == 12


def test_the_demo_publishes_a_past_year_the_charts_can_show(world: World) -> None:
    from isp_portal.demo_context import DemoContext
    from reports import demo
    from reports.models import MonthPublished

    context = DemoContext()
    demo.seed(context)
    assert MonthPublished.objects.count() == demo.MONTHS
    assert AuditEvent.objects.filter(kind="reports.demo_published").count() == 1
    report = _report(world, Dimension.MONTH, Dimension.AGENCY)
    shown = [total for _, _, _, total in report.row_cells() if total]
    assert len(shown) >= 6, shown  # months with a count the chart can draw
    demo.seed(DemoContext())  # a second seeding adds nothing
    assert AuditEvent.objects.filter(kind="reports.demo_published").count() == 1
