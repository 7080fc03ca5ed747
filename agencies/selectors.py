"""Reads of the agencies app that depend on who is asking. Each starts from `policy.restrict`, and each
costs a fixed number of queries whatever the number of rows (tests/test_query_counts.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import Count, Exists, Max, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import JSONObject
from django.utils import timezone

from agencies import rules
from agencies.models import (
    AccessRequestState,
    Agency,
    ApiToken,
    ChecklistConfirmation,
    Invitation,
    Membership,
    SecurityDocument,
    SecurityDocumentAccessRequest,
    SecurityDocumentVersion,
    SignatoryRequirement,
    TrainingRecord,
)
from agencies.policy import agencies_of, is_agency_admin
from isp_portal import policy

ICO_FILTERS = {
    "expiring": "Expiring within 60 days",
    "lapsed": "Lapsed",
    "missing": "Not recorded",
}


def _valid_training(today: date) -> Q:
    return Q(
        user__training_records__course__is_information_sharing=True,
        user__training_records__completed_on__lte=today,
    ) & (Q(user__training_records__expires_on__isnull=True) | Q(user__training_records__expires_on__gte=today))


def agencies_list(
    user: Any,
    *,
    kind: str = "",
    area: str = "",
    status: str = "",
    ico: str = "",
    search: str = "",
    today: date | None = None,
) -> QuerySet[Agency]:
    """The partner register as `user` may see it, filtered, with member counts (one query)."""
    today = today or timezone.localdate()
    agencies = policy.restrict(user, "view", Agency).select_related("parent")
    if kind:
        agencies = agencies.filter(kind=kind)
    if area:
        agencies = agencies.filter(area=area)
    if status:
        agencies = agencies.filter(status=status)
    if search:
        agencies = agencies.filter(name__icontains=search.strip())
    if ico == "expiring":
        horizon = today + timedelta(days=rules.REMINDER_DAYS[0])
        agencies = agencies.filter(ico_registration_expires_on__gte=today, ico_registration_expires_on__lte=horizon)
    elif ico == "lapsed":
        agencies = agencies.filter(ico_registration_expires_on__lt=today)
    elif ico == "missing":
        agencies = agencies.filter(ico_registration_expires_on__isnull=True)
    return agencies.annotate(
        member_count=Count("memberships", filter=Q(memberships__is_active=True, memberships__user__is_system=False))
    ).order_by("name")


def agency_areas() -> list[str]:
    return list(Agency.objects.exclude(area="").values_list("area", flat=True).distinct().order_by("area"))


@dataclass(frozen=True)
class ChecklistRow:
    requirement: SignatoryRequirement
    confirmed_on: date | None
    expires_on: date | None
    note: str
    state: str  # "confirmed", "due for renewal", "expired", "not confirmed"


def checklist_rows(agency: Agency, today: date | None = None) -> tuple[list[ChecklistRow], rules.ChecklistStatus]:
    """Each active requirement with the agency's latest confirmation of it (two queries)."""
    today = today or timezone.localdate()
    requirements = list(SignatoryRequirement.objects.filter(is_active=True).order_by("number"))
    latest = {
        confirmation.requirement_id: confirmation
        for confirmation in ChecklistConfirmation.objects.filter(agency=agency)
        .order_by("requirement_id", "-confirmed_on", "-id")
        .distinct("requirement_id")
    }
    rows = []
    for requirement in requirements:
        confirmation = latest.get(requirement.pk)
        if confirmation is None:
            rows.append(ChecklistRow(requirement, None, None, "", "not confirmed"))
            continue
        expires = rules.confirmation_expires_on(confirmation.confirmed_on)
        if expires <= today:
            state = "expired"
        elif (expires - today).days <= rules.CHECKLIST_RENEWAL_WARNING_DAYS:
            state = "due for renewal"
        else:
            state = "confirmed"
        rows.append(ChecklistRow(requirement, confirmation.confirmed_on, expires, confirmation.note, state))
    status = rules.checklist_status(
        [requirement.pk for requirement in requirements],
        {pk: confirmation.confirmed_on for pk, confirmation in latest.items()},
        today,
    )
    return rows, status


