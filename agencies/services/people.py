"""People: accounts, memberships and roles, invitations, API tokens (DESIGN 2.1, 4)."""

from __future__ import annotations

import functools
import hashlib
import secrets
import uuid
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from agencies.identity import identity_changed
from agencies.models import (
    AGENCY_ROLES,
    Agency,
    AgencyStatus,
    ApiToken,
    Invitation,
    Membership,
    Role,
    TokenScope,
    User,
)
from agencies.policy import agency_refusal, forget_principal, grants, may_be_authorised_for_restricted
from agencies.rules import (
    TOKEN_MAX_LIFETIME_DAYS,
    WIDENING_FACTS,
    WIDENING_FLAGS,
    AgencyAct,
    Grants,
    last_admin_problem,
    privilege_change_problems,
    token_roles,
)
from agencies.services.registry import agency_group
from audit.services import audit_record
from isp_portal.demo_context import demo_credential_refused
from isp_portal.policy import NotPermitted, SystemActor, require
from isp_portal.wording import long_datetime

F = TypeVar("F", bound=Callable[..., Any])
ROLE_LABELS = {role.value: role.label for role in Role}
# A member's details (besides roles and flags): changing them is managing people (agencies.rules.AgencyAct).
MEMBER_DETAILS = ("job_title", "team", "line_manager", "vetting_checked_on")


class PrivilegeRefused(ValidationError):
    """A change to someone's access that the person asking may not make: giving themselves a role or flag,
    giving or taking away one they have no standing for, or leaving no administrator (DESIGN 4). A field
    error for the form or the API's 400, and an audit event (written after the refused change rolled back)."""

    def __init__(self, errors: dict[str, str], *, target: Any, action: str) -> None:
        super().__init__(errors)
        self.target = target
        self.action = action
        self.recorded = False


def audits_refusals(service: F) -> F:
    """Record a PrivilegeRefused as an audit event once the service's transaction has rolled back, so the
    record of the attempt survives it (the same pattern as policy denials)."""

    @functools.wraps(service)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return service(*args, **kwargs)
        except PrivilegeRefused as refusal:
            _record_refusal(kwargs.get("actor"), refusal)
            raise

    return wrapper  # type: ignore[return-value]


def _record_refusal(actor: Any, refusal: PrivilegeRefused) -> None:
    audit_record(
        kind="access.refused",
        actor=actor,
        outcome="denied",
        target=refusal.target if getattr(refusal.target, "pk", None) else None,
        detail={
            "action": refusal.action,
            "status": 400,
            "fields": dict(refusal.message_dict.items()),
        },
    )
    refusal.recorded = True  # the API and the pages record it no second time (isp_portal.api, .refusals)


def _check_privileges(
    actor: Any,
    membership: Membership,
    *,
    roles_after: Iterable[str],
    flags_after: dict[str, bool],
    action: str,
    allowed: Grants | None = None,
    facts_set: Iterable[str] = (),
) -> None:
    """Refuse a change of roles, widening flags or widening facts the actor may not make, and roles that may
    not be held together (agencies.policy.grants decides who may give and take away what;
    agencies.rules.privilege_change_problems applies it)."""
    problems = privilege_change_problems(
        facts_set=facts_set,
        grants=allowed or grants(actor, membership),
        roles_before=membership.roles if membership.pk else [],
        roles_after=roles_after,
        flags_before={field: bool(getattr(membership, field)) for field in WIDENING_FLAGS} if membership.pk else {},
        flags_after=flags_after,
        role_labels=ROLE_LABELS,
    )
    if problems:
        raise PrivilegeRefused(problems, target=membership, action=action)


def _check_ending(actor: Any, membership: Membership, *, action: str) -> None:
    """Ending a membership takes away every role and flag it holds, so it is refused to someone who could not
    take each of them away one by one (a partnership admin gave the auditor role, so only a partnership admin
    removes it, by either route: agencies.policy.grants). Anyone may end their own membership."""
    allowed = grants(actor, membership)
    if allowed.is_self:
        return
    roles = sorted(set(membership.roles) - allowed.roles_remove)
    flags = [
        WIDENING_FLAGS[field]
        for field in WIDENING_FLAGS
        if getattr(membership, field) and field not in allowed.flags_clear
    ]
    if not roles and not flags:
        return
    held = [f"the {ROLE_LABELS.get(role, role).lower()} role" for role in roles] + [
        f"the {flag} flag" for flag in flags
    ]
    who = (
        "a person" if allowed.is_token else "someone with the standing to remove " + ("them" if len(held) > 1 else "it")
    )
    raise PrivilegeRefused(
        {
            "membership": f"This membership holds {' and '.join(held)}, which you cannot take away: ask {who} "
            "to end it, or to remove that first."
        },
        target=membership,
        action=action,
    )


