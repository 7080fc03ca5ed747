"""The partnership registers through the API (issue 15; Southampton 13): GET /api/v1/registers/<name>/ for each of
signatories, reviews, breaches and disputes, a page of rows at a time. For partnership admins and auditors (an agency's
auditor their agency's signatory rows and the breaches and disputes it is party to); anyone else, API tokens included,
403 naming the rule. An unknown or repeated parameter is a 400 naming it. The CSVs of the same registers are
/registers/<name>.csv and /registers/export.zip."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.urls import URLPattern, path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from breaches.api.register import CentralRegisterRowOut, row_out
from isp_portal.api import parse_input
from reports import registers as selectors
from reports.registers_policy import PARTNERSHIP_REGISTERS


class RegisterQuery(serializers.Serializer):
    page = serializers.IntegerField(required=False, min_value=1, max_value=selectors.MAX_PAGE)


class RegistersSignatoryRowOut(serializers.Serializer):
    agency = serializers.IntegerField()
    agency_name = serializers.CharField()
    agency_status = serializers.CharField(help_text="active, suspended or left")
    protocol = serializers.IntegerField()
    protocol_title = serializers.CharField()
    version_in_force = serializers.IntegerField()
    signed_version = serializers.IntegerField(allow_null=True, help_text="The newest version it signed (null: none)")
    signed_at = serializers.DateTimeField(allow_null=True)
    signatory_name = serializers.CharField(allow_blank=True)
    signatory_title = serializers.CharField(allow_blank=True)
    withdrawn_at = serializers.DateTimeField(allow_null=True)
    status = serializers.CharField()
    checklist = serializers.CharField(help_text="complete, due for renewal or incomplete (the signatory checklist)")
    ico_registration_number = serializers.CharField(allow_blank=True)
    ico_registration_expires_on = serializers.DateField(allow_null=True)
    ico_status = serializers.CharField(help_text="valid, expiring, lapsed or missing")
    complete = serializers.BooleanField(help_text="Signed the version in force and the signatory checklist is complete")


class RegistersReviewRowOut(serializers.Serializer):
    protocol = serializers.IntegerField()
    protocol_title = serializers.CharField()
    protocol_status = serializers.CharField()
    last_review = serializers.IntegerField(allow_null=True)
    last_review_number = serializers.IntegerField(allow_null=True)
    last_completed_on = serializers.DateField(allow_null=True)
    outcome = serializers.CharField()
    next_review = serializers.IntegerField(allow_null=True)
    next_review_number = serializers.IntegerField(allow_null=True)
    next_due_on = serializers.DateField(allow_null=True)
    overdue = serializers.BooleanField()
    reminder = serializers.CharField(allow_blank=True, help_text="3 months, 1 month, 1 week, overdue or empty")
    open_actions = serializers.IntegerField()
    overdue_actions = serializers.IntegerField()


def _page_fields(rows: serializers.Serializer) -> dict[str, Any]:
    return {
        "register": serializers.CharField(),
        "count": serializers.IntegerField(help_text="Rows in the whole register"),
        "page": serializers.IntegerField(),
        "page_size": serializers.IntegerField(),
        "has_next": serializers.BooleanField(),
        "rows": rows,
    }


SignatoriesOut = type(
    "SignatoriesRegisterOut", (serializers.Serializer,), _page_fields(RegistersSignatoryRowOut(many=True))
)
ReviewsOut = type("ReviewsRegisterOut", (serializers.Serializer,), _page_fields(RegistersReviewRowOut(many=True)))
CentralHalfOut = type(
    "CentralRegisterHalfOut", (serializers.Serializer,), _page_fields(CentralRegisterRowOut(many=True))
)


def signatory_out(row: selectors.SignatoryRow) -> dict[str, Any]:
    return {
        "agency": row.agency_id, "agency_name": row.agency, "agency_status": row.agency_status,
        "protocol": row.protocol_id, "protocol_title": row.protocol, "version_in_force": row.version_in_force,
        "signed_version": row.signed_version, "signed_at": row.signed_at, "signatory_name": row.signatory_name,
        "signatory_title": row.signatory_title, "withdrawn_at": row.withdrawn_at, "status": str(row.status),
        "checklist": row.checklist, "ico_registration_number": row.ico_number,
        "ico_registration_expires_on": row.ico_expires_on, "ico_status": row.ico_status, "complete": row.complete,
    }  # fmt: skip


def review_out(row: selectors.ReviewRow) -> dict[str, Any]:
    return {
        "protocol": row.protocol_id, "protocol_title": row.protocol, "protocol_status": row.protocol_status,
        "last_review": row.last_review_id, "last_review_number": row.last_number,
        "last_completed_on": row.last_completed_on, "outcome": row.standing.outcome, "next_review": row.next_review_id,
        "next_review_number": row.next_number, "next_due_on": row.next_due_on, "overdue": row.standing.overdue,
        "reminder": row.standing.reminder, "open_actions": row.open_actions, "overdue_actions": row.overdue_actions,
    }  # fmt: skip


def _paged(register: str, rows: Sequence[Any], page: int, out: Any) -> Response:
    start = (page - 1) * selectors.PAGE_SIZE
    return Response(
        {
            "register": register, "count": len(rows), "page": page, "page_size": selectors.PAGE_SIZE,
            "has_next": len(rows) > start + selectors.PAGE_SIZE,
            "rows": [out(row) for row in rows[start : start + selectors.PAGE_SIZE]],
        }
    )  # fmt: skip


_DESCRIPTION = (
    f"{selectors.PAGE_SIZE} rows a page (pages 1 to {selectors.MAX_PAGE}). No child and no free text. The same rows as "
    "CSV: /registers/{name}.csv."
)


class SignatoriesView(APIView):
    """The signatories register."""

    policy_resource = PARTNERSHIP_REGISTERS

    @extend_schema(
        summary="The signatories register",
        description="Each agency against each protocol in force, by agency then protocol: the version it signed, when, "
        "the signatory, its signatory checklist and its ICO registration. " + _DESCRIPTION,
        parameters=[RegisterQuery],
        responses={200: SignatoriesOut},
    )
    def get(self, request: Request) -> Response:
        page = parse_input(RegisterQuery, request.query_params, request, known_only=True).get("page") or 1
        return _paged("signatories", selectors.signatory_rows(request.user), page, signatory_out)


class ReviewsView(APIView):
    """The reviews register."""

    policy_resource = PARTNERSHIP_REGISTERS

    @extend_schema(
        summary="The reviews register",
        description="Each protocol that has had a version in force, by title: its last completed review and the "
        "outcome in dates, its next review and whether it is overdue, and the open actions of its implementation "
        "plans. " + _DESCRIPTION,
        parameters=[RegisterQuery],
        responses={200: ReviewsOut},
    )
    def get(self, request: Request) -> Response:
        page = parse_input(RegisterQuery, request.query_params, request, known_only=True).get("page") or 1
        return _paged("reviews", selectors.review_rows(request.user), page, review_out)


class _CentralHalfView(APIView):
    policy_resource = PARTNERSHIP_REGISTERS
    register = ""

    def get(self, request: Request) -> Response:
        page = parse_input(RegisterQuery, request.query_params, request, known_only=True).get("page") or 1
        found = selectors.central_page(request.user, self.register, page)
        return Response(
            {
                "register": self.register,
                "count": found.breaches if self.register == "breaches" else found.disputes,
                "page": found.page,
                "page_size": selectors.PAGE_SIZE,
                "has_next": found.has_next,
                "rows": [row_out(row) for row in found.rows],
            }
        )


_CENTRAL = (
    " recorded in the last 12 months, newest first: the central register's half (its filters are at "
    "/api/v1/register/). " + _DESCRIPTION
)


class BreachesView(_CentralHalfView):
    """The breaches register."""

    register = "breaches"

    @extend_schema(
        summary="The breaches register", description="The breaches" + _CENTRAL, parameters=[RegisterQuery],
        responses={200: CentralHalfOut},
    )  # fmt: skip
    def get(self, request: Request) -> Response:
        return super().get(request)


class DisputesView(_CentralHalfView):
    """The disputes register."""

    register = "disputes"

    @extend_schema(
        summary="The disputes register", description="The disputes" + _CENTRAL, parameters=[RegisterQuery],
        responses={200: CentralHalfOut},
    )  # fmt: skip
    def get(self, request: Request) -> Response:
        return super().get(request)


urlpatterns: list[URLPattern] = [
    path("registers/signatories/", SignatoriesView.as_view(), name="api-registers-signatories"),
    path("registers/reviews/", ReviewsView.as_view(), name="api-registers-reviews"),
    path("registers/breaches/", BreachesView.as_view(), name="api-registers-breaches"),
    path("registers/disputes/", DisputesView.as_view(), name="api-registers-disputes"),
]
