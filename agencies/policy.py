"""Roles as named predicates, and the policies of the agencies app (DESIGN 1, 3.2).

A user's active memberships are loaded once per request into a `Principal` (one query) and every role
predicate below is answered from it in memory, so a page can ask twenty questions without twenty queries.
Other apps' policies build on these predicates; they never read Membership rows themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from django.conf import settings
from django.db.models import Count, Max, Q
from django.utils import timezone

from agencies.models import (
    AccessRequestState,
    Agency,
    AgencyKind,
    AgencySanction,
    ApiToken,
    Area,
    ChecklistConfirmation,
    Invitation,
    Membership,
    Role,
    SecurityDocument,
    SecurityDocumentAccessRequest,
    SignatoryRequirement,
    TrainingCourse,
    TrainingRecord,
    User,
)
from agencies.rules import (
    WIDENING_FACTS,
    WIDENING_FLAGS,
    AgencyAct,
    AgencyStanding,
    Grants,
    SanctionFacts,
    TokenScope,
    agency_may_share,
    agency_standing,
    sanction_refusal,
    standing_refusal,
    token_scopes_effective,
)
from audit.services import ActorIdentity
from isp_portal.audit_panel import AUDIT_TRAIL
from isp_portal.policy import Policy, Resource, register, register_gate, register_resource
from isp_portal.rows import Statement, fetch


def may_be_authorised_for_restricted(agency_kind: str | None) -> bool:
    """Whether a member of an agency of this kind (None: the partnership itself) may be authorised for
    restricted information. WYCPS: only authorised social-care (local authority) staff see restricted indicators
    ("Only authorised Social Services personnel may access this information"). The one rule for setting the flag
    (agencies.services.people.membership_update, the member form) and for reading by it (MembershipFacts
    .reads_restricted): a flag set while the agency was a local authority gives nothing once it is not (break10g
    finding 3), even before agency_update clears it."""
    return agency_kind == AgencyKind.LOCAL_AUTHORITY


@dataclass(frozen=True)
class MembershipFacts:
    """What the policy needs to know about one active membership."""

    membership_id: int
    agency_id: int | None
    agency_name: str
    agency_status: str
    agency_area: str  # the GSS code of the agency's area (agencies.Area); "" when it has none
    roles: frozenset[str]
    is_caldicott_guardian: bool
    is_data_protection_officer: bool
    is_nominated_representative: bool = False
    # Southampton 13: a Head of Service or Service Manager takes stage 2 of a dispute.
    is_head_of_service: bool = False
    authorised_for_restricted: bool = False
    # The agency's ICO registration expiry, so its standing (agencies.rules.agency_standing) is known
    # without another query.
    agency_ico_expires_on: date | None = None
    agency_kind: str = ""  # agencies.AgencyKind; "" for the partnership

    @property
    def reads_restricted(self) -> bool:
        """Authorised for restricted information, in an agency that may hold the authorisation
        (may_be_authorised_for_restricted)."""
        return self.authorised_for_restricted and may_be_authorised_for_restricted(self.agency_kind)

    @property
    def is_partnership(self) -> bool:
        return self.agency_id is None

    @property
    def role_labels(self) -> list[str]:
        return roles_in_words(self.roles)


def roles_in_words(roles: Iterable[str]) -> list[str]:
    """A membership's roles in words, in a fixed order."""
    return [Role(role).label for role in sorted(roles)]


@dataclass(frozen=True)
class Principal:
    """A signed-in user's active memberships, loaded once per request."""

    user_id: int | None
    is_system: bool
    memberships: tuple[MembershipFacts, ...]
    # An API token's effective scopes (agencies.rules.TokenScope values); None for a person. A system
    # account without a usable token has no scopes, so it may do nothing.
    token_scopes: frozenset[str] | None = None
    # Answers derived from these facts alone, kept for the principal's life (one request): the policy asks the
    # same question of one user many times a page (sharing.policy.index_candidates, issue 10's record page).
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    def agencies_with(self, *roles: str) -> frozenset[int]:
        wanted = set(roles)
        return frozenset(m.agency_id for m in self.memberships if m.agency_id is not None and wanted & m.roles)

    def has(self, role: str, agency_id: int | None = None) -> bool:
        return any(role in m.roles and (agency_id is None or m.agency_id == agency_id) for m in self.memberships)

    @property
    def primary(self) -> MembershipFacts | None:
        return self.memberships[0] if self.memberships else None

    @property
    def is_token(self) -> bool:
        return self.token_scopes is not None

    def membership_in(self, agency_id: int) -> MembershipFacts | None:
        return next((m for m in self.memberships if m.agency_id == agency_id), None)


NOBODY = Principal(user_id=None, is_system=False, memberships=())


