"""A child's access history and a record's change history through the API (issue 15), with the pages' policy
(oversight.history_policy) and reads (oversight.history_selectors), each audited. An unknown or repeated parameter is a
400 naming it; a changed or expired cursor is a 400 on `cursor`."""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, path
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from isp_portal import bounds, policy
from isp_portal.api import parse_input
from oversight import history_rules as rules
from oversight import history_selectors as selectors
from sharing.models import Child

GROUPS = [str(group) for group in rules.KindGroup]


class AccessHistoryQuery(serializers.Serializer):
    occurred_from = serializers.DateField(required=False, help_text="The first day (UK), YYYY-MM-DD")
    occurred_to = serializers.DateField(required=False, help_text="The last day (UK), inclusive")
    group = serializers.ChoiceField(choices=GROUPS, required=False, help_text="views, searches, disclosures, …")
    cursor = serializers.CharField(required=False, max_length=400, help_text="`next_cursor` of the previous page")


class AccessHistoryRowOut(serializers.Serializer):
    origin = serializers.ChoiceField(
        choices=["event", "disclosure"], help_text="The access events or the disclosure log"
    )
    id = serializers.IntegerField(help_text="The access event's or the disclosure-log row's id")
    occurred_at = serializers.DateTimeField()
    group = serializers.ChoiceField(choices=GROUPS)
    kind = serializers.CharField(help_text="The event's kind, or the disclosure-log row's")
    what = serializers.CharField()
    search_hit = serializers.BooleanField(help_text="A search that returned the child")
    actor = serializers.CharField()
    agency = serializers.CharField()
    role = serializers.CharField()
    purpose = serializers.CharField()
    outcome = serializers.CharField()
    child_id = serializers.IntegerField(help_text="The child it was recorded on (a merged duplicate's id, or 0)")
    legal_basis = serializers.CharField()
    from_agency = serializers.CharField()
    to_agency = serializers.CharField()
    disclosure_id = serializers.IntegerField(allow_null=True)
    parent_disclosure_id = serializers.IntegerField(allow_null=True, help_text="An onward disclosure's parent")


class AccessHistoryOut(serializers.Serializer):
    child_id = serializers.IntegerField()
    merged_ids = serializers.ListField(child=serializers.IntegerField(), help_text="Duplicates merged into it")
    whole_history = serializers.BooleanField(help_text="False: only the reader's agency's part")
    rows = AccessHistoryRowOut(many=True)
    next_cursor = serializers.CharField(allow_null=True)


def _row_out(row: selectors.HistoryRow) -> dict[str, Any]:
    return {
        "origin": row.source, "id": row.id, "occurred_at": row.occurred_at, "group": str(row.group),
        "kind": row.kind, "what": row.what, "search_hit": row.hit, "actor": row.actor_label,
        "agency": row.agency_label, "role": row.role, "purpose": row.purpose, "outcome": row.outcome,
        "child_id": row.child_id, "legal_basis": row.legal_basis, "from_agency": row.from_agency,
        "to_agency": row.to_agency, "disclosure_id": row.disclosure_id,
        "parent_disclosure_id": row.parent_disclosure_id,
    }  # fmt: skip