def _admin_role(membership: Membership) -> str:
    return Role.PARTNERSHIP_ADMIN if membership.agency_id is None else Role.AGENCY_ADMIN


# The advisory-lock class under which a place's administrators are counted (with the agency's id, or 0 for
# the partnership): see _keep_an_admin.
ADMINS_LOCK = 8108


def _keep_an_admin(membership: Membership, *, keeps_admin: bool, action: str, lock: bool = True) -> None:
    """The partnership and each agency always keep at least one active human administrator (DESIGN 4).

    Counting the other admins happens under a transaction-level advisory lock for the place, so two
    admins removing each other at once cannot both succeed: the second waits for the first to commit,
    then counts again and is refused. (Row locks on the other admins would deadlock instead: each request
    already holds its own membership's row.) An agency that has left the partnership keeps nobody
    (agency_status_change ends every membership)."""
    role = _admin_role(membership)
    if role not in membership.roles or not membership.is_active or keeps_admin or membership.user.is_system:
        return
    if membership.agency is not None and membership.agency.status == AgencyStatus.LEFT:
        return
    if lock:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [ADMINS_LOCK, membership.agency_id or 0])
    place = Q(agency_id=membership.agency_id) if membership.agency_id else Q(agency__isnull=True)
    others = (
        Membership.objects.filter(place, is_active=True, roles__contains=[role], user__is_active=True)
        .filter(user__is_system=False)
        .exclude(pk=membership.pk)
    )
    problem = last_admin_problem(
        holds_admin_now=True,
        keeps_admin=False,
        other_human_admins=others.count(),
        scope=str(membership.agency) if membership.agency is not None else "the partnership",
    )
    if problem:
        raise PrivilegeRefused({"membership": problem}, target=membership, action=action)


class Unset:
    """Marks an argument that was not passed (so None can mean "clear it")."""


UNSET = Unset()

API_TOKEN_PREFIX = "isp_"  # noqa: S105 - a prefix, not a secret


def _normalise_roles(roles: Iterable[str], *, agency: Agency | None) -> list[str]:
    cleaned = sorted({Role(role).value for role in roles})
    if not cleaned:
        raise ValidationError({"roles": "Choose at least one role."})
    if agency is None and set(cleaned) & {role.value for role in AGENCY_ROLES}:
        raise ValidationError({"roles": "Practitioner, designated manager and agency admin roles belong to an agency."})
    if agency is not None and Role.PARTNERSHIP_ADMIN in cleaned:
        raise ValidationError({"roles": "The partnership admin role cannot be given within an agency."})
    return cleaned


@transaction.atomic
def user_create(
    *,
    actor: Any,
    email: str,
    full_name: str,
    password: str | None = None,
    is_system: bool = False,
) -> User:
    """Create a person's account (or an agency system account). A password, when given, must pass the
    password rules (DESIGN 4); without one the user sets it from their invitation."""
    require(actor, "create", User)
    email = email.strip().lower()
    if User.objects.filter(email=email).exists():
        raise ValidationError({"email": "A user with this email address already exists."})
    user = User(email=email, full_name=full_name.strip(), is_system=is_system)
    if password:
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise ValidationError({"password": error.messages}) from None
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    audit_record(kind="user.create", actor=actor, target=user, detail={"is_system": is_system})
    return user


