"""Reads of the agencies app that depend on who is asking. Each starts from `policy.restrict`, and each
costs a fixed number of queries whatever the number of rows (tests/test_query_counts.py)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, Exists, Max, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from agencies import rules
from agencies.identity import retraining_outstanding, valid_training_records, valid_training_sql
from agencies.models import (
    AccessRequestState,
    Agency,
    AgencyStatusChange,
    ApiToken,
    Area,
    ChecklistConfirmation,
    Invitation,
    Membership,
    RetrainingRequirement,
    Role,
    SecurityDocument,
    SecurityDocumentAccessRequest,
    SecurityDocumentVersion,
    SignatoryRequirement,
    TrainingRecord,
    User,
)
from agencies.policy import PARTNERSHIP_TRAINING, agencies_of, is_agency_admin
from audit.alerts import Auditor
from isp_portal import policy
from isp_portal.rows import Statement, fetch, instance, relate

ICO_FILTERS = {
    "expiring": "Expiring within 60 days",
    "lapsed": "Lapsed",
    "missing": "Not recorded",
}


def _valid_training(today: date) -> Q:
    """Memberships whose person holds information-sharing training valid on `today`, retraining counted: the
    training gate's own definition (agencies.identity.valid_training_records)."""
    return Q(Exists(valid_training_records(OuterRef("user_id"), today)))


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
    agencies = policy.restrict(user, "view", Agency).select_related("parent", "area")
    if kind:
        agencies = agencies.filter(kind=kind)
    if area:
        agencies = agencies.filter(area_id=area)
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


def area_choices() -> list[tuple[str, str]]:
    """Every local-authority area as (GSS code, name), by name: the choices of the area selects."""
    return list(Area.objects.order_by("name").values_list("code", "name"))


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


def designated_managers_of(agency_ids: Iterable[int]) -> QuerySet[Membership]:
    """The active memberships, in the agencies `agency_ids`, of their designated managers who are active people
    (never a system account): those told when a decision of the agency is due (Haringey 4.6)."""
    return Membership.objects.filter(
        agency_id__in=list(agency_ids), is_active=True, user__is_active=True, user__is_system=False,
        roles__contains=[Role.DESIGNATED_MANAGER.value],
    )  # fmt: skip


def partnership_admins() -> list[int]:
    """The user ids of the active partnership admins who are active people (never a system account), in one
    statement: whom a sweep tells when nobody at the agency concerned can be told (an agency with nobody left to
    act is itself the partnership's to put right)."""
    return list(
        Membership.objects.filter(
            agency__isnull=True, is_active=True, user__is_active=True, user__is_system=False,
            roles__contains=[Role.PARTNERSHIP_ADMIN.value],
        ).values_list("user_id", flat=True)
    )  # fmt: skip


def active_auditors() -> list[Auditor]:
    """Every active person holding the auditor role, of the partnership or of an agency, once each, in one
    statement: whom the audit app tells when the chain is broken, and to whom it mails its anchors (issue 15)."""
    people = (
        Membership.objects.filter(
            is_active=True, user__is_active=True, user__is_system=False, roles__contains=[Role.AUDITOR.value]
        )
        .order_by("user_id")
        .values_list("user_id", "user__email")
        .distinct()
    )
    return [Auditor(user_id, email) for user_id, email in people]


def agency_member_count(agency: Agency) -> int:
    """How many people (not system accounts) are active members of the agency."""
    return Membership.objects.filter(agency=agency, is_active=True, user__is_system=False).count()


@dataclass(frozen=True)
class PageFacts:
    """What the agency's page shows besides the agency's own columns, read in the same statement."""

    members: int
    members_trained: int
    document_id: int | None
    document_uploaded_at: datetime | None
    requirement_ids: list[int]
    latest_confirmations: dict[int, date]  # requirement -> the agency's latest confirmation of it
    commissioned: list[dict[str, Any]]  # the agencies it commissions, as {"pk", "name"}, by name
    status_history: list[AgencyStatusChange]  # the latest 20 changes of status, newest first
    # Read with the rest, shown only as the policy allows (agency_people, open_invitations): _PEOPLE_SQL's and
    # _INVITATIONS_SQL's rows. Reading them whoever asks costs PostgreSQL less than a statement of their own.
    people_rows: list[tuple[Any, ...]]
    invitation_rows: list[tuple[Any, ...]]
    # The day these facts are as of; the policy judges the agency's standing on it (agencies.policy.standing_of).
    as_of: date


AGENCY_FIELDS = (
    "id",
    "name",
    "kind",
    "sector",
    "status",
    "area_id",
    "parent_id",
    "address",
    "phone",
    "registration_number",
    "ico_registration_number",
    "ico_registration_expires_on",
    "created_at",
)

