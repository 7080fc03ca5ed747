"""The auditors' search of the audit trail through the API (issue 15; DESIGN 2.6): GET /api/v1/audit/events/ and
/api/v1/audit/disclosures/, with the filters of the pages, named as oversight.filters.TrailFilter's fields, and a signed
cursor (`after`) to the next, older page, given whole in `next`. For those the policy lets read the audit trail, each in
their part of it; anyone else 403 naming the rule. An unknown or repeated parameter, a bad value, a reversed or too long
range, or a damaged cursor is a 400 naming the parameter; an agency's reader naming another agency is a 403 naming the
rule, audited as a denial. Each search is an audit event (audit.search) with its filters and row count."""

from __future__ import annotations

from typing import ClassVar

from django.urls import URLPattern, path
from django.utils.http import urlencode
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.models import LogKind, Outcome
from disclosures.models import LegalBasis
from isp_portal.api import parse_input
from isp_portal.api_input import EraDateField, id_filter
from isp_portal.audit_panel import AUDIT_TRAIL
from oversight.filters import KIND_MAX, MAX_RANGE_DAYS, FilterError, Source, TrailFilter, filter_problems
from oversight.forms import LOG_OUTCOME, LOG_OUTCOME_MAX
from oversight.selectors import search as selectors


class AuditTrailQuery(serializers.Serializer):
    occurred_from = EraDateField(required=False, help_text="The first day (UK), YYYY-MM-DD")
    occurred_to = EraDateField(
        required=False, help_text=f"The last day (UK), included; at most {MAX_RANGE_DAYS} days from the first"
    )
    agency_id = id_filter(required=False, help_text="An agency of your part of the trail")
    user_id = id_filter(required=False)
    child_id = id_filter(required=False)
    after = serializers.CharField(
        required=False, max_length=selectors.CURSOR_MAX, help_text="The cursor of the next page, as `next` gives it"
    )


class AuditEventQuery(AuditTrailQuery):
    action = serializers.CharField(
        required=False, max_length=KIND_MAX, help_text="An event's kind, or a prefix of it ending in a dot"
    )
    outcome = serializers.ChoiceField(choices=Outcome.choices, required=False)


class DisclosureLogQuery(AuditTrailQuery):
    action = serializers.ChoiceField(choices=LogKind.choices, required=False, help_text="What happened")
    legal_basis = serializers.ChoiceField(choices=LegalBasis.choices, required=False)
    outcome = serializers.RegexField(LOG_OUTCOME, max_length=LOG_OUTCOME_MAX, required=False)


class AuditEventOut(serializers.Serializer):
    id = serializers.IntegerField()
    occurred_at = serializers.DateTimeField()
    kind = serializers.CharField()
    outcome = serializers.CharField()
    actor_id = serializers.IntegerField(allow_null=True)
    actor_label = serializers.CharField()
    actor_agency_id = serializers.IntegerField(allow_null=True)
    actor_agency_label = serializers.CharField()
    actor_role = serializers.CharField()
    object_type = serializers.CharField()
    object_id = serializers.CharField()
    object_label = serializers.CharField()
    child_id = serializers.IntegerField(allow_null=True)
    purpose = serializers.CharField()
    ip = serializers.CharField(allow_null=True)
    request_id = serializers.CharField(allow_null=True)
    summary = serializers.DictField(help_text="A few plain values of the event's detail (counts, tiers, states)")


class LogEntryRevisionOut(serializers.Serializer):
    entry_id = serializers.IntegerField()
    revision = serializers.IntegerField()