@audits_refusals
@transaction.atomic
def membership_create(
    *,
    actor: Any,
    user: User,
    agency: Agency | None,
    roles: Iterable[str],
    job_title: str = "",
    team: str = "",
    is_caldicott_guardian: bool = False,
    is_data_protection_officer: bool = False,
) -> Membership:
    """Give a user roles in an agency (or, with agency=None, partnership roles)."""
    if agency is None:
        require(actor, "create", Membership)
    else:
        require(actor, "manage_members", agency)
    cleaned = _normalise_roles(roles, agency=agency)
    # Nobody gives themselves a membership, and its roles and flags are the actor's to give (DESIGN 4).
    _check_privileges(
        actor,
        Membership(user=user, agency=agency),
        roles_after=cleaned,
        flags_after={
            "is_caldicott_guardian": is_caldicott_guardian,
            "is_data_protection_officer": is_data_protection_officer,
        },
        action="membership.create",
    )
    ended = (
        Membership.objects.select_for_update().filter(user=user, agency=agency, is_active=False).first()
        if agency is not None
        else None
    )
    if ended is not None:
        # Someone re-joining the agency (say, invited back): their ended membership is renewed with the new
        # roles, so that one person has one membership history per agency.
        return _membership_renew(
            actor,
            ended,
            roles=cleaned,
            job_title=job_title,
            team=team,
            is_caldicott_guardian=is_caldicott_guardian,
            is_data_protection_officer=is_data_protection_officer,
        )
    membership = Membership(
        user=user,
        agency=agency,
        roles=cleaned,
        job_title=job_title,
        team=team,
        is_caldicott_guardian=is_caldicott_guardian,
        is_data_protection_officer=is_data_protection_officer,
    )
    try:
        with transaction.atomic():
            membership.save()
    except IntegrityError:
        raise ValidationError({"user": f"{user} is already a member of {agency or 'the partnership'}."}) from None
    if agency is not None:
        user.groups.add(agency_group(agency))
    audit_record(kind="membership.create", actor=actor, target=membership, detail={"roles": cleaned})
    forget_principal(user)
    return membership


def _membership_renew(actor: Any, membership: Membership, **values: Any) -> Membership:
    for field, value in values.items():
        setattr(membership, field, value)
    membership.is_active = True
    membership.deactivated_at = None
    membership.line_manager = None  # their old manager may have moved on: set it again
    membership.save()
    assert membership.agency is not None
    membership.user.groups.add(agency_group(membership.agency))
    audit_record(kind="membership.renew", actor=actor, target=membership, detail={"roles": values["roles"]})
    forget_principal(membership.user)
    return membership