def principal(user: Any) -> Principal:
    """The user's principal, cached on the user object for the rest of the request.

    On a web request it is already there: agencies.identity put it on request.user from the cached identity
    (no statement), or with the user in one statement. Elsewhere (tasks, API tokens, tests) one statement."""
    if user is None or not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return NOBODY
    cached = getattr(user, "_isp_principal", None)
    if isinstance(cached, Principal):
        return cached
    token_scopes: frozenset[str] | None = None
    if getattr(user, "is_system", False):
        # The token's scopes: set by the API authentication from the token it checked, else looked up.
        scopes = getattr(user, "_isp_token_scopes", None)
        if scopes is None:
            scopes = [
                scope
                for row in ApiToken.objects.filter(
                    user_id=user.pk, revoked_at__isnull=True, expires_at__gt=timezone.now()
                ).values_list("scopes", flat=True)
                for scope in row
            ]
        token_scopes = frozenset(token_scopes_effective(scopes))
    from agencies.identity import MEMBERSHIP_FACTS, active_memberships, membership_facts

    rows = active_memberships(user.pk).values_list(*MEMBERSHIP_FACTS.values())
    loaded = Principal(
        user_id=user.pk,
        is_system=bool(getattr(user, "is_system", False)),
        memberships=tuple(membership_facts(dict(zip(MEMBERSHIP_FACTS, row, strict=True))) for row in rows),
        token_scopes=token_scopes,
    )
    user._isp_principal = loaded
    return loaded


def forget_principal(user: Any) -> None:
    """Drop the cached principal after the user's memberships changed within this request."""
    if hasattr(user, "_isp_principal"):
        del user._isp_principal


# --- Training (Buckinghamshire 4: accreditation before access) -------------------------------------------------


def training_valid_until(user: Any) -> date | bool | None:
    """Until when the user's information-sharing training counts: a date, True for "does not expire", or
    None when they have none that is valid today. One query, cached on the user for the request."""
    if user is None or not getattr(user, "is_authenticated", False) or getattr(user, "pk", None) is None:
        return None
    if hasattr(user, "_isp_training"):
        cached: date | bool | None = user._isp_training
        return cached
    from agencies.identity import valid_training_records

    valid = valid_training_records(user.pk, timezone.localdate())
    result: date | bool | None = None
    latest = valid.aggregate(latest=Max("expires_on"), open_ended=Count("pk", filter=Q(expires_on__isnull=True)))
    if latest["open_ended"]:
        result = True
    elif latest["latest"] is not None:
        result = latest["latest"]
    user._isp_training = result
    return result


def forget_training(user: Any) -> None:
    if hasattr(user, "_isp_training"):
        del user._isp_training
    cached = getattr(user, "_isp_principal", None)
    if isinstance(cached, Principal):
        cached.memo.clear()  # answers that followed from the training (sharing.policy.index_candidates)


def has_valid_training(user: Any) -> bool:
    return training_valid_until(user) is not None


def training_gate_reason(user: Any) -> str | None:
    """Why the user may not open child records yet (None when the gate is off or they are trained).

    The gate is the TRAINING_GATE setting, on by default (Buckinghamshire 4)."""
    if not settings.TRAINING_GATE or getattr(user, "is_system", False) or has_valid_training(user):
        return None
    # The partnership's own people (no agency) have their training recorded by a partnership admin
    # (agencies.services.training._training_agency): tell them whom to ask.
    who = "your agency admin" if agencies_of(user) else "another partnership admin"
    return (
        "You cannot open child records until your information-sharing training is recorded. "
        f"Complete a recognised information-sharing course, then ask {who} to record it."
    )


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


def audit_trail_agencies(user: Any) -> frozenset[int] | None:
    """The agencies whose part of the audit trail the user may read; None means the whole partnership.

    Only a partnership auditor reads the whole trail. An agency's auditor, Caldicott guardian or data
    protection officer reads their own agency's part (DESIGN 1, 2.6): the DPO flag is advice for one
    agency, never a window on the partnership."""
    if is_partnership_auditor(user):
        return None
    return principal(user).agencies_with(Role.AUDITOR) | frozenset(
        m.agency_id
        for m in principal(user).memberships
        if m.agency_id is not None and (m.is_caldicott_guardian or m.is_data_protection_officer)
    )


def is_head_of_service(user: Any, agency_id: int | None = None) -> bool:
    """Southampton 13: whether the user is a Head of Service or Service Manager (of `agency_id`, when given)."""
    return any(
        m.is_head_of_service and m.agency_id is not None and (agency_id is None or m.agency_id == agency_id)
        for m in principal(user).memberships
    )


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


def agency_can_share(agency: Agency, today: date | None = None) -> bool:
    """The sharing app asks this before any disclosure, for the sender and for every recipient."""
    return agency_may_share(agency.status, agency.ico_registration_expires_on, today or timezone.localdate())


# --- What an agency that may not share may still do (issue 8, item 4) -------------------------------------------
# The table is agencies.rules.STANDING_ALLOWS; these apply it to the agency an action is for. Every policy
# that lets an agency's people act for it asks `agency_refusal` (or `member_refusal`) first.