# The agency's page in one statement (docs/fast-pages.md): the agency, its parent's name, its compliance
# figures (members, members with valid information-sharing training, the security document, the checklist)
# and the agencies it commissions. Written as SQL because the ORM spent more CPU building and compiling its
# correlated subqueries on every request than the rest of the page (issue 9). Mirrors agency_member_count,
# _valid_training and checklist_rows; tests/agencies/test_page_facts.py compares the two.
_VALID = valid_training_sql("m.user_id")
_AGENCY_PAGE_SQL = Statement(
    "isp_agency_page",
    # _VALID is a fixed SQL fragment (agencies.identity.valid_training_sql), never input.
    f"""
SELECT a.id, a.name, a.kind, a.sector, a.status, a.area_id, a.parent_id, a.address, a.phone, a.registration_number,
       a.ico_registration_number, a.ico_registration_expires_on, a.created_at,
       parent.name, area.name,
       people.members, people.trained,
       (SELECT min(d.id) FROM agencies_securitydocument d WHERE d.agency_id = a.id),
       (SELECT max(v.uploaded_at) FROM agencies_securitydocumentversion v
          JOIN agencies_securitydocument d ON d.id = v.document_id WHERE d.agency_id = a.id),
       ARRAY(SELECT r.id FROM agencies_signatoryrequirement r WHERE r.is_active ORDER BY r.id),
       confirmed.requirements, confirmed.dates,
       commissioned.ids, commissioned.names,
       history.ids, history.from_statuses, history.to_statuses, history.reasons, history.effective,
       listed.people, invited.ids, invited.emails, invited.names, invited.expires
FROM agencies_agency a
LEFT JOIN agencies_agency parent ON parent.id = a.parent_id
LEFT JOIN agencies_area area ON area.code = a.area_id
CROSS JOIN LATERAL (
    SELECT count(DISTINCT m.user_id) AS members,
           count(DISTINCT m.user_id) FILTER (WHERE {_VALID}) AS trained
    FROM agencies_membership m JOIN agencies_user u ON u.id = m.user_id
    WHERE m.agency_id = a.id AND m.is_active AND NOT u.is_system
) people
CROSS JOIN LATERAL (
    SELECT array_agg(latest.requirement_id) AS requirements, array_agg(latest.confirmed_on) AS dates
    FROM (SELECT requirement_id, max(confirmed_on) AS confirmed_on FROM agencies_checklistconfirmation
          WHERE agency_id = a.id GROUP BY requirement_id) latest
) confirmed
CROSS JOIN LATERAL (
    SELECT array_agg(c.id ORDER BY c.name, c.id) AS ids, array_agg(c.name ORDER BY c.name, c.id) AS names
    FROM agencies_agency c WHERE c.parent_id = a.id
) commissioned
CROSS JOIN LATERAL (
    SELECT array_agg(h.id ORDER BY h.changed_at DESC, h.id DESC) AS ids,
           array_agg(h.from_status ORDER BY h.changed_at DESC, h.id DESC) AS from_statuses,
           array_agg(h.to_status ORDER BY h.changed_at DESC, h.id DESC) AS to_statuses,
           array_agg(h.reason ORDER BY h.changed_at DESC, h.id DESC) AS reasons,
           array_agg(h.effective_on ORDER BY h.changed_at DESC, h.id DESC) AS effective
    FROM (SELECT * FROM agencies_agencystatuschange WHERE agency_id = a.id ORDER BY changed_at DESC, id DESC LIMIT 20) h
) history
CROSS JOIN LATERAL (
    -- The people table (agency_people: _PEOPLE_SQL's rows, as JSON arrays since their roles differ in length).
    SELECT json_agg(json_build_array(
               m.id, m.user_id, m.agency_id, m.roles, m.job_title, m.team, m.is_caldicott_guardian,
               m.is_data_protection_officer, m.is_nominated_representative, u.full_name,
               {_VALID}
           ) ORDER BY u.full_name, m.id) AS people
    FROM agencies_membership m JOIN agencies_user u ON u.id = m.user_id
    WHERE m.agency_id = a.id AND m.is_active AND NOT u.is_system
) listed
CROSS JOIN LATERAL (
    -- The invitations still open (open_invitations: _INVITATIONS_SQL's rows).
    SELECT array_agg(i.id ORDER BY i.created_at DESC, i.id DESC) AS ids,
           array_agg(i.email ORDER BY i.created_at DESC, i.id DESC) AS emails,
           array_agg(i.full_name ORDER BY i.created_at DESC, i.id DESC) AS names,
           array_agg(i.expires_at ORDER BY i.created_at DESC, i.id DESC) AS expires
    FROM agencies_invitation i WHERE i.agency_id = a.id AND i.accepted_at IS NULL AND i.revoked_at IS NULL
) invited
WHERE a.id = %(pk)s
""",  # noqa: S608
)