@audits_refusals
@transaction.atomic
def membership_update(
    *,
    actor: Any,
    membership: Membership,
    roles: Iterable[str] | None = None,
    job_title: str | None = None,
    team: str | None = None,
    line_manager: User | Unset | None = UNSET,
    is_caldicott_guardian: bool | None = None,
    is_data_protection_officer: bool | None = None,
    authorised_for_restricted: bool | None = None,
    is_nominated_representative: bool | None = None,
    is_head_of_service: bool | None = None,
    vetting_checked_on: date | Unset | None = UNSET,
) -> Membership:
    """Change a member's roles and details (their agency's admins, or a partnership admin).

    Only what is passed changes. Roles follow the same rules as at creation: agency roles in an agency,
    never a partnership role (DB constraints hold this too)."""
    membership = (
        Membership.objects.select_for_update(of=("self",)).select_related("agency", "user").get(pk=membership.pk)
    )
    require(actor, "change", membership)
    if not membership.is_active:
        raise ValidationError({"membership": "This membership has ended; invite the person again instead."})
    errors: dict[str, str] = {}
    changes: dict[str, Any] = {}
    if roles is not None:
        try:
            changes["roles"] = _normalise_roles(roles, agency=membership.agency)
        except ValidationError as error:
            errors.update({key: " ".join(value) for key, value in error.message_dict.items()})
    for field, value in (("job_title", job_title), ("team", team)):
        if value is not None:
            changes[field] = value.strip()
    for field, flag in (
        ("is_caldicott_guardian", is_caldicott_guardian),
        ("is_data_protection_officer", is_data_protection_officer),
        ("authorised_for_restricted", authorised_for_restricted),
        # Buckinghamshire 1-2: the person who answers protocol consultations for the agency.
        ("is_nominated_representative", is_nominated_representative),
        # Southampton 13: the Head of Service or Service Manager who takes stage 2 of a dispute.
        ("is_head_of_service", is_head_of_service),
    ):
        if flag is not None:
            changes[field] = flag
    if changes.get("authorised_for_restricted") and not may_be_authorised_for_restricted(
        membership.agency.kind if membership.agency is not None else None
    ):
        # WYCPS: only authorised social-care (local authority) staff may see restricted indicators.
        errors["authorised_for_restricted"] = (
            "Only local-authority social-care staff can be authorised for restricted information."
        )
    if not isinstance(line_manager, Unset):
        if line_manager is not None and line_manager.pk == membership.user_id:
            errors["line_manager"] = "A person cannot be their own line manager."
        elif (
            line_manager is not None
            and not Membership.objects.filter(user=line_manager, agency=membership.agency_id, is_active=True).exists()
        ):
            errors["line_manager"] = f"The line manager must be an active member of {membership.agency}."
        else:
            changes["line_manager"] = line_manager
    if not isinstance(vetting_checked_on, Unset):
        if vetting_checked_on is not None and vetting_checked_on > timezone.localdate():
            errors["vetting_checked_on"] = "The vetting check date must be today or in the past."
        else:
            changes["vetting_checked_on"] = vetting_checked_on
    if errors:
        raise ValidationError(errors)
    allowed = grants(actor, membership)
    flags_after = {field: changes[field] for field in WIDENING_FLAGS if field in changes}
    if allowed.standing_refusal and (
        any(field in changes and getattr(membership, field) != changes[field] for field in MEMBER_DETAILS)
        or not allowed.narrows(
            roles_before=membership.roles,
            roles_after=changes.get("roles", membership.roles),
            flags_before={field: bool(getattr(membership, field)) for field in WIDENING_FLAGS},
            flags_after=flags_after,
        )
    ):
        # The agency may not take people on or change their roles and details (a 403, like the policy's
        # refusals); taking roles and flags away stays open (agencies.policy.grants).
        raise NotPermitted(
            action="change",
            target_type="agencies.membership",
            target_id=str(membership.pk),
            reason=allowed.standing_refusal,
        )
    # The rule no one could get past comes first, so the refusal names it: an agency's only admin stepping
    # down to practitioner is told the agency must keep an administrator, not that she cannot give herself
    # the practitioner role (which another admin could, once there is one).
    if "roles" in changes:
        _keep_an_admin(membership, keeps_admin=_admin_role(membership) in changes["roles"], action="membership.update")
    _check_privileges(
        actor,
        membership,
        roles_after=changes.get("roles", membership.roles),
        flags_after=flags_after,
        action="membership.update",
        allowed=allowed,
        # A widening fact given a value (clearing one only narrows access).
        facts_set=[
            field
            for field in WIDENING_FACTS
            if changes.get(field) is not None and getattr(membership, field) != changes[field]
        ],
    )
    changed = {field: value for field, value in changes.items() if getattr(membership, field) != value}
    if not changed:
        return membership
    before = {field: _plain(getattr(membership, field)) for field in changed}
    for field, value in changed.items():
        setattr(membership, field, value)
    membership.save(update_fields=list(changed))
    audit_record(
        kind="membership.update",
        actor=actor,
        target=membership,
        detail={"changed": {field: [before[field], _plain(value)] for field, value in changed.items()}},
    )
    forget_principal(membership.user)
    return membership


def _plain(value: Any) -> Any:
    if isinstance(value, User):
        return value.email
    if isinstance(value, date):
        return value.isoformat()
    return value


def _end_sessions(user: User) -> None:
    # Rotating the stamp changes the session auth hash: every session of this user is refused from its
    # next request on (Django checks the hash on each request).
    User.objects.filter(pk=user.pk).update(session_stamp=uuid.uuid4())
    identity_changed(user.pk)  # update() sends no signal: drop the cached identity now


def membership_ending_refusal(*, actor: Any, membership: Membership) -> PrivilegeRefused | None:
    """Why ending this membership would be refused whatever reason is given (the rules
    membership_deactivate applies: the last active human admin stays, DESIGN 4; only someone with the
    standing takes a role or flag away), or None. For pages, which explain instead of offering a form that
    can only fail; not recorded here (record_privilege_refusal records an attempt)."""
    try:
        if not membership.is_active:
            raise PrivilegeRefused(
                {"membership": "This membership has already ended."}, target=membership, action="membership.deactivate"
            )
        _check_ending(actor, membership, action="membership.deactivate")
        _keep_an_admin(membership, keeps_admin=False, action="membership.deactivate", lock=False)
    except PrivilegeRefused as refusal:
        return refusal
    return None


