"""Agencies, people and their roles (DESIGN 2.1).

A user belongs to agencies through memberships; a membership carries the roles (practitioner, designated
manager, agency admin, auditor) and the Caldicott guardian / DPO flags. Partnership-level roles
(partnership admin, partnership auditor) sit on a membership with no agency. The database holds these
invariants as constraints, so no code path can create, say, a partnership admin inside an agency.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone


class Role(models.TextChoices):
    PRACTITIONER = "practitioner", "Practitioner"
    DESIGNATED_MANAGER = "designated_manager", "Designated manager"
    AGENCY_ADMIN = "agency_admin", "Agency admin"
    PARTNERSHIP_ADMIN = "partnership_admin", "Partnership admin"
    AUDITOR = "auditor", "Auditor"


AGENCY_ROLES = (Role.PRACTITIONER, Role.DESIGNATED_MANAGER, Role.AGENCY_ADMIN)
PARTNERSHIP_ONLY_ROLES = (Role.PARTNERSHIP_ADMIN,)


class AgencyKind(models.TextChoices):
    LOCAL_AUTHORITY = "local_authority", "Local authority"
    POLICE = "police", "Police"
    HEALTH_TRUST = "health_trust", "NHS trust"
    GP_PRACTICE = "gp_practice", "GP practice"
    SCHOOL = "school", "School"
    COLLEGE = "college", "College"
    YOUTH_OFFENDING_TEAM = "youth_offending_team", "Youth offending team"
    VOLUNTARY = "voluntary", "Voluntary or community organisation"
    OTHER = "other", "Other"


class Sector(models.TextChoices):
    STATUTORY = "statutory", "Statutory"
    VOLUNTARY = "voluntary", "Voluntary"
    PRIVATE = "private", "Private"


class AgencyStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    LEFT = "left", "Left the partnership"


class Agency(models.Model):
    """A partner organisation (Haringey 2.2; Southampton 1). A suspended agency, or one that has left, can
    neither send nor receive disclosures."""

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=32, choices=AgencyKind.choices)
    sector = models.CharField(max_length=16, choices=Sector.choices)
    status = models.CharField(max_length=16, choices=AgencyStatus.choices, default=AgencyStatus.ACTIVE)
    # The local-authority area the agency works in (WYCPS: social-care staff see personal details for
    # children in their own area).
    area = models.CharField(max_length=100, blank=True)
    # Commissioned services and sub-contractors sit under the agency responsible for them
    # (Southampton 7; Buckinghamshire 9).
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "agencies"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="agency_name_unique_ci"),
            models.CheckConstraint(condition=~models.Q(name=""), name="agency_name_not_empty"),
            models.CheckConstraint(condition=~models.Q(parent=models.F("id")), name="agency_not_own_parent"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_label(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.status == AgencyStatus.ACTIVE


class UserManager(BaseUserManager["User"]):
    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email=(username or "").strip().lower())

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> User:
        user = self.model(email=email.strip().lower(), **fields)
        user.set_password(password) if password else user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.setdefault("is_superuser", True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person (or an agency's system account) who signs in. Identified by email address.

    `session_stamp` is mixed into the session hash: rotating it ends every session of the user at once
    (used when the user or one of their memberships is deactivated; DESIGN 2.1)."""

    # Always stored in lower case (a constraint holds it), so a plain unique index is case-insensitive.
    email = models.EmailField(max_length=254, unique=True)
    full_name = models.CharField(max_length=200)
    is_active = models.BooleanField(default=True)
    # An agency's machine account behind an API token: never a recipient of a disclosure (DESIGN 4).
    is_system = models.BooleanField(default=False)
    session_stamp = models.UUIDField(default=uuid.uuid4)
    date_joined = models.DateTimeField(default=timezone.now)
    deactivated_at = models.DateTimeField(null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(email=Lower("email")), name="user_email_lowercase"),
            models.CheckConstraint(condition=~models.Q(full_name=""), name="user_full_name_not_empty"),
            models.CheckConstraint(
                condition=models.Q(is_active=True) | models.Q(deactivated_at__isnull=False),
                name="user_deactivation_dated",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def audit_label(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0]

    def get_session_auth_hash(self) -> str:
        # Django invalidates a session when this changes; including the stamp lets us end all sessions.
        base = super().get_session_auth_hash()
        return hashlib.sha256(f"{base}:{self.session_stamp}".encode()).hexdigest()

    def audit_identity(self) -> Any:
        from agencies.policy import audit_identity_of

        return audit_identity_of(self)

    @property
    def role_summary(self) -> str:
        """The user's roles in words ("Practitioner — Northbridge Police"), for the page header."""
        from agencies.policy import role_labels

        return "; ".join(role_labels(self))

    def api_identity(self) -> dict[str, Any]:
        from agencies.policy import principal

        return {
            "id": self.pk,
            "email": self.email,
            "full_name": self.full_name,
            "is_system": self.is_system,
            "memberships": [
                {
                    "agency_id": m.agency_id,
                    "agency_name": m.agency_name or "Partnership",
                    "roles": sorted(m.roles),
                    "is_caldicott_guardian": m.is_caldicott_guardian,
                    "is_data_protection_officer": m.is_data_protection_officer,
                }
                for m in principal(self).memberships
            ],
        }


class Membership(models.Model):
    """A user's place in an agency (or, with no agency, in the partnership itself) and the roles it gives."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="memberships")
    agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="memberships")
    roles = ArrayField(models.CharField(max_length=32, choices=Role.choices), default=list)
    job_title = models.CharField(max_length=200, blank=True)
    team = models.CharField(max_length=200, blank=True)
    # Southampton 13: a dispute goes first to the line managers of both practitioners.
    line_manager = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="managed_memberships"
    )
    is_caldicott_guardian = models.BooleanField(default=False)
    is_data_protection_officer = models.BooleanField(default=False)
    vetting_checked_on = models.DateField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    deactivated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["agency__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "agency"],
                name="membership_one_per_agency",
                condition=models.Q(agency__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["user"], name="membership_one_partnership", condition=models.Q(agency__isnull=True)
            ),
            models.CheckConstraint(
                condition=models.Q(roles__contained_by=[choice.value for choice in Role]),
                name="membership_roles_known",
            ),
            models.CheckConstraint(condition=~models.Q(roles=[]), name="membership_has_a_role"),
            # Agency roles need an agency; partnership roles must not have one (an agency admin can never
            # hand out partnership-level roles, whatever the code above tries).
            models.CheckConstraint(
                condition=~models.Q(agency__isnull=True, roles__overlap=[role.value for role in AGENCY_ROLES]),
                name="membership_agency_roles_need_agency",
            ),
            models.CheckConstraint(
                condition=~models.Q(
                    agency__isnull=False, roles__overlap=[role.value for role in PARTNERSHIP_ONLY_ROLES]
                ),
                name="membership_partnership_roles_without_agency",
            ),
            models.CheckConstraint(
                condition=models.Q(is_active=True) | models.Q(deactivated_at__isnull=False),
                name="membership_deactivation_dated",
            ),
            models.CheckConstraint(
                condition=~models.Q(line_manager=models.F("user")), name="membership_not_own_line_manager"
            ),
        ]
        indexes = [models.Index(fields=["agency", "is_active"], name="membership_agency_active")]

    def __str__(self) -> str:
        where = self.agency.name if self.agency_id and self.agency else "the partnership"
        return f"{self.user} at {where}"

    @property
    def audit_label(self) -> str:
        return str(self)


class ApiToken(models.Model):
    """An agency system's credential for the API. It acts as the agency's system account (a User with
    is_system), so the same access policy applies to it as to a person. Only a SHA-256 digest of the token
    is stored; the token itself is shown once, when it is created."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="api_tokens")
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12)
    digest = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency", "name"], name="api_token_name_unique_per_agency"),
            models.CheckConstraint(
                condition=models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=models.F("created_at")),
                name="api_token_expires_after_creation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def audit_label(self) -> str:
        return f"API token {self.prefix}… of {self.agency}"