def agency_page(user: Any, pk: int, today: date | None = None) -> Agency:
    """The agency for its page, with its parent's name and its `page_facts`, in one statement; out of the
    user's view scope or missing, a 404 recorded as a denial (the policy decides, as get_or_deny does)."""
    today = today or timezone.localdate()
    rows = fetch(_AGENCY_PAGE_SQL, {"pk": pk, "today": today})
    agency = None
    if rows:
        row = rows[0]
        agency = instance(Agency, AGENCY_FIELDS, row[:13])
        parent_name, area_name, members, trained, document_id, uploaded_at, requirements = row[13:20]
        confirmed_ids, confirmed_dates, commissioned_ids, commissioned_names = row[20:24]
        history = [
            instance(
                AgencyStatusChange,
                ("id", "agency_id", "from_status", "to_status", "reason", "effective_on"),
                (key, agency.pk, *values),
            )
            for key, *values in zip(*(column or [] for column in row[24:29]), strict=True)
        ]
        relate(agency, "area", None if agency.area_id is None else Area(code=agency.area_id, name=area_name))
        relate(
            agency,
            "parent",
            None if agency.parent_id is None else instance(Agency, ("id", "name"), (agency.parent_id, parent_name)),
        )
        agency.page_facts = PageFacts(  # type: ignore[attr-defined]
            members=members,
            members_trained=trained,
            document_id=document_id,
            document_uploaded_at=uploaded_at,
            requirement_ids=list(requirements),
            latest_confirmations=dict(zip(confirmed_ids or [], confirmed_dates or [], strict=True)),
            commissioned=[
                {"pk": key, "name": name}
                for key, name in zip(commissioned_ids or [], commissioned_names or [], strict=True)
            ],
            status_history=history,
            people_rows=[tuple(values) for values in row[29] or []],
            invitation_rows=[
                (key, agency.pk, email, name, expires)
                for key, email, name, expires in zip(*(column or [] for column in row[30:34]), strict=True)
            ],
            as_of=today,
        )
    return policy.found_or_deny(user, Agency, agency, target_id=pk)


def agency_compliance(agency: Agency, today: date | None = None) -> Compliance:
    """The agency's compliance at a glance: ICO, checklist, training coverage, security document. Free when the
    agency was read by `agency_page`; four queries otherwise."""
    today = today or timezone.localdate()
    facts: PageFacts | None = getattr(agency, "page_facts", None)
    if facts is not None:  # read with the agency by agency_page
        requirement_ids: list[int] = facts.requirement_ids
        latest = facts.latest_confirmations
        members, trained = facts.members, facts.members_trained
        uploaded_at = facts.document_uploaded_at
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


_PEOPLE_SQL = Statement(
    "isp_agency_people",
    f"""
SELECT m.id, m.user_id, m.agency_id, m.roles, m.job_title, m.team, m.is_caldicott_guardian,
       m.is_data_protection_officer, m.is_nominated_representative, u.full_name,
       {_VALID}
FROM agencies_membership m JOIN agencies_user u ON u.id = m.user_id
WHERE m.agency_id = %(agency)s AND m.is_active AND NOT u.is_system
ORDER BY u.full_name, m.id
""",  # noqa: S608
)
_PEOPLE_FIELDS = (
    "id",
    "user_id",
    "agency_id",
    "roles",
    "job_title",
    "team",
    "is_caldicott_guardian",
    "is_data_protection_officer",
    "is_nominated_representative",
)


def agency_people(user: Any, agency: Agency, today: date | None = None) -> list[Membership]:
    """The agency's active members (people, not system accounts) by name, with whether their
    information-sharing training is valid (`trained`), for those allowed to see them. Read with the agency by
    `agency_page`, else one plain SQL statement (isp_portal/rows.py): only what the page shows, no password hashes
    or line managers for a list of names."""
    if not policy.can(user, "view_people", agency):
        return []
    today = today or timezone.localdate()
    facts: PageFacts | None = getattr(agency, "page_facts", None)
    rows = facts.people_rows if facts is not None else fetch(_PEOPLE_SQL, {"agency": agency.pk, "today": today})
    people = []
    for row in rows:
        membership = instance(Membership, _PEOPLE_FIELDS, row[:9])
        relate(membership, "user", instance(User, ("id", "full_name"), (membership.user_id, row[9])))
        membership.trained = row[10]  # type: ignore[attr-defined]
        people.append(membership)
    return people


_INVITATIONS_SQL = Statement(
    "isp_agency_invitations",
    """
SELECT i.id, i.agency_id, i.email, i.full_name, i.expires_at FROM agencies_invitation i
WHERE i.agency_id = %(agency)s AND i.accepted_at IS NULL AND i.revoked_at IS NULL
ORDER BY i.created_at DESC, i.id DESC
""",
)


