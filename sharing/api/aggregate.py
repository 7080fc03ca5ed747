"""The aggregate tier through the API: counts of children by two dimensions, small counts suppressed (DESIGN 2.3,
3.2). Thin: the selector reads, suppresses and records the view; this parses the query and shapes the answer."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from isp_portal.api import parse_input
from sharing.policy import CHILD_AGGREGATE
from sharing.selectors.aggregate import DIMENSION_LABELS, AggregateTable, Dimension, children_aggregate

_DIMENSION_HELP = "One of: " + ", ".join(
    f"`{dimension.value}` ({label})" for dimension, label in DIMENSION_LABELS.items()
)


class AggregateIn(serializers.Serializer[Any]):
    rows = serializers.ChoiceField(choices=[d.value for d in Dimension], help_text=_DIMENSION_HELP)
    columns = serializers.ChoiceField(
        choices=[d.value for d in Dimension], help_text=_DIMENSION_HELP + ". Not the same as `rows`."
    )


class AggregateKeyOut(serializers.Serializer[Any]):
    key = serializers.CharField(help_text="The value counted: an agency id, an area code, a band or a code.")
    name = serializers.CharField(help_text="What the key stands for, in words.")


class AggregateRowOut(serializers.Serializer[Any]):
    key = serializers.CharField(help_text="The value counted: an agency id, an area code, a band or a code.")
    name = serializers.CharField(help_text="What the key stands for, in words.")
    counts = serializers.ListField(
        child=serializers.IntegerField(allow_null=True),
        help_text="The count for each column, in the order of `column_keys`; null where it is not shown.",
    )
    total = serializers.IntegerField(allow_null=True, help_text="The row total; null where it is not shown.")


class AggregateOut(serializers.Serializer[Any]):
    rows = serializers.CharField(help_text="The dimension of the rows.")
    columns = serializers.CharField(help_text="The dimension of the columns.")
    on = serializers.DateField(help_text="The day the counts are of.")
    ages_on = serializers.DateField(
        allow_null=True,
        help_text="For a table by age band, the day the ages are counted on: the age on 31 August of the school "
        "year (the most recent 31 August before the day of the counts), not the day itself, so two days' tables "
        "cannot date a birthday. "
        "Null for other tables.",
    )
    as_at = serializers.DateTimeField(
        help_text="When the counts were taken: once a day, just after midnight, so a change made today is counted "
        "tomorrow and asking again the same day gives the same counts."
    )
    threshold = serializers.IntegerField(help_text="Counts from 1 to this number, totals included, are not shown.")
    column_keys = AggregateKeyOut(many=True)
    table_rows = AggregateRowOut(many=True)
    column_totals = serializers.ListField(child=serializers.IntegerField(allow_null=True))
    grand_total = serializers.IntegerField(allow_null=True)
    withheld = serializers.BooleanField(
        help_text="True when no count of the table can be shown, zeros included: hiding counts inside it could not "
        "keep a hidden total from being worked out. Every count is then null."
    )
    perturbed = serializers.BooleanField(
        help_text="True: every count shown, totals included, has been changed slightly (by at most `noise_bound`, "
        "the same change every time it is asked for), so the counts of a table need not add up to its totals."
    )
    noise_bound = serializers.IntegerField(help_text="The most a count shown differs from the true count.")
    perturbation = serializers.CharField(help_text="Why the counts are changed, in words.")


# The same words as the page's (sharing/templates/sharing/aggregate.html).
PERTURBATION_NOTE = (
    "To protect children's privacy, every count shown, totals included, has been changed slightly, by at most "
    "{bound} either way, as the Office for National Statistics does with census tables. A count always gets the "
    "same change, so asking again does not reveal it, and the counts need not add up to the totals."
)


def aggregate_out(aggregate: AggregateTable) -> dict[str, Any]:
    table = aggregate.table
    return {
        "rows": aggregate.rows.value,
        "columns": aggregate.columns.value,
        "on": aggregate.on,
        "as_at": aggregate.as_at,
        # A table by age band counts ages on the last 31 August, not on its own day (break11e finding 4).
        "ages_on": aggregate.ages_on,
        "threshold": table.threshold,
        "column_keys": [{"key": col, "name": aggregate.column_labels[col]} for col in table.columns],
        "table_rows": [
            {
                "key": row,
                "name": aggregate.row_labels[row],
                "counts": [table.cell(row, col) for col in table.columns],
                "total": table.row_total(row),
            }
            for row in table.rows
        ],
        "column_totals": [table.col_total(col) for col in table.columns],
        "grand_total": table.grand_total,
        "withheld": table.withheld,
        "perturbed": table.perturbed,
        "noise_bound": aggregate.noise_bound,
        "perturbation": PERTURBATION_NOTE.format(bound=aggregate.noise_bound),
    }


class ChildAggregateView(APIView):
    """Counts of the children in the index by two dimensions, for members of active signatory agencies and
    auditors. No child is named; counts from 1 to the threshold are not shown, totals included, further
    counts are hidden so that no hidden count can be worked out from those shown, and every count shown is
    perturbed slightly (the cell-key method: sharing.cell_key). Each read is recorded."""

    policy_resource = CHILD_AGGREGATE

    @extend_schema(
        summary="Count children by two dimensions",
        description="Counts of the children in the index by `rows` and `columns` (agency currently involved, "
        "area, age band, gender, ethnicity). A count not shown is null. With the agency dimension a child with "
        "several agencies involved is counted under each. Every count shown, totals included, is perturbed "
        "slightly (at most `noise_bound` either way, the same each time: `perturbed`). The counts are as at "
        "`as_at`, taken once a day: asking again the same day gives the same table. Refused with 400 by "
        "field: an unknown dimension, or the same dimension for rows and columns.",
        parameters=[AggregateIn],
        responses={200: AggregateOut},
        operation_id="children_aggregate",
    )
    def get(self, request: Request) -> Response:
        values = parse_input(AggregateIn, request.query_params, request)
        if values["rows"] == values["columns"]:
            raise exceptions.ValidationError({"columns": ["Choose a different dimension from `rows`."]})
        aggregate = children_aggregate(
            actor=request.user, rows=Dimension(values["rows"]), columns=Dimension(values["columns"])
        )
        return Response(AggregateOut(aggregate_out(aggregate)).data)
