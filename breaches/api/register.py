"""The central register of breaches and disputes through the API (issue 14; Southampton 13): a page of rows with the
counts by agency and by month. For partnership admins (all of it) and auditors (a partnership auditor all of it, an
agency's auditor their agency's rows); anyone else 403 naming the rule. An unknown or repeated parameter is a 400
naming it (parse_input known_only): the register never widens past what was asked. The CSV of the same rows is
/breaches/register/export.csv."""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, path
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from breaches import register_selectors as selectors
from breaches.register_policy import CENTRAL_REGISTER
from isp_portal.api import parse_input


class MonthField(serializers.CharField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=7, required=False, help_text="A month, YYYY-MM", **kwargs)

    def to_internal_value(self, data: Any) -> Any:
        try:
            return selectors.parse_month(super().to_internal_value(data))
        except ValueError as error:
            raise serializers.ValidationError(str(error)) from None


class CentralRegisterQuery(serializers.Serializer):
    kind = serializers.ChoiceField(choices=list(selectors.KINDS), required=False, help_text="breach or dispute")
    agency = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1, help_text="Either side")
    status = serializers.ChoiceField(choices=list(selectors.STATUSES), required=False, help_text="open or closed")
    month_from = MonthField()
    month_to = MonthField()
    personal_data = serializers.BooleanField(required=False, default=False, help_text="Personal-data breaches only")
    page = serializers.IntegerField(required=False, min_value=1, max_value=selectors.MAX_PAGE)


class CentralRegisterRowOut(serializers.Serializer):
    reference = serializers.CharField()
    kind = serializers.ChoiceField(choices=list(selectors.KINDS))
    id = serializers.IntegerField()
    agency = serializers.IntegerField(help_text="Alleged in breach, or raising the dispute")
    agency_name = serializers.CharField()
    other_agency = serializers.IntegerField(
        allow_null=True, help_text="Reporting the breach (null: the partnership), or holding the information"
    )
    other_agency_name = serializers.CharField()
    recorded_at = serializers.DateTimeField()
    state = serializers.CharField(help_text="Open or Closed (a breach); Stage 1, Stage 2, Resolved or Withdrawn")
    open = serializers.BooleanField()
    personal_data = serializers.BooleanField()


class CentralRegisterAgencyCountOut(serializers.Serializer):
    agency = serializers.IntegerField()
    name = serializers.CharField()
    breaches = serializers.IntegerField(help_text="Alleged against it")
    disputes = serializers.IntegerField(help_text="It was party to")


class CentralRegisterMonthCountOut(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")
    breaches = serializers.IntegerField()
    disputes = serializers.IntegerField()


class CentralRegisterOut(serializers.Serializer):
    month_from = serializers.CharField()
    month_to = serializers.CharField()
    breaches = serializers.IntegerField()
    disputes = serializers.IntegerField()
    by_agency = CentralRegisterAgencyCountOut(many=True)
    by_month = CentralRegisterMonthCountOut(many=True)
    rows = CentralRegisterRowOut(many=True)
    page = serializers.IntegerField()
    has_next = serializers.BooleanField()


def row_out(row: selectors.RegisterEntry) -> dict[str, Any]:
    return {
        "reference": row.reference, "kind": row.kind, "id": row.pk, "agency": row.agency_id, "agency_name": row.agency,
        "other_agency": row.other_agency_id, "other_agency_name": row.other_agency, "recorded_at": row.recorded_at,
        "state": row.state_label, "open": not row.closed, "personal_data": row.personal_data,
    }  # fmt: skip


class RegisterView(APIView):
    """The central register of breaches and disputes."""

    policy_resource = CENTRAL_REGISTER

    @extend_schema(
        summary="The central register of breaches and disputes",
        description=f"{selectors.PAGE_SIZE} rows a page, newest first (pages 1 to {selectors.MAX_PAGE}), with the "
        f"counts of every filtered row by agency and by month. The months are the last {selectors.DEFAULT_MONTHS} "
        f"unless chosen, at most {selectors.MAX_MONTHS}. No child and no free text.",
        parameters=[CentralRegisterQuery],
        responses={
            200: CentralRegisterOut,
        },
    )
    def get(self, request: Request) -> Response:
        values = parse_input(CentralRegisterQuery, request.query_params, request, known_only=True)
        try:
            filters = selectors.filters_of(values)
        except ValueError as error:
            field, words = str(error).split(": ", 1)
            raise exceptions.ValidationError({field: [words]}) from None
        page = selectors.central_register(request.user, filters)
        return Response(
            {
                "month_from": filters.month_from.isoformat()[:7],
                "month_to": filters.month_to.isoformat()[:7],
                "breaches": page.breaches,
                "disputes": page.disputes,
                "by_agency": [
                    {"agency": c.agency_id, "name": c.agency, "breaches": c.breaches, "disputes": c.disputes}
                    for c in page.by_agency
                ],
                "by_month": [
                    {"month": m.month.isoformat()[:7], "breaches": m.breaches, "disputes": m.disputes}
                    for m in page.by_month
                ],
                "rows": [row_out(row) for row in page.rows],
                "page": page.page,
                "has_next": page.has_next,
            }
        )


urlpatterns: list[URLPattern] = [path("register/", RegisterView.as_view(), name="api-register")]
