"""The records past the age scope, closed, due for erasure and erased, through the API (Southampton 8, 11), for
partnership admins. Thin: the selector reads and records the view."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from sharing.policy import CHILD_RETENTION
from sharing.selectors.retention import RetentionRow, retention_lists


class RetentionRowOut(serializers.Serializer[Any]):
    child = serializers.IntegerField(help_text="The child's index number.")
    scope_flagged_on = serializers.DateField(
        allow_null=True, help_text="The day the sweep found the child past the protocol's age scope."
    )
    kept_under = serializers.CharField(
        help_text="Why an open record past the scope is kept: `extending_condition` or `consent`; empty otherwise."
    )
    closes_on = serializers.DateField(
        allow_null=True,
        help_text="For an open record past the scope that nothing keeps: the day it is closed unless an extending "
        "condition or the young person's consent is recorded before then; null otherwise.",
    )
    closed_on = serializers.DateField(allow_null=True)
    closed_under = serializers.CharField(
        help_text="The rule the record was closed under: `age_scope`, `extended_age_scope` or `admin`; empty if open."
    )
    erase_due_on = serializers.DateField(
        allow_null=True, help_text="The day the content of a closed record is due for erasure."
    )
    erased_at = serializers.DateTimeField(allow_null=True)


class RetentionOut(serializers.Serializer[Any]):
    on = serializers.DateField(help_text="The day the lists were read for.")
    limit = serializers.IntegerField(help_text="At most this many rows in each list, oldest first.")
    counts = serializers.DictField(child=serializers.IntegerField(), help_text="The full size of each list.")
    flagged = RetentionRowOut(
        many=True, help_text="Open records past the age scope: kept, or closing on their `closes_on` unless kept."
    )
    closed = RetentionRowOut(many=True, help_text="Closed records whose erasure is not yet due.")
    due = RetentionRowOut(many=True, help_text="Closed records due for erasure.")
    erased = RetentionRowOut(many=True, help_text="Records whose content was erased.")


def _row(row: RetentionRow) -> dict[str, Any]:
    return {
        "child": row.child_id,
        "scope_flagged_on": row.scope_flagged_on,
        "kept_under": row.kept_under,
        "closes_on": row.closes_on,
        "closed_on": row.closed_on,
        "closed_under": row.closed_under,
        "erase_due_on": row.erase_due_on,
        "erased_at": row.erased_at,
    }


class ChildRetentionView(APIView):
    """The children past the protocol's age scope and kept, the records closed, those due for erasure and those
    erased: index numbers, dates and rules only. For partnership admins; each read is recorded."""

    policy_resource = CHILD_RETENTION

    @extend_schema(
        summary="Records past the age scope, closed or erased",
        responses={200: RetentionOut},
        operation_id="children_retention",
    )
    def get(self, request: Request) -> Response:
        lists = retention_lists(actor=request.user)
        return Response(
            RetentionOut(
                {
                    "on": lists.on,
                    "limit": lists.limit,
                    "counts": lists.counts,
                    "flagged": [_row(row) for row in lists.flagged],
                    "closed": [_row(row) for row in lists.closed],
                    "due": [_row(row) for row in lists.due],
                    "erased": [_row(row) for row in lists.erased],
                }
            ).data
        )