def membership_admin_role_refusal(*, membership: Membership) -> str | None:
    """Why the admin role cannot be taken away from this membership by anyone (it is the last active human
    admin of its agency or of the partnership, DESIGN 4), or None."""
    try:
        _keep_an_admin(membership, keeps_admin=False, action="membership.update", lock=False)
    except PrivilegeRefused as refusal:
        return " ".join(refusal.messages)
    return None


def record_privilege_refusal(*, actor: Any, refusal: PrivilegeRefused) -> None:
    """Record a refused change to someone's access that a page refused before reaching the service (the
    same event as audits_refusals records), once."""
    if refusal.recorded:
        return
    _record_refusal(actor, refusal)


@audits_refusals
@transaction.atomic
def membership_deactivate(*, actor: Any, membership: Membership, reason: str) -> Membership:
    """End a membership. The user's sessions end at once (DESIGN 2.1). The last active human admin of the
    partnership or of an agency stays (DESIGN 4)."""
    membership = (
        Membership.objects.select_for_update(of=("self",)).select_related("agency", "user").get(pk=membership.pk)
    )
    require(actor, "deactivate", membership)
    if not reason.strip():
        raise ValidationError({"reason": "Say why this membership is ending."})
    if not membership.is_active:
        raise ValidationError({"membership": "This membership has already ended."})
    # Keeping an administrator first: nobody could end this membership, whoever asked (see membership_update).
    _keep_an_admin(membership, keeps_admin=False, action="membership.deactivate")
    _check_ending(actor, membership, action="membership.deactivate")
    membership.is_active = False
    membership.deactivated_at = timezone.now()
    membership.save(update_fields=["is_active", "deactivated_at"])
    if membership.agency is not None:
        membership.user.groups.remove(agency_group(membership.agency))
    _end_sessions(membership.user)
    audit_record(kind="membership.deactivate", actor=actor, target=membership, detail={"reason": reason})
    _revoke_tokens_of(actor, membership.user, agency=membership.agency, reason="membership.deactivate")
    forget_principal(membership.user)
    return membership


@audits_refusals
@transaction.atomic
def user_deactivate(*, actor: Any, user: User, reason: str) -> User:
    """Deactivate a user everywhere: every membership ends and every session with it. Refused while they are
    the last active human admin of the partnership or of an agency (DESIGN 4)."""
    memberships = list(
        Membership.objects.select_for_update(of=("self",))
        .select_related("agency", "user")
        .filter(user=user, is_active=True)
        .order_by("pk")
    )
    for membership in memberships:
        require(actor, "deactivate", membership)
    if not memberships:
        require(actor, "create", Membership)  # only a partnership admin may deactivate a user with no membership
    if not reason.strip():
        raise ValidationError({"reason": "Say why this user is being deactivated."})
    for membership in memberships:
        _keep_an_admin(membership, keeps_admin=False, action="user.deactivate")
        _check_ending(actor, membership, action="user.deactivate")
    now = timezone.now()
    Membership.objects.filter(pk__in=[m.pk for m in memberships]).update(is_active=False, deactivated_at=now)
    user.groups.clear()
    User.objects.filter(pk=user.pk).update(is_active=False, deactivated_at=now, session_stamp=uuid.uuid4())
    identity_changed(user.pk)  # update() sends no signal: the next request is refused, not served from cache
    user.refresh_from_db()
    audit_record(
        kind="user.deactivate",
        actor=actor,
        target=user,
        detail={"reason": reason, "memberships_ended": [m.pk for m in memberships]},
    )
    _revoke_tokens_of(actor, user, agency=None, reason="user.deactivate")
    forget_principal(user)
    return user


def _revoke_tokens_of(actor: Any, user: User, *, agency: Agency | None, reason: str) -> None:
    """Revoke the live API tokens that act as `user` (a system account), of `agency` or of any agency, in the
    caller's transaction, each audited as a revocation caused by `reason` (the service that ended the account's
    membership). A token whose account can no longer act must not be listed as active (issue 8). Only a system
    account (is_system, made with its token) holds tokens, so nothing is asked of the database for a person."""
    if not user.is_system:
        return
    tokens = ApiToken.objects.select_for_update(of=("self",)).filter(user=user, revoked_at__isnull=True).order_by("pk")
    if agency is not None:
        tokens = tokens.filter(agency=agency)
    now = timezone.now()
    for token in tokens:
        token.revoked_at = now
        token.revoked_by = actor if isinstance(actor, User) else None
        token.save(update_fields=["revoked_at", "revoked_by"])
        audit_record(kind="api_token.revoke", actor=actor, target=token, detail={"because": reason})