# What each agency-level action of AgencyPolicy means for the agency's standing. Keeping the register
# (create, change_registry, change_status) is the partnership's business, not the agency's, and is not here.
AGENCY_ACTION_ACTS: dict[str, AgencyAct] = {
    "view": AgencyAct.READ,
    "view_people": AgencyAct.READ,
    "change": AgencyAct.KEEP_DETAILS,
    "manage_training": AgencyAct.KEEP_TRAINING,
    "manage_members": AgencyAct.MANAGE_PEOPLE,
    "create_api_token": AgencyAct.MANAGE_PEOPLE,
    "administer": AgencyAct.READ,
    "upload_security_document": AgencyAct.COMPLIANCE,
    "confirm_checklist": AgencyAct.COMPLIANCE,
    "sign_protocols": AgencyAct.TAKE_PART,
    "request_security_document": AgencyAct.TAKE_PART,
}


def sanctions_of(agency: Agency) -> tuple[SanctionFacts, ...]:
    """The agency's sanctions (agencies.AgencySanction), all of them whatever the day asked about: one query,
    kept on the agency object for the rest of the request (a disclosure asks once per tier and direction)."""
    cached = agency.__dict__.get("_isp_sanctions")
    if cached is None:
        cached = tuple(
            SanctionFacts(*row)
            for row in AgencySanction.objects.filter(agency_id=agency.pk).values_list(
                "scope", "direction", "from_on", "until_on", "reason", "breach_reference"
            )
        )
        agency.__dict__["_isp_sanctions"] = cached
    return cached


# sanctions_load's read, prepared once per connection (isp_portal.rows.Statement: every request, answer and approval
# asks it; issue 12). Each agency's sanctions in the model's order (Meta.ordering: newest first).
_SANCTIONS = Statement(
    "isp_agency_sanctions",
    """SELECT agency_id, scope, direction, from_on, until_on, reason, breach_reference FROM agencies_agencysanction
    WHERE agency_id = ANY(%(agencies)s::bigint[]) ORDER BY agency_id, from_on DESC, id DESC""",
)


def sanctions_load(agencies: Iterable[Agency]) -> None:
    """Load the sanctions of several agencies in one query, kept on each agency object as `sanctions_of` keeps
    them (a disclosure asks of both its ends: one statement, not one per agency)."""
    wanted = {agency.pk: agency for agency in agencies if "_isp_sanctions" not in agency.__dict__}
    if not wanted:
        return
    found: dict[int, list[SanctionFacts]] = {pk: [] for pk in wanted}
    rows = fetch(_SANCTIONS, {"agencies": sorted(wanted)})
    for agency_id, scope, direction, from_on, until_on, reason, reference in rows:
        found[agency_id].append(SanctionFacts(scope, direction, from_on, until_on, reason, reference))
    for pk, agency in wanted.items():
        agency.__dict__["_isp_sanctions"] = tuple(found[pk])


def forget_sanctions(agency: Agency) -> None:
    agency.__dict__.pop("_isp_sanctions", None)


# The words for an agency that may take part but may not share: a new partner with no ICO registration yet.
_NO_ICO_SHARING = (
    "{name} has no ICO registration recorded, so it cannot send or receive information. "
    "It can once its ICO registration is recorded on its page."
)


def sharing_refusal(agency: Agency, *, tier: str, direction: Literal["send", "receive"], on: date) -> str | None:
    """The one question the disclosures ask of the agencies layer: why `agency` may not `direction` information
    of `tier` ("minimum" or "sensitive") on the day `on`, in words naming the rule, or None when it may. In order:
    its standing (suspended, left, ICO lapsed: agencies.rules.standing_refusal for taking part in the protocol),
    the sharing gate (agency_may_share: active with an ICO registration in force, Haringey 4.1-4.2), then the
    sanctions agreed after a breach (Haringey 6.6; DESIGN 2.5: a suspension is enforced by the access policy).
    At most one query (the sanctions, once per agency object)."""
    standing = agency_standing(agency.status, agency.ico_registration_expires_on, on)
    refusal = standing_refusal(agency.name, standing, AgencyAct.TAKE_PART)
    if refusal is not None:
        return refusal
    if not agency_may_share(agency.status, agency.ico_registration_expires_on, on):
        return _NO_ICO_SHARING.format(name=agency.name)
    return sanction_refusal(sanctions_of(agency), tier=tier, direction=direction, on=on, agency_name=agency.name)


def standing_of(agency: Agency, today: date | None = None) -> AgencyStanding:
    if today is None:
        # An agency read for its page carries the day the page is as of (agencies.selectors.agency_page): the
        # page asks the policy about it ten times, and the local date costs more than the rule (issue 9).
        facts = getattr(agency, "page_facts", None)
        today = facts.as_of if facts is not None else timezone.localdate()
    return agency_standing(agency.status, agency.ico_registration_expires_on, today)