class DisclosureLogRowOut(serializers.Serializer):
    id = serializers.IntegerField()
    occurred_at = serializers.DateTimeField()
    kind = serializers.CharField()
    outcome = serializers.CharField()
    actor_id = serializers.IntegerField(allow_null=True)
    actor_label = serializers.CharField()
    disclosure_id = serializers.IntegerField()
    disclosure_kind = serializers.CharField()
    child_id = serializers.IntegerField()
    from_agency_id = serializers.IntegerField()
    from_agency_label = serializers.CharField()
    discloser_id = serializers.IntegerField()
    discloser_label = serializers.CharField()
    discloser_role = serializers.CharField()
    approver_id = serializers.IntegerField(allow_null=True)
    approver_label = serializers.CharField()
    requester_id = serializers.IntegerField()
    requester_label = serializers.CharField()
    to_agency_id = serializers.IntegerField()
    to_agency_label = serializers.CharField()
    recipients = serializers.ListField(child=serializers.DictField())
    tiers = serializers.ListField(child=serializers.CharField())
    categories = serializers.ListField(child=serializers.CharField())
    entries = LogEntryRevisionOut(many=True)
    purpose = serializers.CharField()
    legal_basis = serializers.CharField()
    s29_form_reference = serializers.CharField()
    consent_basis = serializers.CharField()
    subject_told = serializers.CharField()
    retain_until = serializers.DateTimeField()
    protocol_version_id = serializers.IntegerField()
    protocol_version_label = serializers.CharField()
    snapshot_sha256 = serializers.CharField()
    made_at = serializers.DateTimeField()
    parent_disclosure_id = serializers.IntegerField(allow_null=True)


class AuditEventPageOut(serializers.Serializer):
    results = AuditEventOut(many=True)
    next = serializers.URLField(allow_null=True, help_text="The next (older) page; null on the last")


class DisclosureLogPageOut(serializers.Serializer):
    results = DisclosureLogRowOut(many=True)
    next = serializers.URLField(allow_null=True, help_text="The next (older) page; null on the last")


def _field_error(problem: FilterError) -> exceptions.ValidationError:
    return exceptions.ValidationError({problem.field: [problem.message]})


class TrailSearchView(APIView):
    policy_resource = AUDIT_TRAIL
    source: ClassVar[Source]
    query: ClassVar[type[AuditTrailQuery]]

    def search(self, request: Request) -> Response:
        values = parse_input(self.query, request.query_params, request, known_only=True)
        token = values.pop("after", None)
        trail_filter = TrailFilter(**values)
        user = request.user
        scope = selectors.reader_scope(user)
        selectors.require_in_scope(user, trail_filter, scope)
        problems = filter_problems(trail_filter, source=self.source)
        if problems:
            raise _field_error(problems[0])
        try:
            after = selectors.cursor_read(self.source, token) if token else None
        except FilterError as problem:
            raise _field_error(problem) from None
        page = selectors.trail_search(user, trail_filter, source=self.source, scope=scope, after=after)
        next_url = None
        if page.next_cursor:
            query: dict[str, str] = {key: str(value) for key, value in request.query_params.items() if key != "after"}
            next_url = request.build_absolute_uri(f"{request.path}?{urlencode({**query, 'after': page.next_cursor})}")
        return Response({"results": [vars(row) for row in page.rows], "next": next_url})


class EventSearchView(TrailSearchView):
    """Search the access events of the audit trail."""

    source = Source.EVENTS
    query = AuditEventQuery

    @extend_schema(
        summary="Search the access events",
        description=f"{selectors.PAGE_SIZE} events a page, newest first, in your part of the trail. Never the "
        "content of a record: who, when, what, why, outcome and where from.",
        parameters=[AuditEventQuery],
        responses={200: AuditEventPageOut},
    )
    def get(self, request: Request) -> Response:
        return self.search(request)


class DisclosureSearchView(TrailSearchView):
    """Search the disclosure log."""

    source = Source.DISCLOSURES
    query = DisclosureLogQuery

    @extend_schema(
        summary="Search the disclosure log",
        description=f"{selectors.PAGE_SIZE} rows a page, newest first, in your part of the log: who disclosed to "
        "whom, the approver, legal basis, tiers, categories, entry ids and revisions, the snapshot's SHA-256.",
        parameters=[DisclosureLogQuery],
        responses={200: DisclosureLogPageOut},
    )
    def get(self, request: Request) -> Response:
        return self.search(request)


urlpatterns: list[URLPattern] = [
    path("audit/events/", EventSearchView.as_view(), name="api-audit-events"),
    path("audit/disclosures/", DisclosureSearchView.as_view(), name="api-audit-disclosures"),
]
