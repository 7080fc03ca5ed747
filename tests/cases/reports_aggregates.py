"""Rows for the aggregate reports and the annual needs-assessment dataset (issue 15; DESIGN 3.2 aggregate tier):
any member of an active signatory agency (whatever their role) and auditors; anyone else 403 (recorded)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from reports.aggregates.rules import add_months, default_period
from tests.cases.sharing import AGGREGATE, html
from tests.cases.sharing_api import AGGREGATE_READERS, table
from tests.factories import World
from tests.matrix import Case
from tests.sharing.fixtures import sharing_world


def setup(world: World) -> dict[str, Any]:
    sharing_world(world)
    return {}


def _query(world: World) -> dict[str, Any]:
    period = default_period(timezone.localdate())
    return {
        "measure": "disclosures", "rows": "legal_basis", "columns": "month",
        "month_from": f"{period.first:%Y-%m}", "month_to": f"{period.last:%Y-%m}",
    }  # fmt: skip


def _reversed(world: World) -> dict[str, Any]:
    period = default_period(timezone.localdate())
    return {**_query(world), "month_to": f"{add_months(period.first, -1):%Y-%m}"}


def _year(world: World) -> dict[str, Any]:
    return {"year": str(default_period(timezone.localdate()).first.year)}


# An agency's API token reads the tier only with the children scopes, which reach the sharing app alone.
API_READERS = {**AGGREGATE_READERS, "children_token": 403}
READERS_HTML = html(AGGREGATE, otherwise=403)
BAD_HTML = html(dict.fromkeys(AGGREGATE, 400), otherwise=403)

CASES: list[Case] = [
    # Who the user is, their agencies' signatures, the months frozen (one statement, nothing new), the one grouped
    # statement over the frozen counts, the audit event.
    Case("reports-aggregates", READERS_HTML, kwargs=setup, queries=5),
    Case("reports-aggregates", READERS_HTML, kwargs=setup, data=_query, note="a chosen table", queries=5),
    Case("reports-aggregates", BAD_HTML, kwargs=setup, data=_reversed, note="a reversed period: form error", queries=0),
    # The dataset: who, signatures, the months frozen, one grouped statement for each of its 23 tables, the audit
    # event: fixed by the tables, not by the data.
    Case("reports-dataset-csv", READERS_HTML, kwargs=setup, data=_year, queries=27),
    Case("reports-dataset-json", READERS_HTML, kwargs=setup, data=_year, queries=27),
    Case("api-reports-aggregate", table(403, **API_READERS), kwargs=setup, data=_query, queries=5),
    Case(
        "api-reports-aggregate",
        table(403, **{**dict.fromkeys(AGGREGATE_READERS, 400), "children_token": 403}),
        kwargs=setup,
        data=_reversed,
        note="a reversed period: 400 naming month_to",
    ),
    Case("api-reports-dataset", table(403, **API_READERS), kwargs=setup, data=_year, queries=27),
]