@dataclass(frozen=True)
class Compliance:
    ico_status: str
    ico_expires_on: date | None
    checklist_status: str
    checklist_confirmed: int
    checklist_total: int
    members: int
    members_trained: int
    security_document_uploaded_on: date | None


def agency_member_count(agency: Agency) -> int:
    """How many people (not system accounts) are active members of the agency."""
    return Membership.objects.filter(agency=agency, is_active=True, user__is_system=False).count()


def with_page_facts(agencies: QuerySet[Agency], today: date | None = None) -> QuerySet[Agency]:
    """The agencies with what their page shows besides their own columns, folded into the same statement as
    correlated subqueries (docs/fast-pages.md): the compliance figures `agency_compliance` reads, and the
    agencies each one commissions (`commissioned`, as {"pk", "name"})."""
    today = today or timezone.localdate()
    members = (
        Membership.objects.filter(agency=OuterRef("pk"), is_active=True, user__is_system=False)
        .order_by()
        .values("agency_id")
    )
    latest_confirmations = (
        ChecklistConfirmation.objects.filter(agency=OuterRef("pk"))
        .order_by("requirement_id", "-confirmed_on", "-id")
        .distinct("requirement_id")
        .values(facts=JSONObject(requirement="requirement_id", confirmed_on="confirmed_on"))
    )
    return agencies.annotate(
        _members=Subquery(members.annotate(n=Count("user", distinct=True)).values("n")),
        _members_trained=Subquery(
            members.annotate(n=Count("user", distinct=True, filter=_valid_training(today))).values("n")
        ),
        _document_uploaded_at=Subquery(
            SecurityDocumentVersion.objects.filter(document__agency=OuterRef("pk"))
            .order_by("-uploaded_at")
            .values("uploaded_at")[:1]
        ),
        _document_id=Subquery(SecurityDocument.objects.filter(agency=OuterRef("pk")).order_by("pk").values("pk")[:1]),
        _requirements=ArraySubquery(SignatoryRequirement.objects.filter(is_active=True).order_by().values("pk")),
        _confirmations=ArraySubquery(latest_confirmations),
        commissioned=ArraySubquery(
            Agency.objects.filter(parent=OuterRef("pk")).order_by("name").values(facts=JSONObject(pk="pk", name="name"))
        ),
    )


def agency_compliance(agency: Agency, today: date | None = None) -> Compliance:
    """The agency's compliance at a glance: ICO, checklist, training coverage, security document. Free when the
    agency was read through `with_page_facts`; four queries otherwise."""
    today = today or timezone.localdate()
    if hasattr(agency, "_confirmations"):
        facts: Any = agency  # annotated by with_page_facts
        requirement_ids: list[int] = list(facts._requirements)
        latest = {row["requirement"]: date.fromisoformat(row["confirmed_on"]) for row in facts._confirmations}
        members, trained = facts._members or 0, facts._members_trained or 0
        uploaded_at = facts._document_uploaded_at
    else:
        rows, _ = checklist_rows(agency, today)
        requirement_ids = [row.requirement.pk for row in rows]
        latest = {row.requirement.pk: row.confirmed_on for row in rows if row.confirmed_on is not None}
        counts = Membership.objects.filter(agency=agency, is_active=True, user__is_system=False).aggregate(
            total=Count("user", distinct=True),
            trained=Count("user", distinct=True, filter=_valid_training(today)),
        )
        members, trained = counts["total"], counts["trained"]
        uploaded_at = SecurityDocumentVersion.objects.filter(document__agency=agency).aggregate(
            latest=Max("uploaded_at")
        )["latest"]
    active = set(requirement_ids)
    return Compliance(
        ico_status=rules.ico_status(agency.ico_registration_expires_on, today).value,
        ico_expires_on=agency.ico_registration_expires_on,
        checklist_status=rules.checklist_status(requirement_ids, latest, today).value,
        # Confirmed or due for renewal (checklist_rows' states): a confirmation that has not yet expired.
        checklist_confirmed=sum(
            1 for pk, on in latest.items() if pk in active and rules.confirmation_expires_on(on) > today
        ),
        checklist_total=len(requirement_ids),
        members=members,
        members_trained=trained,
        security_document_uploaded_on=timezone.localdate(uploaded_at) if uploaded_at else None,
    )