def api_token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


TOKEN_MAX_LIFETIME = timedelta(days=TOKEN_MAX_LIFETIME_DAYS)


@transaction.atomic
def api_token_create(
    *,
    actor: Any,
    agency: Agency,
    name: str,
    scopes: Iterable[str],
    expires_at: datetime,
    secret: str | None = None,
) -> tuple[ApiToken, str]:
    """Create an API token for an agency system (its admins, or a partnership admin; never a token). Returns
    the token and its secret, which is shown once.

    The token acts as a system account of the agency, narrowed to its scopes (DESIGN 4: least privilege):
    its account holds the least role its scopes need, and the policy's token gate refuses whatever its
    scopes do not list. It expires at most a year after it is made. `secret` is for the demo seeder only
    (a documented, fixed demo token); otherwise one is generated."""
    require(actor, "create_api_token", agency)
    now = timezone.now()
    errors: dict[str, str] = {}
    chosen = sorted(set(scopes))
    unknown = [scope for scope in chosen if scope not in TokenScope.values]
    if unknown:
        errors["scopes"] = f"Unknown scope: {', '.join(unknown)}. Choose from {', '.join(TokenScope.values)}."
    elif not chosen:
        errors["scopes"] = "Choose at least one scope: what the system may do."
    if expires_at is None:
        errors["expires_at"] = "Choose when the token expires (at most a year from today)."
    elif expires_at <= now:
        errors["expires_at"] = "The expiry must be in the future."
    elif expires_at > now + TOKEN_MAX_LIFETIME:
        errors["expires_at"] = "A token expires at most a year after it is made: make a new one then."
    name = name.strip()
    if not name:
        errors["name"] = "Give the token a name that says which system uses it."
    elif ApiToken.objects.filter(agency=agency, name=name).exists():
        errors["name"] = f"{agency} already has a token called {name}."
    if errors:
        raise ValidationError(errors)
    if secret is None:
        secret = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    elif not secret.startswith(API_TOKEN_PREFIX) or len(secret) < 40:
        raise ValidationError({"secret": "A supplied token must start with isp_ and be at least 40 characters."})
    elif demo_credential_refused(api_token=secret):
        raise ValidationError({"secret": "The published demo token is for demo mode only."})
    roles = token_roles(chosen)
    slug = "".join(ch for ch in name.lower() if ch.isalnum())[:20] or "system"
    system_user = user_create(
        actor=actor,
        email=f"system+{agency.pk}-{slug}-{secrets.token_hex(3)}@api.isp-portal.invalid",
        full_name=f"{agency.name} system ({name})",
        is_system=True,
    )
    membership_create(actor=actor, user=system_user, agency=agency, roles=roles, job_title="API system account")
    token = ApiToken.objects.create(
        agency=agency,
        user=system_user,
        name=name,
        prefix=secret[:12],
        digest=api_token_digest(secret),
        scopes=chosen,
        created_by=actor if isinstance(actor, User) else system_user,
        created_at=now,
        expires_at=expires_at,
    )
    audit_record(
        kind="api_token.create",
        actor=actor,
        target=token,
        detail={"scopes": chosen, "roles": roles, "expires_at": expires_at.isoformat()},
    )
    return token, secret


@transaction.atomic
def api_token_revoke(*, actor: Any, token: ApiToken) -> ApiToken:
    """Revoke a token at once (its agency's admins or a partnership admin; allowed whatever the agency's
    standing: it only removes access)."""
    token = ApiToken.objects.select_for_update(of=("self",)).select_related("agency", "user").get(pk=token.pk)
    require(actor, "revoke", token)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.revoked_by = actor if isinstance(actor, User) else None
        token.save(update_fields=["revoked_at", "revoked_by"])
        _end_sessions(token.user)
        audit_record(kind="api_token.revoke", actor=actor, target=token)
    return token


def api_token_used(*, token: ApiToken, path: str, method: str) -> None:
    """Record that a token was used: its last-used time, and an audit event naming the request (DESIGN 4:
    token use is audited). Called by the API authentication for every request the token makes."""
    now = timezone.now()
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now
    audit_record(kind="api_token.use", actor=token.user, target=token, detail={"path": path[:200], "method": method})