def open_invitations(user: Any, agency: Agency) -> list[Invitation]:
    """The agency's invitations still open, newest first, those the policy lets the user see: no statement when
    its scope is empty; then the rows `agency_page` read with the agency, else one plain SQL statement
    (isp_portal/rows.py); each row checked with `policy.can`."""
    if policy.scope_is_empty(user, "view", Invitation):
        return []
    facts: PageFacts | None = getattr(agency, "page_facts", None)
    rows = facts.invitation_rows if facts is not None else fetch(_INVITATIONS_SQL, {"agency": agency.pk})
    invitations = [instance(Invitation, ("id", "agency_id", "email", "full_name", "expires_at"), row) for row in rows]
    return [invitation for invitation in invitations if policy.can(user, "view", invitation)]


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


def agency_training_people(user: Any, agency: Agency, today: date | None = None) -> list[Membership]:
    """`agency_people` for the agency's training page: each with `retraining`, the retraining requirement they are
    under (None when none): one more query, none when the user may not see the people."""
    people = agency_people(user, agency, today)
    if people:
        retraining = retraining_required([membership.user_id for membership in people])
        for membership in people:
            membership.retraining = retraining.get(membership.user_id)  # type: ignore[attr-defined]
    return people


def retraining_required(people: Iterable[int] | QuerySet[Any]) -> dict[int, RetrainingRequirement]:
    """For each of `people` (user ids, already read through the policy by the caller's page: the agency's
    training, a member's page) under a retraining sanction not yet met, the earliest such requirement (Haringey
    6.6; agencies.identity.retraining_outstanding): one query."""
    found: dict[int, RetrainingRequirement] = {}
    for requirement in retraining_outstanding().filter(user_id__in=people).order_by("-required_since", "-pk"):
        found[requirement.user_id] = requirement  # the earliest last
    return found


def partnership_people(user: Any) -> QuerySet[User]:
    """The partnership's own people, by name: active people (not system accounts) whose only active memberships
    are the partnership's (no agency: partnership admins and auditors). No agency admin answers for their
    training, so a partnership admin records it (agencies.services.training._training_agency). Nobody for
    those who may not see the partnership's training."""
    if not policy.can(user, "view", PARTNERSHIP_TRAINING):
        return User.objects.none()
    active = Membership.objects.filter(user=OuterRef("pk"), is_active=True)
    return (
        policy.restrict(user, "view", User)
        .filter(is_active=True, is_system=False)
        .filter(Exists(active.filter(agency__isnull=True)))
        .exclude(Exists(active.filter(agency__isnull=False)))
        .order_by("full_name", "pk")
    )


@dataclass(frozen=True)
class TrainingRow:
    """One training record as the partnership's training page shows it, with whether it counts today."""

    record: TrainingRecord
    status: rules.TrainingStatus


@dataclass(frozen=True)
class PersonTraining:
    """One of the partnership's own people, where they stand with their information-sharing training, and
    their training records (newest first)."""

    user: User
    status: rules.TrainingStatus
    records: list[TrainingRow]


def partnership_training(user: Any, today: date | None = None) -> list[PersonTraining]:
    """The partnership's own people with their training records, for a partnership admin (two queries)."""
    today = today or timezone.localdate()
    people = list(partnership_people(user).only("id", "full_name", "email"))
    records: dict[int, list[TrainingRecord]] = {person.pk: [] for person in people}
    if people:
        found = (
            policy.restrict(user, "view", TrainingRecord)
            .filter(user_id__in=list(records))
            .select_related("course")
            .order_by("-completed_on", "-id")
        )
        for record in found:
            records[record.user_id].append(record)
    result = []
    for person in people:
        own = records[person.pk]
        sharing = [(r.completed_on, r.expires_on) for r in own if r.course.is_information_sharing]
        rows = [
            TrainingRow(
                record=r,
                status=rules.training_status([(r.completed_on, r.expires_on)], today),
            )
            for r in own
        ]
        result.append(PersonTraining(user=person, status=rules.training_status(sharing, today), records=rows))
    return result


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
    # An agency read by agency_page says already whether it has a document: no statement when not.
    facts: PageFacts | None = getattr(agency, "page_facts", None)
    known_absent = facts is not None and facts.document_id is None
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
    """The agency's latest 20 changes of status, newest first (read with the agency by agency_page)."""
    facts: PageFacts | None = getattr(agency, "page_facts", None)
    if facts is not None:
        return list(facts.status_history)
    return list(
        agency.status_changes.order_by("-changed_at").only(
            "agency_id", "effective_on", "from_status", "to_status", "reason"
        )[:20]
    )
