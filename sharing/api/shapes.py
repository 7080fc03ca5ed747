"""Shapes the children API shares between its subjects: references in request bodies, and the parts of a child's
record (names, addresses, involvements, entries and revisions) as the reader may see them.

Output is built as plain dicts, not serializers, so that what the reader may not see is **absent**, never
`null` (DRF writes `null` for a missing value of a nullable field); the serializers below describe the same
shapes for the OpenAPI schema, every tier-dependent field marked not required.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model, QuerySet
from rest_framework import serializers

from agencies.models import Agency, Membership
from isp_portal import rows
from isp_portal.api import ScopedPrimaryKeyField
from sharing.models import ChildAddress, ChildName, EntryRevision, Involvement, RecordEntry
from sharing.policy import index_agencies
from sharing.selectors import EntryView, RevisionSummary


class ColleagueField(ScopedPrimaryKeyField):
    """A lead professional or key contact: an active membership of one of the agencies the caller uses the
    child index for (sharing.policy.index_agencies). Anyone else's id reads as "does not exist"."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(Membership, **kwargs)

    def get_queryset(self) -> QuerySet[Membership]:
        user = self.context["request"].user
        return Membership.objects.filter(agency_id__in=index_agencies(user), is_active=True)


class ActingAgencyField(ScopedPrimaryKeyField):
    """The agency a caller records for. Any agency of the register to someone who uses the child index (a token
    with the children scopes has no register:read, yet names its own agency): the service then refuses one the
    caller does not practise in with a 403 that says so (sharing.services.children.acting_agency). Nothing to
    anyone else."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(Agency, **kwargs)

    def get_queryset(self) -> QuerySet[Agency]:
        user = self.context["request"].user
        return Agency.objects.all() if index_agencies(user) else Agency.objects.none()

    # Read by id in a statement compiled once per process and judged as get_queryset would (issue 12).
    def read_by_id(self, number: int) -> Agency | None:
        found = _AGENCY.rows(pk=number)
        return found[0] if found else None

    def admits(self, user: Any, found: Model) -> bool:
        return bool(index_agencies(user))


_AGENCY = rows.Compiled("body_agency", lambda pk: Agency.objects.filter(pk=pk), pk=rows.SLOT_ID)


# --- Output builders --------------------------------------------------------------------------------------------


def name_out(name: ChildName) -> dict[str, Any]:
    return {"id": name.pk, "kind": name.kind, "given": name.given, "family": name.family}


def address_out(address: ChildAddress) -> dict[str, Any]:
    return {
        "id": address.pk,
        "address": address.address,
        "postcode": address.postcode,
        "from_on": address.from_on.isoformat(),
        "to_on": address.to_on.isoformat() if address.to_on else None,
    }


def involvement_out(involvement: Involvement) -> dict[str, Any]:
    lead = involvement.lead_professional
    return {
        "id": involvement.pk,
        "child": involvement.child_id,
        "agency": involvement.agency_id,
        "agency_name": involvement.agency.name,
        "service": involvement.service,
        "lead_professional": lead.pk if lead else None,
        "lead_professional_name": lead.user.full_name if lead else None,
        "is_key_contact": involvement.is_key_contact,
        "started_on": involvement.started_on.isoformat(),
        "ended_on": involvement.ended_on.isoformat() if involvement.ended_on else None,
    }


def revision_out(revision: EntryRevision) -> dict[str, Any]:
    return {
        "number": revision.number,
        "fields": revision.fields,
        "text": revision.text,
        "basis": revision.basis,
        "is_restricted": revision.is_restricted,
        "change_reason": revision.change_reason,
        "author": revision.author_id,
        "recorded_at": revision.recorded_at.isoformat(),
    }


def revision_log_out(summary: RevisionSummary) -> dict[str, Any]:
    return {
        "number": summary.number,
        "author": summary.author_id,
        "recorded_at": summary.recorded_at.isoformat(),
        "basis": summary.basis,
    }


def entry_out(view: EntryView) -> dict[str, Any]:
    """An entry at the reader's level: always what is held and by whom; `current` only to those who may read
    its content; `revisions` (every revision's content) only to the originating agency; `revision_log` (who and
    when, no content) only to auditors."""
    entry: RecordEntry = view.entry
    body: dict[str, Any] = {
        "id": entry.pk,
        "child": entry.child_id,
        "category": entry.category,
        "category_label": entry.category_label,
        "agency": entry.agency_id,
        "agency_name": entry.agency.name,
        "is_restricted": entry.is_restricted,
        "revision_count": entry.revision_count,
        "created_at": entry.created_at.isoformat(),
        "updated_at": entry.updated_at.isoformat(),
    }
    if view.revision is not None:
        body["current"] = revision_out(view.revision)
    if view.history:
        body["revisions"] = [revision_out(revision) for revision in view.history]
    if view.summaries:
        body["revision_log"] = [revision_log_out(summary) for summary in view.summaries]
    return body


# --- Schema shapes ----------------------------------------------------------------------------------------------


class NameOut(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField(help_text="`legal`, `previous` or `known_as`")
    given = serializers.CharField(help_text="Given names (may be empty)")
    family = serializers.CharField(help_text="Family name (may be empty)")


class AddressOut(serializers.Serializer):
    id = serializers.IntegerField()
    address = serializers.CharField()
    postcode = serializers.CharField(help_text="Upper case with one space; empty when the address has none")
    from_on = serializers.DateField()
    to_on = serializers.DateField(allow_null=True, help_text="Null while this is the current address")


class InvolvementOut(serializers.Serializer):
    id = serializers.IntegerField()
    child = serializers.IntegerField()
    agency = serializers.IntegerField()
    agency_name = serializers.CharField()
    service = serializers.CharField()
    lead_professional = serializers.IntegerField(allow_null=True, help_text="A membership of the involved agency")
    lead_professional_name = serializers.CharField(allow_null=True)
    is_key_contact = serializers.BooleanField()
    started_on = serializers.DateField()
    ended_on = serializers.DateField(allow_null=True, help_text="Null while the involvement is open")


class RevisionOut(serializers.Serializer):
    number = serializers.IntegerField(help_text="1 for the entry as first recorded; each correction adds one")
    fields = serializers.DictField(help_text="The category's structured fields (dates as YYYY-MM-DD)")  # type: ignore[assignment]  # taken off the class by DRF
    text = serializers.CharField()
    basis = serializers.CharField(help_text="`fact` or `opinion` (professional opinion)")
    is_restricted = serializers.BooleanField()
    change_reason = serializers.CharField(help_text="What the correction changed and why (empty for the first)")
    author = serializers.IntegerField(allow_null=True, help_text="The user who wrote this revision")
    recorded_at = serializers.DateTimeField()


class RevisionLogOut(serializers.Serializer):
    number = serializers.IntegerField()
    author = serializers.IntegerField(allow_null=True)
    recorded_at = serializers.DateTimeField()
    basis = serializers.CharField(help_text="`fact` or `opinion`")


class EntryOut(serializers.Serializer):
    id = serializers.IntegerField()
    child = serializers.IntegerField()
    category = serializers.CharField()
    category_label = serializers.CharField()
    agency = serializers.IntegerField(help_text="The agency that recorded the entry and holds it")
    agency_name = serializers.CharField()
    is_restricted = serializers.BooleanField(
        help_text="Restricted to staff authorised for restricted information; others never see it at all"
    )
    revision_count = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    current = RevisionOut(
        required=False,
        help_text="The latest revision's content. Present only when you may read the content: your agency "
        "recorded it, or it was disclosed to you (a live grant). Absent otherwise.",
    )
    revisions = RevisionOut(
        many=True,
        required=False,
        help_text="Every revision's content, newest first. Present only for the agency that recorded the entry.",
    )
    revision_log = RevisionLogOut(
        many=True,
        required=False,
        help_text="Auditors only: who wrote each revision and when, never its content.",
    )