# --- Invitations -----------------------------------------------------------------------------------------------

INVITATION_VALID_FOR = timedelta(days=7)


def invitation_token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _send_invitation_email(invitation: Invitation, token: str) -> None:
    """Email the invitation link after the transaction commits. The token exists only in this email:
    if it goes astray the admin resends, which issues a new link and voids the old one."""
    from django.conf import settings
    from django.core.mail import send_mail

    link = f"{settings.SITE_URL.rstrip('/')}/invitations/{token}/"
    roles = ", ".join(Role(role).label.lower() for role in invitation.roles)
    body = (
        f"{invitation.full_name},\n\n{invitation.agency} has invited you to {settings.SERVICE_NAME}, the information "
        f"sharing portal of the {settings.PARTNERSHIP_NAME}, as {roles}.\n\nOpen this link to set your password and "
        f"set up two-factor authentication (it works once, until {long_datetime(invitation.expires_at)}):\n\n{link}\n\n"
        "If you were not expecting this, ignore it and tell your agency's admin."
    )

    def send() -> None:
        try:
            send_mail(f"Your invitation to {settings.SERVICE_NAME}", body, None, [invitation.email])
        except Exception:
            import logging

            logging.getLogger(__name__).warning("invitation email %s could not be sent", invitation.pk, exc_info=True)

    transaction.on_commit(send)


@audits_refusals
@transaction.atomic
def invitation_create(
    *,
    actor: Any,
    agency: Agency,
    email: str,
    full_name: str,
    roles: Iterable[str],
    job_title: str = "",
    team: str = "",
) -> tuple[Invitation, str]:
    """Invite someone to an agency (its admins, or a partnership admin). Returns the invitation and the
    link's token (emailed, never stored). Partnership roles cannot be given by invitation."""
    require(actor, "manage_members", agency)
    email = email.strip().lower()
    errors: dict[str, Any] = {}
    if agency.status != AgencyStatus.ACTIVE:
        errors["agency"] = f"{agency} is {agency.get_status_display().lower()}: it cannot take on new members."
    try:
        cleaned_roles = _normalise_roles(roles, agency=agency)
    except ValidationError as error:
        errors.update(error.message_dict)
        cleaned_roles = []
    if set(cleaned_roles) - {role.value for role in AGENCY_ROLES}:
        # An agency's own auditor checks its admins' work, so that role is given by a partnership admin on
        # the person's membership, never by invitation (the DB holds this too: invitation_agency_roles_only).
        errors["roles"] = (
            "An invitation gives practitioner, designated manager or agency admin roles. A partnership admin gives "
            "the auditor role once the person has joined."
        )
    if not full_name.strip():
        errors["full_name"] = "Enter the person's full name."
    if email and email == getattr(actor, "email", None):
        # An invitation is a membership given in advance: nobody gives one to themselves (DESIGN 4).
        raise PrivilegeRefused(
            {"email": "You cannot invite yourself: another admin with the standing to grant the roles must."},
            target=agency,
            action="invitation.create",
        )
    if cleaned_roles and not errors.get("roles"):
        _check_privileges(
            actor,
            Membership(agency=agency),
            roles_after=cleaned_roles,
            flags_after={},
            action="invitation.create",
        )
    existing = User.objects.filter(email=email).first()
    if existing is not None and Membership.objects.filter(user=existing, agency=agency, is_active=True).exists():
        errors["email"] = f"{email} is already a member of {agency}."
    if existing is not None and existing.is_system:
        errors["email"] = "That address belongs to a system account."
    now = timezone.now()
    open_invitation = Invitation.objects.filter(
        agency=agency, email=email, accepted_at__isnull=True, revoked_at__isnull=True
    ).first()
    if open_invitation is not None and open_invitation.expires_at > now:
        errors["email"] = f"{email} already has an open invitation to {agency}; resend it instead."
    if errors:
        raise ValidationError(errors)
    if open_invitation is not None:  # an expired one: close it so the new one can be open
        open_invitation.revoked_at = now
        open_invitation.save(update_fields=["revoked_at"])
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        agency=agency,
        email=email,
        full_name=full_name.strip(),
        roles=cleaned_roles,
        job_title=job_title.strip(),
        team=team.strip(),
        token_digest=invitation_token_digest(token),
        created_by=actor if isinstance(actor, User) else None,
        created_at=now,
        expires_at=now + INVITATION_VALID_FOR,
    )
    audit_record(kind="invitation.create", actor=actor, target=invitation, detail={"roles": cleaned_roles})
    _send_invitation_email(invitation, token)
    return invitation, token


