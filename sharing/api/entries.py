"""Record entries through the API (the detailed and sensitive tier: Haringey 3.9; WYCPS; Barnet recording):
recording one (POST /api/v1/children/{id}/entries/, in sharing.api.children), reading one at the reader's level,
its revisions, and correcting it by a new revision. Every read states its purpose (X-Purpose) and is audited by
sharing.selectors.entry_detail."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from isp_portal import bounds, policy
from isp_portal.api import PolicyViewMixin, parse_input
from sharing import rules, selectors, services
from sharing.api.purpose import PURPOSE_PARAMETER, field_errors, stated_purpose
from sharing.api.shapes import (
    ActingAgencyField,
    EntryOut,
    RevisionLogOut,
    RevisionOut,
    entry_out,
    revision_log_out,
    revision_out,
)
from sharing.models import Basis, RecordEntry
from sharing.policy import EntryAccess, RecordEntryPolicy
from sharing.selectors import EntryView

FIELDS_HELP = (
    "The category's structured fields, by name: contact (contact_type, contact_date, duration_minutes, "
    "people_present), sen_statement (provision, issued_on), support (level), health (topic), legal_status "
    "(status, since), concern (concern), family_relationship (person_name, relationship, concern_indicator), "
    "cp_registration (registered_on, deregistered_on, category), cp_meeting (meeting_type, held_on), "
    "looked_after_history (has_history), schedule_one (indicated); case_note has none. Dates as YYYY-MM-DD. A "
    "field left out, wrong or unknown is refused by name (`fields.contact_date`)."
)


class EntryIn(serializers.Serializer):
    agency = ActingAgencyField(help_text="Your agency, involved with the child")
    category = serializers.ChoiceField(choices=[category.value for category in rules.Category])
    fields = serializers.DictField(default=dict, help_text=FIELDS_HELP)  # type: ignore[assignment]  # taken off the class by DRF
    text = serializers.CharField(max_length=bounds.LONG_TEXT, allow_blank=True, default="")
    basis = serializers.ChoiceField(choices=Basis.choices, help_text="Fact or professional opinion")
    restricted = serializers.BooleanField(
        default=False,
        help_text="Only staff authorised for restricted information may know of it (information about a victim, say)",
    )


class RevisionIn(serializers.Serializer):
    fields = serializers.DictField(default=dict, help_text=FIELDS_HELP)  # type: ignore[assignment]  # taken off the class by DRF
    text = serializers.CharField(max_length=bounds.LONG_TEXT, allow_blank=True, default="")
    basis = serializers.ChoiceField(choices=Basis.choices)
    restricted = serializers.BooleanField(
        required=False,
        help_text="Left out, the entry keeps its restricted mark; false lifts it (staff authorised for restricted "
        "information only); true sets it",
    )
    reason = serializers.CharField(max_length=bounds.REASON, help_text="What this correction changes and why")


class RevisionsOut(serializers.Serializer):
    entry = serializers.IntegerField()
    revisions = RevisionOut(
        many=True,
        required=False,
        help_text="Every revision's content (the recording agency); to someone it was disclosed to, the revision "
        "disclosed",
    )
    revision_log = RevisionLogOut(many=True, required=False, help_text="Auditors: who and when, never content")


def recorded_entry_out(entry: RecordEntry, user: Any) -> dict[str, Any]:
    """An entry just recorded, as its author may now see it: its one revision, unless the entry is restricted
    and the author is not authorised for restricted information (an API token never is), when only what was
    recorded where is said."""
    access = RecordEntryPolicy.access_of(user, entry)
    if access < EntryAccess.HISTORY:
        return entry_out(EntryView(entry=entry, access=access, revision=None))
    revisions = tuple(entry.revisions.order_by("-number"))
    return entry_out(EntryView(entry=entry, access=access, revision=revisions[0], history=revisions))


class EntryViewSet(PolicyViewMixin, viewsets.GenericViewSet[RecordEntry]):
    """Entries about children. Their content is for the agency that recorded them and those it was disclosed
    to; others see only that an entry of a category is held, and by whom; restricted entries only exist for
    staff authorised for restricted information; auditors see the revisions' history without content."""

    policy_model = RecordEntry
    serializer_class = EntryOut

    def base_queryset(self) -> QuerySet[RecordEntry]:
        return RecordEntry.objects.select_related("child", "agency")

    @extend_schema(
        summary="Read an entry",
        description="The entry at your level: its latest content if your agency recorded it, the revision "
        "disclosed to you if it was disclosed to you (not a later correction), every revision for the recording "
        "agency, the revisions' history without content for auditors. Someone who may only know it is held gets a "
        "403 naming the agency to ask; a restricted entry is a 404 to anyone not authorised. Audited with the "
        "purpose.",
        parameters=[PURPOSE_PARAMETER],
        responses=EntryOut,
    )
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        view = selectors.entry_detail(principal=request.user, entry_id=pk, purpose=stated_purpose(request))
        return Response(entry_out(view))

    @extend_schema(
        methods=["GET"],
        summary="An entry's revisions",
        description="Every revision's content for the recording agency (newest first), the latest for others who "
        "may read it, and for auditors who wrote each and when, without content. Audited with the purpose.",
        parameters=[PURPOSE_PARAMETER],
        request=None,
        responses=RevisionsOut,
    )
    @extend_schema(
        methods=["POST"],
        summary="Correct an entry",
        description="The recording agency adds a revision with the reason; earlier revisions are never changed "
        "and stay readable to it and to auditors.",
        request=RevisionIn,
        responses={201: RevisionOut},
    )
    @action(detail=True, methods=["get", "post"])
    def revisions(self, request: Request, pk: str | None = None) -> Response:
        if request.method == "POST":
            entry = policy.get_or_deny(request.user, self.base_queryset(), action="revise", pk=pk)
            values = parse_input(RevisionIn, request.data, request)
            with field_errors():
                revision = services.entry_revise(actor=request.user, entry=entry, **values)
            return Response(revision_out(revision), status=status.HTTP_201_CREATED)
        view = selectors.entry_detail(principal=request.user, entry_id=pk, purpose=stated_purpose(request))
        body: dict[str, Any] = {"entry": view.entry.pk}
        if view.history:
            body["revisions"] = [revision_out(revision) for revision in view.history]
        elif view.revision is not None:
            body["revisions"] = [revision_out(view.revision)]
        if view.summaries:
            body["revision_log"] = [revision_log_out(summary) for summary in view.summaries]
        return Response(body)