class AccessHistoryView(APIView):
    """A child's access history."""

    # Access is decided per child by oversight.history_policy (404 out of reach, 403 not the reader's).
    policy_model = Child

    @extend_schema(
        summary="A child's access history",
        description=f"Every view, search hit, disclosure, onward disclosure and correction of the child (and of the "
        f"duplicates merged into it), newest first, {selectors.PAGE_SIZE} a page: pass `next_cursor` as `cursor` "
        "for the next. Who, when, what, why and the outcome; never content. Auditors, Caldicott guardians and data "
        "protection officers (an agency's: its part), and the designated managers of the agencies holding records "
        "on the child. A merged duplicate's id answers with the child it was merged into.",
        parameters=[AccessHistoryQuery],
        responses={200: AccessHistoryOut},
    )
    def get(self, request: Request, pk: int) -> Response:
        values = parse_input(AccessHistoryQuery, request.query_params, request, known_only=True)
        history_filter = selectors.HistoryFilter(
            occurred_from=values.get("occurred_from"),
            occurred_to=values.get("occurred_to"),
            group=rules.KindGroup(values["group"]) if values.get("group") else None,
            cursor=values.get("cursor"),
        )
        child = selectors.history_child(pk)
        child_id = child.merged_into_id if child is not None and child.merged_into_id is not None else pk
        try:
            page = selectors.access_history(reader=request.user, child_id=child_id, history_filter=history_filter)
        except selectors.HistoryError as error:
            raise exceptions.ValidationError({error.field: [error.message]}) from None
        return Response(
            {
                "child_id": page.child_id,
                "merged_ids": list(page.merged_ids),
                "whole_history": page.reader.scope is None,
                "rows": [_row_out(row) for row in page.rows],
                "next_cursor": page.next_cursor,
            }
        )


class ChangeHistoryQuery(serializers.Serializer):
    model = serializers.CharField(max_length=100, help_text="The record's kind, as app.model: agencies.agency")
    id = serializers.IntegerField(min_value=1, max_value=bounds.ID_MAX, help_text="The record's id")


class FieldChangeOut(serializers.Serializer):
    field = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    hidden = serializers.BooleanField(help_text="True: free text or a secret, its values not shown")
    before = serializers.CharField(allow_null=True)
    after = serializers.CharField(allow_null=True)


class ChangeEntryOut(serializers.Serializer):
    occurred_at = serializers.DateTimeField()
    actor = serializers.CharField()
    action = serializers.CharField()
    changes = FieldChangeOut(many=True)


class ChangeHistoryOut(serializers.Serializer):
    model = serializers.CharField()
    id = serializers.IntegerField()
    record = serializers.CharField()
    entries = ChangeEntryOut(many=True)
    more = serializers.BooleanField(help_text=f"Only the newest {selectors.CHANGES_SHOWN} are given")


class ChangeHistoryView(APIView):
    """A record's change history."""

    # Decided per record by oversight.history_policy: the record's own view scope (404), then admins and auditors.
    policy_model = Child

    @extend_schema(
        summary="A record's change history",
        description="The django-auditlog changes of one record of a kind the portal keeps a change history of, "
        "newest first: when, who, and each field from and to (free text and secrets: changed, without values). "
        "Partnership admins and auditors: every record; an agency's admins and auditors: its own records.",
        parameters=[ChangeHistoryQuery],
        responses={200: ChangeHistoryOut},
    )
    def get(self, request: Request) -> Response:
        values = parse_input(ChangeHistoryQuery, request.query_params, request, known_only=True)
        model = selectors.registered_models().get(values["model"])
        if model is None:
            raise exceptions.ValidationError({"model": ["No change history is kept for this kind of record."]})
        found = policy.found_or_deny(
            request.user, model, model._default_manager.filter(pk=values["id"]).first(), target_id=values["id"]
        )
        history = selectors.change_history(reader=request.user, obj=found)
        return Response(
            {
                "model": history.label,
                "id": history.pk,
                "record": history.record,
                "entries": [
                    {
                        "occurred_at": entry.occurred_at,
                        "actor": entry.actor,
                        "action": entry.action,
                        "changes": [
                            {
                                "field": c.field,
                                "label": c.label,
                                "hidden": c.hidden,
                                "before": None if c.hidden else c.before,
                                "after": None if c.hidden else c.after,
                            }
                            for c in entry.changes
                        ],
                    }
                    for entry in history.entries
                ],
                "more": history.more,
            }
        )


urlpatterns: list[URLPattern] = [
    path("children/<int:pk>/access-history/", AccessHistoryView.as_view(), name="api-child-access-history"),
    path("change-history/", ChangeHistoryView.as_view(), name="api-change-history"),
]