def agency_people(user: Any, agency: Agency, today: date | None = None) -> list[Membership]:
    """The agency's active members with whether their training is valid (for those allowed to see them)."""
    if not policy.can(user, "view_people", agency):
        return []
    today = today or timezone.localdate()
    trained = TrainingRecord.objects.filter(
        user_id=OuterRef("user_id"), course__is_information_sharing=True, completed_on__lte=today
    ).filter(Q(expires_on__isnull=True) | Q(expires_on__gte=today))
    return list(
        Membership.objects.filter(agency=agency, is_active=True, user__is_system=False)
        .select_related("user")
        .annotate(trained=Exists(trained))
        .order_by("user__full_name")
        # Only what the page shows: no password hashes or line managers read for a list of names.
        .only(
            "job_title",
            "team",
            "roles",
            "is_caldicott_guardian",
            "is_data_protection_officer",
            "is_nominated_representative",
            "agency_id",
            "user__full_name",
        )
    )


def open_invitations(user: Any, agency: Agency) -> list[Invitation]:
    return list(
        policy.restrict(user, "view", Invitation)
        .filter(agency=agency, accepted_at__isnull=True, revoked_at__isnull=True)
        .order_by("-created_at")
    )


def agency_api_tokens(user: Any, agency: Agency) -> list[ApiToken]:
    """The agency's API tokens the user may see, newest first (the secret is never stored)."""
    return list(policy.restrict(user, "view", ApiToken).filter(agency=agency).order_by("-created_at", "-id"))


def agency_training(user: Any, agency: Agency) -> list[TrainingRecord]:
    """Training records of the agency's active members, as `user` may see them."""
    members = Membership.objects.filter(agency=agency, is_active=True).values("user_id")
    return list(
        policy.restrict(user, "view", TrainingRecord)
        .filter(user_id__in=members)
        .select_related("user", "course")
        .order_by("user__full_name", "-completed_on")
    )


@dataclass(frozen=True)
class DocumentSummary:
    document: SecurityDocument | None
    current: SecurityDocumentVersion | None
    can_open: bool
    can_upload: bool
    can_request: bool
    own_pending: SecurityDocumentAccessRequest | None
    requests: list[SecurityDocumentAccessRequest]


def document_summary(user: Any, agency: Agency) -> DocumentSummary:
    """What `user` may know and do about an agency's security document."""
    # An agency read through with_page_facts says already whether it has a document: no statement when not.
    known_absent = hasattr(agency, "_document_id") and getattr(agency, "_document_id") is None  # noqa: B009
    document = (
        None
        if known_absent
        else SecurityDocument.objects.filter(agency=agency)
        .prefetch_related(
            Prefetch("versions", queryset=SecurityDocumentVersion.objects.order_by("-uploaded_at", "-id"))
        )
        .first()
    )
    current = document.versions.all()[0] if document and document.versions.all() else None
    can_open = bool(document and current and policy.can(user, "view", document))
    own_agencies = agencies_of(user)
    requesting = [
        agency_id for agency_id in own_agencies if agency_id != agency.pk and is_agency_admin(user, agency_id)
    ]
    own_pending = None
    if document is not None and requesting:
        own_pending = SecurityDocumentAccessRequest.objects.filter(
            document=document, requesting_agency_id__in=requesting, state=AccessRequestState.PENDING
        ).first()
    requests: list[SecurityDocumentAccessRequest] = []
    if document is not None and is_agency_admin(user, agency.pk):
        requests = list(
            SecurityDocumentAccessRequest.objects.filter(document=document)
            .select_related("requesting_agency", "requested_by")
            .order_by("-requested_at")[:20]
        )
    return DocumentSummary(
        document=document,
        current=current,
        can_open=can_open,
        can_upload=policy.can(user, "upload_security_document", agency),
        # Offered exactly when the policy would let the request be made (issue 8 item 11): an agency whose
        # standing does not let it take part cannot ask.
        can_request=bool(
            document
            and current
            and requesting
            and not can_open
            and own_pending is None
            and policy.can(user, "request_document_of", agency)
        ),
        own_pending=own_pending,
        requests=requests,
    )


def status_history(agency: Agency) -> list[Any]:
    return list(
        agency.status_changes.order_by("-changed_at").only(
            "agency_id", "effective_on", "from_status", "to_status", "reason"
        )[:20]
    )