def agency_refusal(agency: Agency | None, act: AgencyAct) -> str | None:
    """Why nobody may do `act` for `agency` now (None when they may, or when it is the partnership)."""
    if agency is None:
        return None
    return standing_refusal(agency.name, standing_of(agency), act)


def member_refusal(user: Any, agency_id: int, act: AgencyAct) -> str | None:
    """As agency_refusal, for an agency the user is a member of, answered from their principal (no query)."""
    facts = principal(user).membership_in(agency_id)
    if facts is None:
        return None
    standing = agency_standing(facts.agency_status, facts.agency_ico_expires_on, timezone.localdate())
    return standing_refusal(facts.agency_name, standing, act)


def refusal_for(user: Any, agency_id: int | None, load: Callable[[], Agency | None], act: AgencyAct) -> str | None:
    """agency_refusal for the agency with `agency_id`: from the user's principal when they are a member of it
    (no query), else from the agency `load()` returns (a related object, loaded at most once)."""
    if agency_id is None:
        return None
    if principal(user).membership_in(agency_id) is not None:
        return member_refusal(user, agency_id, act)
    return agency_refusal(load(), act)


def may_act_for(user: Any, agency_id: int, act: AgencyAct) -> bool:
    return member_refusal(user, agency_id, act) is None


def administered_refusal(user: Any, act: AgencyAct, *, besides: int | None = None) -> str | None:
    """Why the user may not do `act` for any agency they administer (other than `besides`) because of its
    standing: the first such agency's standing rule, when none of them may (None when one may, or when they
    administer none). For refusals of actions done on behalf of "an agency the user administers" (giving
    notice of an audit, signing, asking to see a document): the standing rule is the reason, not the role."""
    administered = sorted(principal(user).agencies_with(Role.AGENCY_ADMIN) - {besides})
    refusals = [member_refusal(user, agency_id, act) for agency_id in administered]
    if not refusals or any(why is None for why in refusals):
        return None
    return refusals[0]


# --- Who may give and take away roles and flags (issue 8, item 2; DESIGN 4) ------------------------------------


def acts_as(actor: Any, user_id: int | None) -> bool:
    """Whether `actor` acts as the person `user_id`: is them, or is the system account of an API token they
    made (ApiToken.created_by). Nobody widens their own access (DESIGN 4), and a token one made is one's own
    hand: what a person may not do for themselves, their token may not do for them either (issue 8)."""
    if user_id is None or not isinstance(actor, User) or actor.pk is None:
        return False
    if actor.pk == user_id:
        return True
    if not actor.is_system:
        return False
    creators = getattr(actor, "_isp_token_creators", None)
    if creators is None:
        creators = frozenset(ApiToken.objects.filter(user_id=actor.pk).values_list("created_by_id", flat=True))
        actor._isp_token_creators = creators  # type: ignore[attr-defined]
    return user_id in creators


def grants(actor: Any, membership: Membership) -> Grants:
    """What `actor` may change on `membership`: which roles they may add or remove and which widening flags
    they may set or clear (and the widening facts, WIDENING_FACTS, set like flags). Nobody widens their own
    access, nor through a token they made (acts_as); a partnership admin gives and removes the
    auditor role (an agency's auditor checks its admins) and partnership roles; an agency's admins give
    and remove its other roles and flags; an API token never touches admin roles or widening flags.

    In an agency whose standing does not let it take people on or change their roles and details
    (AgencyAct.MANAGE_PEOPLE: suspended, ICO registration lapsed; agencies.rules.STANDING_ALLOWS), nobody
    adds a role or sets a flag, nor changes a member's details, a partnership admin included: the
    partnership's lever is the agency's status, which a partnership admin changes. Removing roles and
    clearing flags only narrows access (AgencyAct.REMOVE_ACCESS), so it stays open to the agency's admins
    and partnership admins whatever the standing, like ending a membership. `standing_refusal` then says why
    (the service refuses anything else with it, a 403; the page offers only the removals)."""
    from isp_portal.policy import SystemActor

    if isinstance(actor, SystemActor):
        every_flag = frozenset(WIDENING_FLAGS) | frozenset(WIDENING_FACTS)
        every_role = frozenset(role.value for role in Role)
        return Grants(roles_add=every_role, roles_remove=every_role, flags_set=every_flag, flags_clear=every_flag)
    p = principal(actor)
    partnership_admin = is_partnership_admin(actor)
    roles: set[str] = set()
    flags: set[str] = set()
    if membership.agency_id is None:
        if partnership_admin:
            roles = {Role.PARTNERSHIP_ADMIN.value, Role.AUDITOR.value}
            flags = set(WIDENING_FACTS)  # the agency flags belong to an agency; a vetting check to anyone
    elif partnership_admin or is_agency_admin(actor, membership.agency_id):
        roles = {Role.PRACTITIONER.value, Role.DESIGNATED_MANAGER.value, Role.AGENCY_ADMIN.value}
        flags = set(WIDENING_FLAGS) | set(WIDENING_FACTS)
        if partnership_admin:
            roles.add(Role.AUDITOR.value)
    if p.is_token:
        # A machine keeps staff lists in step; who administers the agency, and who holds a widening flag,
        # is decided by people.
        roles -= {Role.AGENCY_ADMIN.value, Role.AUDITOR.value, Role.PARTNERSHIP_ADMIN.value}
        flags = set()
    removable = frozenset(str(role) for role in roles)
    clearable = frozenset(flags)
    standing = (
        refusal_for(actor, membership.agency_id, lambda: membership.agency, AgencyAct.MANAGE_PEOPLE)
        if roles or flags
        else None
    )
    is_self = acts_as(actor, membership.user_id)
    if is_self or standing:
        return Grants(
            roles_remove=removable,
            flags_clear=clearable,
            is_self=is_self,
            is_token=p.is_token,
            roles_for_others=frozenset() if standing else removable,
            flags_for_others=frozenset() if standing else clearable,
            standing_refusal=standing,
        )
    return Grants(
        roles_add=removable, roles_remove=removable, flags_set=clearable, flags_clear=clearable, is_token=p.is_token
    )


