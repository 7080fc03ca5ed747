"""Reads of the protocols app, each a fixed number of queries."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.utils import timezone

from agencies.models import Agency, AgencyStatus, ChecklistConfirmation, SignatoryRequirement
from agencies.rules import confirmation_expires_on
from isp_portal import policy
from protocols import rules
from protocols.models import (
    IN_FORCE_STATUSES,
    Consultation,
    ConsultationStatus,
    Protocol,
    ProtocolVersion,
    Review,
    ReviewStatus,
    Signature,
)


def protocols_list(user: Any) -> QuerySet[Protocol]:
    return (
        policy.restrict(user, "view", Protocol)
        .select_related("parent", "current_version")
        .annotate(
            signatories=Count(
                "signatures",
                filter=Q(signatures__withdrawn_at__isnull=True, signatures__version=F("current_version")),
                distinct=True,
            )
        )
        .order_by("title")
    )


def signature_register(protocol: Protocol) -> list[Signature]:
    """Who has signed what, and when: every signature of every version, newest first (one query)."""
    return list(
        Signature.objects.filter(protocol=protocol)
        .select_related("agency", "version", "carried_over_from__version")
        # The register shows names and numbers: no protocol texts, addresses or signers' accounts are read.
        .defer("version__text", "carried_over_from__version__text", "agency__address")
        .order_by("-version__number", "agency__name")
    )


def agency_signatures(agency: Agency) -> list[Signature]:
    """The signatures an agency has given, for its page (one query): each protocol's version in force, and
    any withdrawal. A signature carried over to a newer version is shown once, on the newest."""
    return list(
        Signature.objects.filter(agency=agency)
        .filter(Q(version=F("protocol__current_version")) | Q(withdrawn_at__isnull=False))
        .select_related("protocol", "version")
        .order_by("protocol__title", "-version__number", "-signed_at")[:200]
    )


def protocol_signatory_count(protocol: Protocol) -> int:
    """How many live signatures the version in force has."""
    if protocol.current_version_id is None:
        return 0
    return Signature.objects.filter(
        protocol=protocol, version_id=protocol.current_version_id, withdrawn_at__isnull=True
    ).count()


@dataclass(frozen=True)
class CountPoint:
    month: date
    signatories: int


def signatory_counts(
    protocol: Protocol, *, months: int = 12, today: date | None = None, signatures: list[Signature] | None = None
) -> list[CountPoint]:
    """How many agencies had a live signature on the protocol at the end of each of the last months
    (Buckinghamshire: 28 signatories in March 2008, 35 in March 2009). One query, or none when given the
    protocol's signature register."""
    today = today or timezone.localdate()
    if signatures is not None:
        spans = [(s.agency_id, s.signed_at, s.withdrawn_at) for s in signatures]
    else:
        spans = list(Signature.objects.filter(protocol=protocol).values_list("agency_id", "signed_at", "withdrawn_at"))
    points = []
    for back in range(months - 1, -1, -1):
        month_index = today.year * 12 + today.month - 1 - back
        year, month = divmod(month_index, 12)
        end = date(year, month + 1, 1) + timedelta(days=32)
        end = end.replace(day=1) - timedelta(days=1)
        end = min(end, today)
        live = {
            agency_id
            for agency_id, signed_at, withdrawn_at in spans
            if timezone.localdate(signed_at) <= end and (withdrawn_at is None or timezone.localdate(withdrawn_at) > end)
        }
        points.append(CountPoint(month=end, signatories=len(live)))
    return points


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "same", "added", "removed"
    text: str


def version_diff(old: ProtocolVersion, new: ProtocolVersion) -> tuple[list[DiffLine], list[tuple[str, Any, Any]]]:
    """The text changes line by line, and the rules that changed (field, before, after)."""
    lines = []
    for line in difflib.ndiff(old.text.splitlines(), new.text.splitlines()):
        tag, text = line[:2], line[2:]
        if tag == "? ":
            continue
        lines.append(DiffLine({"  ": "same", "+ ": "added", "- ": "removed"}[tag], text))
    from protocols.services.protocols import VERSION_FIELDS

    changed = [
        (field.replace("_", " "), getattr(old, field), getattr(new, field))
        for field in VERSION_FIELDS
        if getattr(old, field) != getattr(new, field)
    ]
    return lines, changed


@dataclass(frozen=True)
class PartnershipOverview:
    active_protocols: Sequence[Protocol]
    reviews_due: list[Review]
    reviews_overdue: list[Review]
    consultations_open: list[Consultation]
    missing_signatories: dict[str, list[str]]
    withdrawn: list[Signature]
    incomplete_checklists: list[str]


def partnership_overview(today: date | None = None) -> PartnershipOverview:
    """What a partnership admin needs to see at a glance (issue 4's dashboard). Fixed number of queries."""
    today = today or timezone.localdate()
    active = list(
        Protocol.objects.filter(status__in=IN_FORCE_STATUSES, current_version__isnull=False)
        .select_related("current_version")
        .prefetch_related(
            Prefetch("signatures", queryset=Signature.objects.filter(withdrawn_at__isnull=True), to_attr="live")
        )
        .order_by("title")
    )
    agencies = list(Agency.objects.filter(status=AgencyStatus.ACTIVE).order_by("name"))
    missing = {}
    for protocol in active:
        signed = {s.agency_id for s in protocol.live if s.version_id == protocol.current_version_id}
        absent = [agency.name for agency in agencies if agency.pk not in signed]
        if absent:
            missing[protocol.title] = absent
    horizon = today + timedelta(days=rules.REVIEW_REMINDERS[0][1])
    scheduled = list(
        Review.objects.filter(status=ReviewStatus.SCHEDULED, due_on__lte=horizon)
        .select_related("protocol")
        .order_by("due_on")
    )
    withdrawn = list(
        Signature.objects.filter(withdrawn_at__isnull=False, withdrawn_at__gte=timezone.now() - timedelta(days=365))
        .select_related("agency", "protocol")
        .order_by("-withdrawn_at")[:10]
    )
    requirement_ids = set(SignatoryRequirement.objects.filter(is_active=True).values_list("pk", flat=True))
    valid_since = today - timedelta(days=366)
    confirmed: dict[int, set[int]] = {}
    for agency_id, requirement_id, confirmed_on in ChecklistConfirmation.objects.filter(
        confirmed_on__gte=valid_since
    ).values_list("agency_id", "requirement_id", "confirmed_on"):
        if confirmation_expires_on(confirmed_on) > today:
            confirmed.setdefault(agency_id, set()).add(requirement_id)
    incomplete = [agency.name for agency in agencies if not requirement_ids <= confirmed.get(agency.pk, set())]
    return PartnershipOverview(
        active_protocols=active,
        reviews_due=[review for review in scheduled if review.due_on >= today],
        reviews_overdue=[review for review in scheduled if review.due_on < today],
        consultations_open=list(
            Consultation.objects.exclude(status=ConsultationStatus.DECIDED).select_related(
                "protocol", "proposed_version"
            )
        ),
        missing_signatories=missing,
        withdrawn=withdrawn,
        incomplete_checklists=incomplete,
    )
