"""Roles as named predicates, and the policies of the agencies app (DESIGN 1, 3.2).

A user's active memberships are loaded once per request into a `Principal` (one query) and every role
predicate below is answered from it in memory, so a page can ask twenty questions without twenty queries.
Other apps' policies build on these predicates; they never read Membership rows themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import F, Q

from agencies.models import Agency, AgencyStatus, ApiToken, Membership, Role, User
from audit.access import AUDIT_TRAIL
from audit.services import ActorIdentity
from isp_portal.policy import Policy, register, register_resource


@dataclass(frozen=True)
class MembershipFacts:
    """What the policy needs to know about one active membership."""

    membership_id: int
    agency_id: int | None
    agency_name: str
    agency_status: str
    agency_area: str
    roles: frozenset[str]
    is_caldicott_guardian: bool
    is_data_protection_officer: bool

    @property
    def is_partnership(self) -> bool:
        return self.agency_id is None

    @property
    def role_labels(self) -> list[str]:
        return [Role(role).label for role in sorted(self.roles)]


@dataclass(frozen=True)
class Principal:
    """A signed-in user's active memberships, loaded once per request."""

    user_id: int | None
    is_system: bool
    memberships: tuple[MembershipFacts, ...]

    def agencies_with(self, *roles: str) -> frozenset[int]:
        wanted = set(roles)
        return frozenset(m.agency_id for m in self.memberships if m.agency_id is not None and wanted & m.roles)

    def has(self, role: str, agency_id: int | None = None) -> bool:
        return any(role in m.roles and (agency_id is None or m.agency_id == agency_id) for m in self.memberships)

    @property
    def primary(self) -> MembershipFacts | None:
        return self.memberships[0] if self.memberships else None


NOBODY = Principal(user_id=None, is_system=False, memberships=())


def principal(user: Any) -> Principal:
    """The user's principal, cached on the user object for the rest of the request."""
    if user is None or not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return NOBODY
    cached = getattr(user, "_isp_principal", None)
    if isinstance(cached, Principal):
        return cached
    rows = (
        Membership.objects.filter(user_id=user.pk, is_active=True)
        .select_related("agency")
        .order_by(F("agency_id").asc(nulls_last=True), "created_at")
    )
    loaded = Principal(
        user_id=user.pk,
        is_system=bool(getattr(user, "is_system", False)),
        memberships=tuple(
            MembershipFacts(
                membership_id=row.pk,
                agency_id=row.agency_id,
                agency_name=row.agency.name if row.agency else "",
                agency_status=row.agency.status if row.agency else AgencyStatus.ACTIVE,
                agency_area=row.agency.area if row.agency else "",
                roles=frozenset(row.roles),
                is_caldicott_guardian=row.is_caldicott_guardian,
                is_data_protection_officer=row.is_data_protection_officer,
            )
            for row in rows
        ),
    )
    user._isp_principal = loaded
    return loaded


def forget_principal(user: Any) -> None:
    """Drop the cached principal after the user's memberships changed within this request."""
    if hasattr(user, "_isp_principal"):
        del user._isp_principal


# --- Role predicates -------------------------------------------------------------------------------------------
# "Practitioner" includes designated managers: a designated manager does everything a practitioner does
# (DESIGN 1).


def has_any_role(user: Any) -> bool:
    return bool(principal(user).memberships)


def is_practitioner(user: Any, agency_id: int | None = None) -> bool:
    p = principal(user)
    return p.has(Role.PRACTITIONER, agency_id) or p.has(Role.DESIGNATED_MANAGER, agency_id)


def is_designated_manager(user: Any, agency_id: int | None = None) -> bool:
    return principal(user).has(Role.DESIGNATED_MANAGER, agency_id)


def is_agency_admin(user: Any, agency_id: int | None = None) -> bool:
    return principal(user).has(Role.AGENCY_ADMIN, agency_id)


def is_partnership_admin(user: Any) -> bool:
    return principal(user).has(Role.PARTNERSHIP_ADMIN)


def is_auditor(user: Any) -> bool:
    return principal(user).has(Role.AUDITOR)


def is_partnership_auditor(user: Any) -> bool:
    """An auditor for the whole partnership (rather than for one agency)."""
    return any(m.is_partnership and Role.AUDITOR in m.roles for m in principal(user).memberships)


def audited_agencies(user: Any) -> frozenset[int] | None:
    """The agencies an auditor's reading is limited to; None means the whole partnership."""
    if is_partnership_auditor(user):
        return None
    return principal(user).agencies_with(Role.AUDITOR)


def is_caldicott_or_dpo(user: Any, agency_id: int | None = None) -> bool:
    return any(
        (m.is_caldicott_guardian or m.is_data_protection_officer) and (agency_id is None or m.agency_id == agency_id)
        for m in principal(user).memberships
    )


def agencies_of(user: Any) -> frozenset[int]:
    return frozenset(m.agency_id for m in principal(user).memberships if m.agency_id is not None)


def role_labels(user: Any) -> list[str]:
    """The user's roles in words, for the page header and the audit trail."""
    labels = []
    for membership in principal(user).memberships:
        where = membership.agency_name or "Partnership"
        names = ", ".join(Role(role).label for role in sorted(membership.roles))
        labels.append(f"{names} — {where}")
    return labels


def audit_identity_of(user: User) -> ActorIdentity:
    primary = principal(user).primary
    return ActorIdentity(
        user_id=user.pk,
        label=user.email,
        agency_id=primary.agency_id if primary else None,
        agency_label=(primary.agency_name or "Partnership") if primary else "",
        role=",".join(sorted(primary.roles)) if primary else "",
    )