@transaction.atomic
def invitation_resend(*, actor: Any, invitation: Invitation) -> tuple[Invitation, str]:
    """Issue a new link (the old one stops working) and a new seven days."""
    invitation = Invitation.objects.select_for_update().select_related("agency").get(pk=invitation.pk)
    require(actor, "resend", invitation)
    if invitation.accepted_at or invitation.revoked_at:
        raise ValidationError({"invitation": "This invitation has been used or withdrawn."})
    token = secrets.token_urlsafe(32)
    invitation.token_digest = invitation_token_digest(token)
    invitation.expires_at = timezone.now() + INVITATION_VALID_FOR
    invitation.save(update_fields=["token_digest", "expires_at"])
    audit_record(kind="invitation.resend", actor=actor, target=invitation)
    _send_invitation_email(invitation, token)
    return invitation, token


@transaction.atomic
def invitation_revoke(*, actor: Any, invitation: Invitation) -> Invitation:
    """Withdraw an invitation (allowed whatever the agency's standing: it only removes access)."""
    invitation = Invitation.objects.select_for_update().select_related("agency").get(pk=invitation.pk)
    require(actor, "revoke", invitation)
    if invitation.accepted_at is not None:
        raise ValidationError({"invitation": "This invitation has already been accepted."})
    if invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        audit_record(kind="invitation.revoke", actor=actor, target=invitation)
    return invitation


def invitation_standing_refusal(invitation: Invitation) -> str | None:
    """Why the invitation cannot be accepted now although its link is good: its agency may not take people on
    (suspended, left, ICO registration lapsed or missing: agencies.rules.STANDING_ALLOWS, issue 8 item 4). The
    invitation stays open, so it works again within its seven days if the agency is reinstated."""
    refusal = agency_refusal(invitation.agency, AgencyAct.MANAGE_PEOPLE)
    return str(refusal) if refusal else None


def invitation_for_token(token: str) -> Invitation | None:
    """The open invitation a link's token belongs to, or None (unknown, used, withdrawn or expired)."""
    return (
        Invitation.objects.select_related("agency")
        .filter(
            token_digest=invitation_token_digest(token),
            accepted_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .first()
    )


@transaction.atomic
def invitation_accept(*, token: str, user: User | None = None, password: str | None = None) -> Membership:
    """Accept an invitation: either as a new person (with the password they chose: the account is created)
    or as the signed-in person it was addressed to. The membership is created now; a new person then
    enrols two-factor before they can sign in."""
    invitation = invitation_for_token(token)
    if invitation is None:
        raise ValidationError({"token": "This invitation link has expired, been used or been withdrawn."})
    invitation = Invitation.objects.select_for_update().select_related("agency").get(pk=invitation.pk)
    # The agency's standing is checked now, not only when the invitation was sent: one sent before the agency
    # was suspended or left must not take someone on afterwards (issue 8 item 4).
    refused = invitation_standing_refusal(invitation)
    if refused:
        raise ValidationError({"token": refused})
    # The invitation was authorised when the admin sent it (the policy was checked then); the link is the
    # invitee's authority now, so the account and membership are written by the portal on its behalf.
    inviter = SystemActor(f"invitation {invitation.pk} from {invitation.created_by or 'the portal'}")
    if user is None:
        if User.objects.filter(email=invitation.email).exists():
            raise ValidationError({"email": "You already have an account: sign in first, then open the link again."})
        if not password:
            raise ValidationError({"password": "Choose a password."})
        user = user_create(actor=inviter, email=invitation.email, full_name=invitation.full_name, password=password)
    elif user.email != invitation.email:
        raise ValidationError({"email": f"This invitation was sent to {invitation.email}, not to you."})
    membership = membership_create(
        actor=inviter,
        user=user,
        agency=invitation.agency,
        roles=invitation.roles,
        job_title=invitation.job_title,
        team=invitation.team,
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit_record(kind="invitation.accept", actor=user, target=invitation)
    return membership