# --- API token scopes (issue 8, item 3; DESIGN 4) ---------------------------------------------------------------
# What each scope lets a token do, as (target, action) pairs: the target is a model label ("agencies.agency"),
# "<app>.*" for every model of an app, or "resource:<name>". A token's allowed actions are these, for its
# scopes, intersected with what the policies allow its system account (whose role is the least its scopes
# need, agencies.rules.token_roles). Anything not listed is refused: deny by default.
TOKEN_SCOPE_ACTIONS: dict[TokenScope, frozenset[tuple[str, str]]] = {
    TokenScope.REGISTER_READ: frozenset(
        {
            ("agencies.agency", "view"),
            ("agencies.signatoryrequirement", "view"),
            ("agencies.trainingcourse", "view"),
            ("agencies.checklistconfirmation", "view"),
            ("protocols.*", "view"),
        }
    ),
    TokenScope.PEOPLE_READ: frozenset(
        {
            ("agencies.agency", "view"),
            ("agencies.agency", "view_people"),
            ("agencies.membership", "view"),
            ("agencies.user", "view"),
            ("agencies.invitation", "view"),
            ("agencies.trainingrecord", "view"),
            ("agencies.trainingcourse", "view"),
        }
    ),
    TokenScope.PEOPLE_ADMIN: frozenset(
        {
            ("agencies.agency", "manage_members"),
            ("agencies.membership", "change"),
            ("agencies.membership", "deactivate"),
            ("agencies.invitation", "resend"),
            ("agencies.invitation", "revoke"),
        }
    ),
    TokenScope.TRAINING_WRITE: frozenset({("agencies.agency", "manage_training")}),
    # Raising, answering (declining, or sharing: the entries are read through records:read, the child through
    # children:read) and withdrawing information requests for the agency (design12 F12). Never approving a
    # disclosure, reviewing or revoking one, nor receiving one: those are people's (DESIGN 4; Haringey 4.6).
    TokenScope.REQUESTS_WRITE: frozenset(
        {
            ("disclosures.informationrequest", "view"),
            ("disclosures.informationrequest", "create"),
            ("disclosures.informationrequest", "answer"),
            ("disclosures.informationrequest", "withdraw"),
        }
    ),
    # The child index (issue 10). The minimum tier only: which agencies are involved and which categories of
    # entry they hold, never an entry's content (sharing.policy.entry_access caps a token at that).
    TokenScope.CHILDREN_READ: frozenset(
        {
            ("resource:child_index", "view"),
            # The aggregate tier's counts (sharing.policy.CHILD_AGGREGATE): less than the minimum tier.
            ("resource:child_aggregate", "view"),
            ("sharing.child", "view"),
            ("sharing.child", "search"),
            ("sharing.involvement", "view"),
            ("sharing.recordentry", "view"),
        }
    ),
    TokenScope.CHILDREN_WRITE: frozenset(
        {
            ("sharing.child", "create"),
            ("sharing.child", "add_involvement"),
            ("sharing.child", "change"),
            # Shielding protects a child at once; lifting a shield is a designated manager's, in person.
            ("sharing.child", "shield"),
            ("sharing.involvement", "end"),
            ("sharing.involvement", "change"),
        }
    ),
    # The content of the token's own agency's entries: never a restricted one (only authorised social-care
    # staff, people, see those: WYCPS) and never through a grant (grants name people: DESIGN 4, system
    # accounts are never recipients).
    TokenScope.RECORDS_READ: frozenset(
        {("sharing.recordentry", "read"), ("sharing.recordentry", "history"), ("sharing.entryrevision", "view")}
    ),
    TokenScope.RECORDS_WRITE: frozenset({("sharing.child", "record_entry"), ("sharing.recordentry", "revise")}),
}


# What every token may do whatever its scopes: say who it is (GET /api/v1/me/).
TOKEN_ALWAYS: frozenset[tuple[str, str]] = frozenset({("resource:signed-in", "view")})