# --- Policies --------------------------------------------------------------------------------------------------


@register
class AgencyPolicy(Policy[Agency]):
    """The partner directory is visible to every member of the partnership; only partnership admins
    register agencies; agency admins maintain their own agency's details."""

    model = Agency

    def scope(self, user: Any, action: str) -> Q | None:
        if action == "view" and has_any_role(user):
            return Q()
        if action == "change":
            if is_partnership_admin(user):
                return Q()
            return Q(pk__in=principal(user).agencies_with(Role.AGENCY_ADMIN))
        return None

    def in_scope(self, user: Any, obj: Agency) -> bool:
        return has_any_role(user)

    def permits(self, user: Any, action: str, obj: Agency | None) -> bool:
        if action == "view":
            return has_any_role(user)
        if action in {"create", "change_status"}:
            return is_partnership_admin(user)
        if action in {"change", "manage_members"} and obj is not None:
            return is_partnership_admin(user) or is_agency_admin(user, obj.pk)
        return False

    def reason(self, user: Any, action: str, obj: Agency | None) -> str:
        if action in {"create", "change_status"}:
            return "Only partnership admins can register agencies or change their status."
        return "Only this agency's admins or a partnership admin can do this."


@register
class MembershipPolicy(Policy[Membership]):
    """People see their own memberships; agency admins see and manage their agency's; partnership admins
    and partnership auditors see all."""

    model = Membership

    def scope(self, user: Any, action: str) -> Q | None:
        p = principal(user)
        if p.user_id is None:
            return None
        if action == "view":
            if is_partnership_admin(user) or is_partnership_auditor(user):
                return Q()
            return Q(user_id=p.user_id) | Q(agency_id__in=p.agencies_with(Role.AGENCY_ADMIN, Role.AUDITOR))
        if action == "change":
            if is_partnership_admin(user):
                return Q()
            return Q(agency_id__in=p.agencies_with(Role.AGENCY_ADMIN))
        return None

    def in_scope(self, user: Any, obj: Membership) -> bool:
        p = principal(user)
        return p.user_id is not None and (
            obj.user_id == p.user_id
            or is_partnership_admin(user)
            or is_partnership_auditor(user)
            or obj.agency_id in p.agencies_with(Role.AGENCY_ADMIN, Role.AUDITOR)
        )

    def permits(self, user: Any, action: str, obj: Membership | None) -> bool:
        if action == "view":
            return obj is not None
        if action == "create" and obj is None:
            # Partnership-level memberships; agency memberships are checked as "manage_members" on the agency.
            return is_partnership_admin(user)
        if action in {"change", "deactivate"} and obj is not None:
            if obj.agency_id is None:
                return is_partnership_admin(user)
            return is_partnership_admin(user) or is_agency_admin(user, obj.agency_id)
        return False

    def reason(self, user: Any, action: str, obj: Membership | None) -> str:
        return "Only this agency's admins or a partnership admin can change its members."


@register
class UserPolicy(Policy[User]):
    """People see themselves; agency admins see the people of their agencies; partnership admins and
    partnership auditors see everyone. Agency admins and partnership admins create accounts."""

    model = User

    def scope(self, user: Any, action: str) -> Q | None:
        p = principal(user)
        if p.user_id is None:
            return None
        if action == "view":
            if is_partnership_admin(user) or is_partnership_auditor(user):
                return Q()
            agencies = p.agencies_with(Role.AGENCY_ADMIN)
            if not agencies:
                return Q(pk=p.user_id)
            return Q(pk=p.user_id) | Q(pk__in=Membership.objects.filter(agency_id__in=agencies).values("user_id"))
        return None

    def in_scope(self, user: Any, obj: User) -> bool:
        p = principal(user)
        if p.user_id is None:
            return False
        if obj.pk == p.user_id or is_partnership_admin(user) or is_partnership_auditor(user):
            return True
        agencies = p.agencies_with(Role.AGENCY_ADMIN)
        return bool(agencies) and Membership.objects.filter(user_id=obj.pk, agency_id__in=agencies).exists()

    def permits(self, user: Any, action: str, obj: User | None) -> bool:
        if action == "create":
            return is_partnership_admin(user) or bool(principal(user).agencies_with(Role.AGENCY_ADMIN))
        if action == "view":
            return obj is not None
        return False


@register
class ApiTokenPolicy(Policy[ApiToken]):
    """An agency's API tokens are managed by that agency's admins (and partnership admins)."""

    model = ApiToken

    def scope(self, user: Any, action: str) -> Q | None:
        if is_partnership_admin(user):
            return Q()
        agencies = principal(user).agencies_with(Role.AGENCY_ADMIN)
        return Q(agency_id__in=agencies) if agencies else None

    def in_scope(self, user: Any, obj: ApiToken) -> bool:
        return is_partnership_admin(user) or is_agency_admin(user, obj.agency_id)

    def permits(self, user: Any, action: str, obj: ApiToken | None) -> bool:
        return obj is not None and action in {"view", "revoke"} and self.in_scope(user, obj)


# The audit trail is read by auditors (the whole partnership, or one agency's part of it), and by DPOs
# and Caldicott guardians for their own agency (DESIGN 1, 2.6).
register_resource(
    AUDIT_TRAIL,
    lambda user, action: action == "view" and (is_auditor(user) or is_caldicott_or_dpo(user)),
    lambda user, action: "Only auditors, Caldicott guardians and data protection officers can read the audit trail.",
)
