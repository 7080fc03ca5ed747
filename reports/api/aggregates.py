"""The aggregate reports and the annual needs-assessment dataset through the API (issue 15; DESIGN 2.3 aggregate
tier): a table as JSON with every count not shown as null and `suppressed` saying some are, and the dataset as JSON.
Thin: the selectors read, suppress, perturb and record each read. For members of active signatory agencies and
auditors (reports.policy.REPORTS); anyone else 403. Bad input (an unknown measure or dimension, a reversed or
unaligned period, an unknown parameter) is a 400 naming the field."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.urls import URLPattern, path
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from isp_portal.api import parse_input
from reports.aggregates import selectors
from reports.aggregates.rules import DIMENSION_LABELS, MAX_MONTHS, MEASURE_LABELS, Dimension, Measure
from reports.policy import REPORTS

_MEASURES = "One of: " + ", ".join(f"`{m.value}` ({label})" for m, label in MEASURE_LABELS.items())
_DIMENSIONS = "One of: " + ", ".join(f"`{d.value}` ({label})" for d, label in DIMENSION_LABELS.items())


class MonthField(serializers.CharField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Any:
        text = super().to_internal_value(data)
        try:
            if len(text) != 7 or text[4] != "-":
                raise ValueError
            year, month = int(text[:4]), int(text[5:7])
            return date(year, month, 1)
        except ValueError:
            raise serializers.ValidationError("Give a month as YYYY-MM.") from None


class AggregateReportIn(serializers.Serializer[Any]):
    measure = serializers.ChoiceField(choices=[m.value for m in Measure], help_text=_MEASURES)
    rows = serializers.ChoiceField(choices=[d.value for d in Dimension], help_text=_DIMENSIONS)
    columns = serializers.ChoiceField(
        choices=[d.value for d in Dimension], help_text=_DIMENSIONS + ". Not the same as `rows`."
    )
    month_from = MonthField(help_text="The first month, YYYY-MM: an April (the start of a financial year).")
    month_to = MonthField(
        help_text=f"The last month, YYYY-MM: a whole month that has ended, at most {MAX_MONTHS} months on."
    )


class KeyOut(serializers.Serializer[Any]):
    key = serializers.CharField(help_text="The value counted: a month, an agency id, an area code, a band or a code.")
    name = serializers.CharField(help_text="What the key stands for, in words.")


class RowOut(serializers.Serializer[Any]):
    key = serializers.CharField()
    name = serializers.CharField()
    counts = serializers.ListField(
        child=serializers.IntegerField(allow_null=True),
        help_text="The count for each column, in the order of `column_keys`; null where it is not shown.",
    )
    total = serializers.IntegerField(allow_null=True)


class AggregateReportOut(serializers.Serializer[Any]):
    measure = serializers.CharField()
    rows = serializers.CharField()
    columns = serializers.CharField()
    month_from = serializers.CharField()
    month_to = serializers.CharField()
    threshold = serializers.IntegerField(help_text="Counts from 1 to this number, totals included, are not shown.")
    column_keys = KeyOut(many=True)
    table_rows = RowOut(many=True)
    column_totals = serializers.ListField(child=serializers.IntegerField(allow_null=True))
    grand_total = serializers.IntegerField(allow_null=True)
    suppressed = serializers.BooleanField(help_text="True when some count (null) is not shown.")
    withheld = serializers.BooleanField(help_text="True when no count at all could be shown safely.")
    perturbed = serializers.BooleanField(
        help_text="True: every count shown, totals included, is changed by at most `noise_bound`, the same every time."
    )
    noise_bound = serializers.IntegerField()
    as_at = serializers.DateTimeField()


class DatasetIn(serializers.Serializer[Any]):
    year = serializers.IntegerField(
        min_value=2000, max_value=2098, help_text="The year the financial year begins in (2025 for 2025-26)."
    )


class DatasetOut(serializers.Serializer[Any]):
    title = serializers.CharField()
    period = serializers.DictField(child=serializers.CharField(), help_text="`from` and `to`, YYYY-MM.")
    complete_year = serializers.BooleanField()
    threshold = serializers.IntegerField()
    noise_bound = serializers.IntegerField()
    method = serializers.CharField()
    as_at = serializers.DateTimeField()
    measures = serializers.DictField(child=serializers.CharField(), help_text="What each measure counts.")
    tables = AggregateReportOut(many=True)


class AggregateReportView(APIView):
    """One aggregate report: a measure by two dimensions over whole months from an April, suppressed and perturbed."""

    policy_resource = REPORTS

    @extend_schema(
        summary="An aggregate report",
        description="Counts of `measure` by `rows` and `columns` over the whole months `month_from` (an April) to "
        "`month_to`. Counts from 1 to the threshold, and enough others that none can be worked out, are null; "
        "every count shown is perturbed slightly. Each read is recorded. Refused with 400 by field: an unknown "
        "measure or dimension, a dimension the measure has not, the same dimension twice, a period reversed, not "
        "from an April, not yet ended or too long.",
        parameters=[AggregateReportIn],
        responses={200: AggregateReportOut},
        operation_id="aggregate_report",
    )
    def get(self, request: Request) -> Response:
        values = parse_input(AggregateReportIn, request.query_params, request, known_only=True)
        try:
            report = selectors.aggregate_report(
                actor=request.user,
                measure=Measure(values["measure"]),
                rows=Dimension(values["rows"]),
                columns=Dimension(values["columns"]),
                first=values["month_from"],
                last=values["month_to"],
            )
        except selectors.ReportInputError as error:
            found: dict[str, list[str]] = {}
            for field, message in error.problems:
                found.setdefault(field, []).append(message)
            raise exceptions.ValidationError(found) from None
        return Response(AggregateReportOut(selectors.table_json(report)).data)


class DatasetView(APIView):
    """The annual needs-assessment dataset (Haringey 14) for one financial year."""

    policy_resource = REPORTS

    @extend_schema(
        summary="The annual needs-assessment dataset",
        description="Every table of the aggregate reports for the financial year beginning in April of `year` (its "
        "whole months that have ended), with its metadata: period, threshold, method, as at. Recorded. Refused "
        "with 400 when no month of the year has ended.",
        parameters=[DatasetIn],
        responses={200: DatasetOut},
        operation_id="needs_assessment_dataset",
    )
    def get(self, request: Request) -> Response:
        values = parse_input(DatasetIn, request.query_params, request, known_only=True)
        try:
            dataset = selectors.needs_assessment_dataset(actor=request.user, year=values["year"])
        except selectors.DatasetYearError as error:
            raise exceptions.ValidationError({"year": [str(error)]}) from None
        return Response(DatasetOut(selectors.dataset_json(dataset)).data)


urlpatterns: list[URLPattern] = [
    path("reports/aggregates/", AggregateReportView.as_view(), name="api-reports-aggregate"),
    path("reports/aggregates/dataset/", DatasetView.as_view(), name="api-reports-dataset"),
]