def token_scope_allows(scopes: frozenset[str], action: str, target_label: str) -> bool:
    app = target_label.split(".", 1)[0]
    wanted = {(target_label, action), (f"{app}.*", action)}
    return bool(wanted & TOKEN_ALWAYS) or any(wanted & TOKEN_SCOPE_ACTIONS[TokenScope(scope)] for scope in scopes)


def token_gate(user: Any, action: str, target_label: str) -> str | None:
    """The gate the access policy passes every decision through: an API token may only do what its scopes
    allow (DESIGN 4: least privilege). People pass untouched (and without a query)."""
    if not getattr(user, "is_system", False):
        return None
    scopes = principal(user).token_scopes
    if scopes is None or token_scope_allows(scopes, action, target_label):
        return None
    listed = ", ".join(sorted(scopes)) or "none"
    return (
        f"This API token's scopes ({listed}) do not allow this. "
        "An agency admin can make a token with the scope it needs."
    )


register_gate(token_gate)


def requesting_agency_for(user: Any, owner: Agency) -> int | None:
    """The agency on whose behalf `user` would ask to see `owner`'s security document: the first active
    agency, other than the owner, that they administer."""
    for membership in principal(user).memberships:
        if (
            membership.agency_id is not None
            and membership.agency_id != owner.pk
            and Role.AGENCY_ADMIN in membership.roles
            and may_act_for(user, membership.agency_id, AgencyAct.TAKE_PART)
        ):
            return membership.agency_id
    return None


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
    """The partner register is visible to every member of the partnership. Partnership admins keep the
    register (create, rename, status); each agency's admins keep its contact and ICO details, its people,
    its training records, its security document and its checklist."""

    model = Agency

    def scope(self, user: Any, action: str) -> Q | None:
        if action == "view" and has_any_role(user):
            return Q()
        if action in {"change", "manage_members", "manage_training"}:
            if is_partnership_admin(user):
                return Q()
            agencies = principal(user).agencies_with(Role.AGENCY_ADMIN)
            return Q(pk__in=agencies) if agencies else None
        return None

    def in_scope(self, user: Any, obj: Agency) -> bool:
        return has_any_role(user)

    def permits(self, user: Any, action: str, obj: Agency | None) -> bool:
        if action == "view":
            return has_any_role(user)
        if action in {"create", "change_registry", "change_status"}:
            return is_partnership_admin(user)
        if obj is None:
            return False
        if agency_refusal(obj, self._act(user, action)):
            return False
        own_admin = is_agency_admin(user, obj.pk)
        if action in {"change", "manage_members", "manage_training", "create_api_token", "administer"}:
            # API tokens are made and revoked by people only (no token scope lists these actions).
            return is_partnership_admin(user) or own_admin
        if action in {"upload_security_document", "confirm_checklist", "sign_protocols"}:
            return own_admin
        if action == "view_people":
            # An agency's own auditor sees its people (it is one of their agencies); only a partnership
            # auditor sees every agency's (DESIGN 1).
            return is_partnership_admin(user) or is_partnership_auditor(user) or obj.pk in agencies_of(user)
        if action == "request_security_document":
            # Asked by an admin on behalf of their own agency, which must be able to take part.
            return own_admin
        if action == "request_document_of":
            # Asking to see `obj`'s document: the user must admin another active agency (Haringey 7.2).
            return requesting_agency_for(user, obj) is not None
        return False

    @staticmethod
    def _act(user: Any, action: str) -> AgencyAct:
        """What the action means for the agency's standing. A partnership admin keeping the register (the
        agency's details, whatever its standing, say after it has left) is not the agency acting."""
        if action == "change" and is_partnership_admin(user):
            return AgencyAct.READ
        return AGENCY_ACTION_ACTS.get(action, AgencyAct.READ)

    def reason(self, user: Any, action: str, obj: Agency | None) -> str:
        standing = agency_refusal(obj, self._act(user, action)) if obj is not None else None
        if standing:
            return standing
        if action in {"create", "change_registry", "change_status"}:
            return "Only partnership admins can register agencies, change their name or kind, or change their status."
        if action in {"upload_security_document", "confirm_checklist", "sign_protocols"}:
            return "Only this agency's own admins can do this."
        if action == "request_document_of" and obj is not None:
            why = administered_refusal(user, AgencyAct.TAKE_PART, besides=obj.pk)
            if why:
                return why
        if action in {"request_security_document", "request_document_of"}:
            return "Only an admin of another active partner agency can ask, on its behalf, to see this document."
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
        if action in {"change", "deactivate"} and obj is not None:
            return self._refusal(user, action, obj) is None
        if action == "create" and obj is None:
            # Partnership-level memberships; agency memberships are checked as "manage_members" on the agency.
            return is_partnership_admin(user)
        # Who may give and take away which role or flag is decided by `grants` (one place for it).
        return False

    def _refusal(self, user: Any, action: str, obj: Membership) -> str | None:
        if obj.agency_id is None:
            if is_partnership_admin(user):
                return None
            return "Only a partnership admin can change partnership memberships."
        if not (is_partnership_admin(user) or is_agency_admin(user, obj.agency_id)):
            return "Only this agency's admins or a partnership admin can change its members."
        if principal(user).is_token and Role.AGENCY_ADMIN in obj.roles:
            return "An API token cannot change or end an agency admin's membership: a person must."
        if principal(user).is_token and obj.user.is_system:
            # A system account exists for its token: ending it revokes that token, and its roles are what the
            # token's scopes need. No token makes or revokes tokens (DESIGN 4), by either route.
            return (
                "An API token cannot change or end another system's account: an agency admin revokes tokens on "
                "the agency's API tokens page."
            )
        # Ending a membership, and removing roles and flags, only removes access, which is always open; in an
        # agency that may not take people on, what else a change may do is decided by `grants` (its
        # `standing_refusal`), and the service refuses it with that reason (issue 8, item 4).
        return None

    def reason(self, user: Any, action: str, obj: Membership | None) -> str:
        if action in {"change", "deactivate"} and obj is not None:
            return self._refusal(user, action, obj) or "You do not have permission to do this."
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
    audit_trail_agencies,
)


