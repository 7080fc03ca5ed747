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
from isp_portal.rows import Statement, fetch, instance, relate
from isp_portal.wording import local_date, month_year
from protocols import rules
from protocols.models import (
    IN_FORCE_STATUSES,
    Consultation,
    ConsultationStatus,
    Protocol,
    ProtocolAudit,
    ProtocolVersion,
    Review,
    ReviewStatus,
    Signature,
    VersionAdoption,
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


_PROTOCOL_FIELDS = (
    "id",
    "title",
    "kind",
    "parent_id",
    "status",
    "current_version_id",
    "completion_date",
    "first_review_months",
    "review_every_months",
    "fixed_review_date",
    "created_by_id",
    "created_at",
)
# The protocol's page, in plain SQL (docs/fast-pages.md, isp_portal/rows.py): the protocol with its parent's
# title and the protocols that supplement it; its versions without their text; its signature register.
_PROTOCOL_PAGE_SQL = Statement(
    "isp_protocol_page",
    """
SELECT p.id, p.title, p.kind, p.parent_id, p.status, p.current_version_id, p.completion_date,
       p.first_review_months, p.review_every_months, p.fixed_review_date, p.created_by_id, p.created_at,
       parent.title, supplements.ids, supplements.titles,
       consultations.ids, consultations.version_ids, consultations.numbers, consultations.deadlines,
       consultations.statuses, consultations.outcomes,
       reviews.ids, reviews.numbers, reviews.due, reviews.statuses,
       audits.ids, audits.agency_ids, audits.agency_names, audits.starts
FROM protocols_protocol p
LEFT JOIN protocols_protocol parent ON parent.id = p.parent_id
CROSS JOIN LATERAL (
    SELECT array_agg(s.id ORDER BY s.title, s.id) AS ids, array_agg(s.title ORDER BY s.title, s.id) AS titles
    FROM protocols_protocol s WHERE s.parent_id = p.id
) supplements
CROSS JOIN LATERAL (
    SELECT array_agg(c.id ORDER BY c.opened_on DESC, c.id DESC) AS ids,
           array_agg(c.proposed_version_id ORDER BY c.opened_on DESC, c.id DESC) AS version_ids,
           array_agg(v.number ORDER BY c.opened_on DESC, c.id DESC) AS numbers,
           array_agg(c.deadline ORDER BY c.opened_on DESC, c.id DESC) AS deadlines,
           array_agg(c.status ORDER BY c.opened_on DESC, c.id DESC) AS statuses,
           array_agg(c.outcome ORDER BY c.opened_on DESC, c.id DESC) AS outcomes
    FROM protocols_consultation c JOIN protocols_protocolversion v ON v.id = c.proposed_version_id
    WHERE c.protocol_id = p.id
) consultations
CROSS JOIN LATERAL (
    SELECT array_agg(r.id ORDER BY r.number) AS ids, array_agg(r.number ORDER BY r.number) AS numbers,
           array_agg(r.due_on ORDER BY r.number) AS due, array_agg(r.status ORDER BY r.number) AS statuses
    FROM protocols_review r WHERE r.protocol_id = p.id
) reviews
CROSS JOIN LATERAL (
    SELECT array_agg(pa.id ORDER BY pa.starts_on DESC, pa.id DESC) AS ids,
           array_agg(pa.auditing_agency_id ORDER BY pa.starts_on DESC, pa.id DESC) AS agency_ids,
           array_agg(a.name ORDER BY pa.starts_on DESC, pa.id DESC) AS agency_names,
           array_agg(pa.starts_on ORDER BY pa.starts_on DESC, pa.id DESC) AS starts
    FROM protocols_protocolaudit pa JOIN agencies_agency a ON a.id = pa.auditing_agency_id
    WHERE pa.protocol_id = p.id
) audits
WHERE p.id = %(pk)s
""",
)


@dataclass(frozen=True)
class ProtocolPage:
    """What the protocol's page shows of the protocol and what hangs off it, read in one statement."""

    protocol: Protocol
    supplements: list[dict[str, Any]]  # the protocols supplementing it, as {"pk", "title"}, by title
    consultations: list[Consultation]  # newest first, each with its proposed version's number
    reviews: list[Review]  # by number
    audits: list[ProtocolAudit]  # latest start first, each with the auditing agency's name


def _columns(*arrays: list[Any] | None) -> list[tuple[Any, ...]]:
    """Rows from parallel arrays of one aggregate (NULL when there were none)."""
    return list(zip(*(array or [] for array in arrays), strict=True))


def protocol_page(user: Any, pk: int) -> ProtocolPage:
    """The protocol for its page with its parent's title, its supplements, consultations, reviews and audits, in
    one statement; out of the user's view scope or missing, a 404 recorded as a denial (the policy decides,
    as get_or_deny does)."""
    rows = fetch(_PROTOCOL_PAGE_SQL, {"pk": pk})
    row = rows[0] if rows else (None,) * 29
    found = instance(Protocol, _PROTOCOL_FIELDS, row[:12]) if rows else None
    protocol = policy.found_or_deny(user, Protocol, found, target_id=pk)  # raises when missing or out of scope
    parent = instance(Protocol, ("id", "title"), (protocol.parent_id, row[12]))
    relate(protocol, "parent", None if protocol.parent_id is None else parent)
    consultations = []
    for key, version_id, number, deadline, status, outcome in _columns(*row[15:21]):
        consultation = instance(
            Consultation,
            ("id", "protocol_id", "proposed_version_id", "deadline", "status", "outcome"),
            (key, protocol.pk, version_id, deadline, status, outcome),
        )
        relate(consultation, "proposed_version", instance(ProtocolVersion, ("id", "number"), (version_id, number)))
        consultations.append(consultation)
    return ProtocolPage(
        protocol=protocol,
        supplements=[{"pk": key, "title": title} for key, title in _columns(row[13], row[14])],
        consultations=consultations,
        reviews=[
            instance(Review, ("id", "protocol_id", "number", "due_on", "status"), (key, protocol.pk, *values))
            for key, *values in _columns(*row[21:25])
        ],
        audits=[
            _audit(protocol, key, agency_id, agency_name, starts_on)
            for key, agency_id, agency_name, starts_on in _columns(*row[25:29])
        ],
    )


def _audit(protocol: Protocol, key: int, agency_id: int, agency_name: str, starts_on: date) -> ProtocolAudit:
    audit = instance(
        ProtocolAudit,
        ("id", "protocol_id", "auditing_agency_id", "starts_on"),
        (key, protocol.pk, agency_id, starts_on),
    )
    relate(audit, "auditing_agency", instance(Agency, ("id", "name"), (agency_id, agency_name)))
    return audit


_VERSION_FIELDS = (
    "id",
    "protocol_id",
    "number",
    "change_note",
    "age_min",
    "age_max",
    "extended_age_max",
    "extended_age_conditions",
    "permitted_purposes",
    "aggregate_fields",
    "minimum_fields",
    "sensitive_fields",
    "grounds_without_consent",
    "response_working_days",
    "retention_months",
    "shows_held_categories",
    "created_by_id",
    "created_at",
)
_VERSIONS_SQL = Statement(
    "isp_protocol_versions",
    """
SELECT v.id, v.protocol_id, v.number, v.change_note, v.age_min, v.age_max, v.extended_age_max,
       v.extended_age_conditions, v.permitted_purposes, v.aggregate_fields, v.minimum_fields, v.sensitive_fields,
       v.grounds_without_consent, v.response_working_days, v.retention_months, v.shows_held_categories,
       v.created_by_id, v.created_at, adoption.id
FROM protocols_protocolversion v
LEFT JOIN protocols_versionadoption adoption ON adoption.version_id = v.id
WHERE v.protocol_id = %(protocol)s
ORDER BY v.number DESC
""",
)


def protocol_versions(protocol: Protocol) -> list[ProtocolVersion]:
    """The protocol's versions, newest first, with their rules but not their text or clauses (tens of kilobytes
    each), and whether each was ever put in force (`adoption`, its id only). One plain SQL statement."""
    versions = []
    for row in fetch(_VERSIONS_SQL, {"protocol": protocol.pk}):
        version = instance(ProtocolVersion, _VERSION_FIELDS, row[:18])
        adoption = None if row[18] is None else instance(VersionAdoption, ("id", "version_id"), (row[18], version.pk))
        relate(version, "adoption", adoption)
        versions.append(version)
    return versions


_REGISTER_FIELDS = (
    "id",
    "agency_id",
    "version_id",
    "protocol_id",
    "signatory_name",
    "signatory_title",
    "signed_at",
    "carried_over_from_id",
    "withdrawn_at",
    "withdrawal_reason",
)
_REGISTER_SQL = Statement(
    "isp_signature_register",
    """
SELECT s.id, s.agency_id, s.version_id, s.protocol_id, s.signatory_name, s.signatory_title, s.signed_at,
       s.carried_over_from_id, s.withdrawn_at, s.withdrawal_reason,
       a.name, v.number, earlier.version_id, earlier_version.number
FROM protocols_signature s
JOIN agencies_agency a ON a.id = s.agency_id
JOIN protocols_protocolversion v ON v.id = s.version_id
LEFT JOIN protocols_signature earlier ON earlier.id = s.carried_over_from_id
LEFT JOIN protocols_protocolversion earlier_version ON earlier_version.id = earlier.version_id
WHERE s.protocol_id = %(protocol)s
ORDER BY v.number DESC, a.name, s.id
""",
)


def signature_register(protocol: Protocol) -> list[Signature]:
    """Who has signed what, and when: every signature of every version, newest first (one plain SQL statement).
    The register shows names and numbers: no protocol texts, addresses or signers' accounts are read."""
    signatures = []
    for row in fetch(_REGISTER_SQL, {"protocol": protocol.pk}):
        signature = instance(Signature, _REGISTER_FIELDS, row[:10])
        agency_name, number, earlier_version_id, earlier_number = row[10:14]
        relate(signature, "agency", instance(Agency, ("id", "name"), (signature.agency_id, agency_name)))
        relate(signature, "version", instance(ProtocolVersion, ("id", "number"), (signature.version_id, number)))
        earlier = None
        if signature.carried_over_from_id is not None:
            earlier = instance(Signature, ("id", "version_id"), (signature.carried_over_from_id, earlier_version_id))
            relate(
                earlier, "version", instance(ProtocolVersion, ("id", "number"), (earlier_version_id, earlier_number))
            )
        relate(signature, "carried_over_from", earlier)
        signatures.append(signature)
    return signatures


_AGENCY_SIGNATURES_SQL = Statement(
    "isp_agency_signatures",
    """
SELECT s.id, s.agency_id, s.version_id, s.protocol_id, s.signatory_name, s.signatory_title, s.signed_at,
       s.withdrawn_at, s.withdrawal_reason, p.title, v.number
FROM protocols_signature s
JOIN protocols_protocol p ON p.id = s.protocol_id
JOIN protocols_protocolversion v ON v.id = s.version_id
WHERE s.agency_id = %(agency)s AND (s.version_id = p.current_version_id OR s.withdrawn_at IS NOT NULL)
ORDER BY p.title, v.number DESC, s.signed_at DESC, s.id
LIMIT 200
""",
)
_AGENCY_SIGNATURE_FIELDS = (
    "id",
    "agency_id",
    "version_id",
    "protocol_id",
    "signatory_name",
    "signatory_title",
    "signed_at",
    "withdrawn_at",
    "withdrawal_reason",
)


def agency_signatures(agency: Agency) -> list[Signature]:
    """The signatures an agency has given, for its page (one plain SQL statement: isp_portal/rows.py): each
    protocol's version in force, and any withdrawal. A signature carried over to a newer version is shown once,
    on the newest. Each carries its protocol's title and its version's number, and no protocol text."""
    signatures = []
    for row in fetch(_AGENCY_SIGNATURES_SQL, {"agency": agency.pk}):
        signature = instance(Signature, _AGENCY_SIGNATURE_FIELDS, row[:9])
        relate(signature, "protocol", instance(Protocol, ("id", "title"), (signature.protocol_id, row[9])))
        relate(signature, "version", instance(ProtocolVersion, ("id", "number"), (signature.version_id, row[10])))
        signatures.append(signature)
    return signatures


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
    label: str = ""  # the month as people read it, "November 2026" (isp_portal.wording.month_year)


def signatory_counts(
    protocol: Protocol, *, months: int = 12, today: date | None = None, signatures: list[Signature] | None = None
) -> list[CountPoint]:
    """How many agencies had a live signature on the protocol at the end of each of the last months
    (Buckinghamshire: 28 signatories in March 2008, 35 in March 2009). One query, or none when given the
    protocol's signature register."""
    today = today or timezone.localdate()
    if signatures is not None:
        moments = [(s.agency_id, s.signed_at, s.withdrawn_at) for s in signatures]
    else:
        moments = list(
            Signature.objects.filter(protocol=protocol).values_list("agency_id", "signed_at", "withdrawn_at")
        )
    # Each moment's local date once, not once per month (issue 9: 12 months x the register's rows), in the time
    # zone read once (timezone.localdate reads it each time: more than the conversion costs).
    zone = timezone.get_current_timezone()
    spans = [
        (agency_id, local_date(signed_at, zone), None if withdrawn_at is None else local_date(withdrawn_at, zone))
        for agency_id, signed_at, withdrawn_at in moments
    ]
    points = []
    for back in range(months - 1, -1, -1):
        month_index = today.year * 12 + today.month - 1 - back
        year, month = divmod(month_index, 12)
        end = date(year, month + 1, 1) + timedelta(days=32)
        end = end.replace(day=1) - timedelta(days=1)
        end = min(end, today)
        live = {
            agency_id
            for agency_id, signed_on, withdrawn_on in spans
            if signed_on <= end and (withdrawn_on is None or withdrawn_on > end)
        }
        points.append(CountPoint(month=end, signatories=len(live), label=month_year(end)))
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
