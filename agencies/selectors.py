"""Reads of the agencies app that depend on who is asking. Each starts from `policy.restrict`, and each
costs a fixed number of queries whatever the number of rows (tests/test_query_counts.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Exists, Max, OuterRef, Prefetch, Q, QuerySet
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


def agency_compliance(agency: Agency, today: date | None = None) -> Compliance:
    """The agency's compliance at a glance: ICO, checklist, training coverage, security document."""
    today = today or timezone.localdate()
    rows, status = checklist_rows(agency, today)
    members = Membership.objects.filter(agency=agency, is_active=True, user__is_system=False)
    counts = members.aggregate(
        total=Count("user", distinct=True),
        trained=Count("user", distinct=True, filter=_valid_training(today)),
    )
    uploaded = SecurityDocumentVersion.objects.filter(document__agency=agency).aggregate(latest=Max("uploaded_at"))
    return Compliance(
        ico_status=rules.ico_status(agency.ico_registration_expires_on, today).value,
        ico_expires_on=agency.ico_registration_expires_on,
        checklist_status=status.value,
        checklist_confirmed=sum(1 for row in rows if row.state in {"confirmed", "due for renewal"}),
        checklist_total=len(rows),
        members=counts["total"],
        members_trained=counts["trained"],
        security_document_uploaded_on=timezone.localdate(uploaded["latest"]) if uploaded["latest"] else None,
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
        .select_related("user", "line_manager")
        .annotate(trained=Exists(trained))
        .order_by("user__full_name")
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
    document = (
        SecurityDocument.objects.filter(agency=agency)
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
        can_request=bool(document and current and requesting and not can_open and own_pending is None),
        own_pending=own_pending,
        requests=requests,
    )


def status_history(agency: Agency) -> list[Any]:
    return list(agency.status_changes.select_related("changed_by").order_by("-changed_at")[:20])