def _role_holder_scope(user: Any) -> Q | None:
    return Q() if has_any_role(user) else None


@register
class InvitationPolicy(Policy[Invitation]):
    """An agency's invitations are seen and managed by its admins and partnership admins."""

    model = Invitation

    def scope(self, user: Any, action: str) -> Q | None:
        if is_partnership_admin(user):
            return Q()
        agencies = principal(user).agencies_with(Role.AGENCY_ADMIN)
        return Q(agency_id__in=agencies) if agencies else None

    def in_scope(self, user: Any, obj: Invitation) -> bool:
        return is_partnership_admin(user) or is_agency_admin(user, obj.agency_id)

    def permits(self, user: Any, action: str, obj: Invitation | None) -> bool:
        if obj is None or action not in {"view", "resend", "revoke"} or not self.in_scope(user, obj):
            return False
        # Withdrawing an invitation only removes access; sending a new link takes someone on.
        return (
            action != "resend" or refusal_for(user, obj.agency_id, lambda: obj.agency, AgencyAct.MANAGE_PEOPLE) is None
        )

    def reason(self, user: Any, action: str, obj: Invitation | None) -> str:
        if action == "resend" and obj is not None:
            why = refusal_for(user, obj.agency_id, lambda: obj.agency, AgencyAct.MANAGE_PEOPLE)
            return why or "Only the agency's admins can do this."
        return "Only the agency's admins or a partnership admin can do this."


@register
class AreaPolicy(Policy[Area]):
    """Everyone with a role may list the local-authority areas (the choices of every area field); partnership
    admins keep them (`manage.py areas`, agencies.services.area_create / area_recode)."""

    model = Area

    def scope(self, user: Any, action: str) -> Q | None:
        return _role_holder_scope(user)

    def in_scope(self, user: Any, obj: Area) -> bool:
        return has_any_role(user)

    def permits(self, user: Any, action: str, obj: Area | None) -> bool:
        if action == "view":
            return has_any_role(user)
        return action in {"create", "change"} and is_partnership_admin(user)


@register
class TrainingCoursePolicy(Policy[TrainingCourse]):
    """Everyone with a role sees the recognised courses; partnership admins keep the list."""

    model = TrainingCourse

    def scope(self, user: Any, action: str) -> Q | None:
        return _role_holder_scope(user)

    def in_scope(self, user: Any, obj: TrainingCourse) -> bool:
        return has_any_role(user)

    def permits(self, user: Any, action: str, obj: TrainingCourse | None) -> bool:
        if action == "view":
            return has_any_role(user)
        return action in {"create", "change"} and is_partnership_admin(user)


@register
class TrainingRecordPolicy(Policy[TrainingRecord]):
    """People see their own training; agency admins see their members'; partnership admins and
    partnership auditors see all."""

    model = TrainingRecord

    def scope(self, user: Any, action: str) -> Q | None:
        p = principal(user)
        if p.user_id is None or action != "view":
            return None
        if is_partnership_admin(user) or is_partnership_auditor(user):
            return Q()
        agencies = p.agencies_with(Role.AGENCY_ADMIN, Role.AUDITOR)
        condition = Q(user_id=p.user_id)
        if agencies:
            members = Membership.objects.filter(agency_id__in=agencies, is_active=True).values("user_id")
            condition |= Q(user_id__in=members)
        return condition

    def permits(self, user: Any, action: str, obj: TrainingRecord | None) -> bool:
        return action == "view" and obj is not None


