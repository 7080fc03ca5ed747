"""Every write to agencies, users, memberships and API tokens (DESIGN 3.1).

Each service is one transaction: it checks the policy, applies the rules, writes, and records the audit
event, so a half-done change is impossible and every change is on the record.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from agencies.models import AGENCY_ROLES, Agency, AgencyStatus, ApiToken, Membership, Role, User
from agencies.policy import forget_principal
from audit.services import audit_record
from isp_portal.policy import require

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
def agency_create(
    *,
    actor: Any,
    name: str,
    kind: str,
    sector: str,
    area: str = "",
    parent: Agency | None = None,
) -> Agency:
    """Register a partner agency (partnership admins only)."""
    require(actor, "create", Agency)
    name = name.strip()
    if Agency.objects.filter(name__iexact=name).exists():
        raise ValidationError({"name": f"An agency called {name} is already registered."})
    agency = Agency(name=name, kind=kind, sector=sector, area=area.strip(), parent=parent)
    agency.full_clean()
    agency.save()
    audit_record(kind="agency.create", actor=actor, target=agency, detail={"kind": kind, "sector": sector})
    return agency


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
    audit_record(kind="membership.create", actor=actor, target=membership, detail={"roles": cleaned})
    forget_principal(user)
    return membership


def _end_sessions(user: User) -> None:
    # Rotating the stamp changes the session auth hash: every session of this user is refused from its
    # next request on (Django checks the hash on each request).
    User.objects.filter(pk=user.pk).update(session_stamp=uuid.uuid4())


@transaction.atomic
def membership_deactivate(*, actor: Any, membership: Membership, reason: str) -> Membership:
    """End a membership. The user's sessions end at once (DESIGN 2.1)."""
    require(actor, "deactivate", membership)
    if not reason.strip():
        raise ValidationError({"reason": "Say why this membership is ending."})
    if not membership.is_active:
        raise ValidationError({"membership": "This membership has already ended."})
    membership.is_active = False
    membership.deactivated_at = timezone.now()
    membership.save(update_fields=["is_active", "deactivated_at"])
    _end_sessions(membership.user)
    audit_record(kind="membership.deactivate", actor=actor, target=membership, detail={"reason": reason})
    forget_principal(membership.user)
    return membership


@transaction.atomic
def user_deactivate(*, actor: Any, user: User, reason: str) -> User:
    """Deactivate a user everywhere: every membership ends and every session with it."""
    memberships = list(Membership.objects.select_for_update().filter(user=user, is_active=True).order_by("pk"))
    for membership in memberships:
        require(actor, "deactivate", membership)
    if not memberships:
        require(actor, "create", Membership)  # only a partnership admin may deactivate a user with no membership
    if not reason.strip():
        raise ValidationError({"reason": "Say why this user is being deactivated."})
    now = timezone.now()
    Membership.objects.filter(pk__in=[m.pk for m in memberships]).update(is_active=False, deactivated_at=now)
    User.objects.filter(pk=user.pk).update(is_active=False, deactivated_at=now, session_stamp=uuid.uuid4())
    user.refresh_from_db()
    audit_record(
        kind="user.deactivate",
        actor=actor,
        target=user,
        detail={"reason": reason, "memberships_ended": [m.pk for m in memberships]},
    )
    forget_principal(user)
    return user


def api_token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def api_token_create(
    *,
    actor: Any,
    agency: Agency,
    name: str,
    roles: Iterable[str],
    expires_at: datetime | None = None,
    secret: str | None = None,
) -> tuple[ApiToken, str]:
    """Create an API token for an agency system. Returns the token and its secret, which is shown once.

    The token acts as a system account of the agency with the given roles, so the same policy applies.
    `secret` is for the demo seeder only (a documented, fixed demo token); otherwise one is generated."""
    require(actor, "manage_members", agency)
    if agency.status != AgencyStatus.ACTIVE:
        raise ValidationError({"agency": f"{agency} is not active, so it cannot be given API access."})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": "The expiry must be in the future."})
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Give the token a name that says which system uses it."})
    if ApiToken.objects.filter(agency=agency, name=name).exists():
        raise ValidationError({"name": f"{agency} already has a token called {name}."})
    if secret is None:
        secret = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    elif not secret.startswith(API_TOKEN_PREFIX) or len(secret) < 40:
        raise ValidationError({"secret": "A supplied token must start with isp_ and be at least 40 characters."})
    roles = list(roles)
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
        created_by=actor if isinstance(actor, User) else system_user,
        expires_at=expires_at,
    )
    audit_record(kind="api_token.create", actor=actor, target=token, detail={"roles": sorted(roles)})
    return token, secret


@transaction.atomic
def api_token_revoke(*, actor: Any, token: ApiToken) -> ApiToken:
    require(actor, "revoke", token)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        _end_sessions(token.user)
        audit_record(kind="api_token.revoke", actor=actor, target=token)
    return token