# The training of the partnership's own people (those with no agency: partnership admins and auditors). The
# training gate holds for them too (Buckinghamshire 4: accreditation before access), and no agency admin answers
# for them, so partnership admins see and record it (agencies.services.training; nobody records their own).
PARTNERSHIP_TRAINING = Resource("partnership-training", "the training of the partnership's own people")
register_resource(
    PARTNERSHIP_TRAINING,
    lambda user, action: action in {"view", "manage_training"} and is_partnership_admin(user),
    lambda user, action: "Only a partnership admin can see or record the training of the partnership's own people.",
)


@register
class SecurityDocumentPolicy(Policy[SecurityDocument]):
    """Haringey 7.2: an agency's own members see its security document; another agency's people see it
    only under a grant (a django-guardian permission on their agency's group) that has not expired."""

    model = SecurityDocument

    def scope(self, user: Any, action: str) -> Q | None:
        if action != "view" or not has_any_role(user):
            return None
        today = timezone.localdate()
        granted = SecurityDocumentAccessRequest.objects.filter(
            requesting_agency_id__in=agencies_of(user), state=AccessRequestState.GRANTED, access_expires_on__gte=today
        ).values("document_id")
        return Q(agency_id__in=agencies_of(user)) | Q(pk__in=granted)

    def in_scope(self, user: Any, obj: SecurityDocument) -> bool:
        if obj.agency_id in agencies_of(user):
            return True
        return _granted(user, obj)

    def permits(self, user: Any, action: str, obj: SecurityDocument | None) -> bool:
        return action == "view" and obj is not None


def _granted(user: Any, document: SecurityDocument) -> bool:
    """The guardian grant, and an unexpired decision behind it (the sweep also withdraws expired grants)."""
    if not has_any_role(user) or not user.has_perm("agencies.view_securitydocument", document):
        return False
    return SecurityDocumentAccessRequest.objects.filter(
        document=document,
        requesting_agency_id__in=agencies_of(user),
        state=AccessRequestState.GRANTED,
        access_expires_on__gte=timezone.localdate(),
    ).exists()


@register
class SecurityDocumentAccessRequestPolicy(Policy[SecurityDocumentAccessRequest]):
    """A request is seen by the admins of both agencies and by partnership admins; the owner decides."""

    model = SecurityDocumentAccessRequest

    def scope(self, user: Any, action: str) -> Q | None:
        if is_partnership_admin(user):
            return Q()
        agencies = principal(user).agencies_with(Role.AGENCY_ADMIN)
        if not agencies:
            return None
        return Q(requesting_agency_id__in=agencies) | Q(document__agency_id__in=agencies)

    def in_scope(self, user: Any, obj: SecurityDocumentAccessRequest) -> bool:
        agencies = principal(user).agencies_with(Role.AGENCY_ADMIN)
        return is_partnership_admin(user) or obj.requesting_agency_id in agencies or obj.document.agency_id in agencies

    def permits(self, user: Any, action: str, obj: SecurityDocumentAccessRequest | None) -> bool:
        if obj is None:
            return False
        if action == "view":
            return True
        return (
            action == "decide"
            and is_agency_admin(user, obj.document.agency_id)
            and refusal_for(user, obj.document.agency_id, lambda: obj.document.agency, AgencyAct.TAKE_PART) is None
        )

    def reason(self, user: Any, action: str, obj: SecurityDocumentAccessRequest | None) -> str:
        if action == "decide" and obj is not None and is_agency_admin(user, obj.document.agency_id):
            why = refusal_for(user, obj.document.agency_id, lambda: obj.document.agency, AgencyAct.TAKE_PART)
            return why or "You cannot decide on this request."
        return "Only the admins of the agency that owns the document can decide on a request."


@register
class SignatoryRequirementPolicy(Policy[SignatoryRequirement]):
    """Everyone with a role sees the requirements list; partnership admins keep it."""

    model = SignatoryRequirement

    def scope(self, user: Any, action: str) -> Q | None:
        if action == "view":
            return _role_holder_scope(user)
        return Q() if is_partnership_admin(user) else None

    def in_scope(self, user: Any, obj: SignatoryRequirement) -> bool:
        return has_any_role(user)

    def permits(self, user: Any, action: str, obj: SignatoryRequirement | None) -> bool:
        if action == "view":
            return has_any_role(user)
        return action in {"create", "change"} and is_partnership_admin(user)

    def reason(self, user: Any, action: str, obj: SignatoryRequirement | None) -> str:
        return "Only partnership admins can change the signatory requirements."


@register
class ChecklistConfirmationPolicy(Policy[ChecklistConfirmation]):
    """Checklists are open to every member of the partnership: compliance is everyone's business."""

    model = ChecklistConfirmation

    def scope(self, user: Any, action: str) -> Q | None:
        return _role_holder_scope(user) if action == "view" else None

    def in_scope(self, user: Any, obj: ChecklistConfirmation) -> bool:
        return has_any_role(user)

    def permits(self, user: Any, action: str, obj: ChecklistConfirmation | None) -> bool:
        return action == "view" and has_any_role(user)
