"""Agencies, people and their roles (DESIGN 2.1).

A user belongs to agencies through memberships; a membership carries the roles (practitioner, designated
manager, agency admin, auditor) and the Caldicott guardian / DPO flags. Partnership-level roles
(partnership admin, partnership auditor) sit on a membership with no agency. The database holds these
invariants as constraints, so no code path can create, say, a partnership admin inside an agency.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from agencies import rules
from agencies.rules import TOKEN_MAX_LIFETIME_DAYS
from isp_portal import bounds, db_bounds

if TYPE_CHECKING:
    from datetime import date, datetime


class Role(models.TextChoices):
    PRACTITIONER = "practitioner", "Practitioner"
    DESIGNATED_MANAGER = "designated_manager", "Designated manager"
    AGENCY_ADMIN = "agency_admin", "Agency admin"
    PARTNERSHIP_ADMIN = "partnership_admin", "Partnership admin"
    AUDITOR = "auditor", "Auditor"


class TokenScope(models.TextChoices):
    """The scopes an API token can be given (the values of agencies.rules.TokenScope, with labels)."""

    REGISTER_READ = "register:read", "Read the register"
    PEOPLE_READ = "people:read", "Read people"
    PEOPLE_ADMIN = "people:admin", "Administer people"
    TRAINING_WRITE = "training:write", "Record training"
    REQUESTS_WRITE = "requests:write", "Raise and answer requests"
    CHILDREN_READ = "children:read", "Search and read the child index"
    CHILDREN_WRITE = "children:write", "Add to the child index"
    RECORDS_READ = "records:read", "Read the agency's own entries"
    RECORDS_WRITE = "records:write", "Record the agency's own entries"


# One list of scopes: the pure rules and the database agree.
assert {scope.value for scope in TokenScope} == {scope.value for scope in rules.TokenScope}


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


class Area(models.Model):
    """A local-authority area, keyed by its ONS GSS code (for example E09000014, Haringey). WYCPS: "Authorised
    social services staff will access personal details for service users within their own Local Authority
    area" — so the child's area and the agency's area are this one controlled value, compared by code, never
    as typed text ("Haringey" and "London Borough of Haringey" are one area). Kept by the partnership admins
    (Django admin or `manage.py areas`); the demo partnership's fictional areas use codes no real area has
    (E99…)."""

    code = models.CharField(max_length=9, primary_key=True)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]
        constraints = [
            # One area, one name: "Northbridge" and "northbridge" cannot both be kept.
            models.UniqueConstraint(Lower("name"), name="area_name_unique_ci"),
            # A GSS code: E (England), W (Wales), S (Scotland) or N (Northern Ireland) and eight digits.
            models.CheckConstraint(condition=models.Q(code__regex=r"^[EWSN][0-9]{8}$"), name="area_code_gss"),
            models.CheckConstraint(condition=~models.Q(name=""), name="area_name_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name


class Agency(models.Model):
    """A partner organisation (Haringey 2.2; Southampton 1). A suspended agency, or one that has left, can
    neither send nor receive disclosures."""

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=32, choices=AgencyKind.choices)
    sector = models.CharField(max_length=16, choices=Sector.choices)
    status = models.CharField(max_length=16, choices=AgencyStatus.choices, default=AgencyStatus.ACTIVE)
    # The local-authority area the agency works in (WYCPS: social-care staff see personal details for
    # children in their own area). None: an agency without a local-authority area (a national charity).
    area = models.ForeignKey(Area, null=True, blank=True, on_delete=models.PROTECT, related_name="agencies")
    # Commissioned services and sub-contractors sit under the agency responsible for them
    # (Southampton 7; Buckinghamshire 9).
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    address = models.TextField(blank=True, max_length=bounds.ADDRESS)
    # E.164, for example +442079460958 (agencies.rules.phone_normalised); shown by phone_display.
    phone = models.CharField(max_length=30, blank=True)
    registration_number = models.CharField(max_length=50, blank=True, help_text="Charity or company number")
    # Haringey 4.1-4.2: an up-to-date Data Protection (ICO) registration, renewed every year.
    ico_registration_number = models.CharField(max_length=12, blank=True)
    ico_registration_expires_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "agencies"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="agency_name_unique_ci"),
            models.UniqueConstraint(
                fields=["ico_registration_number"],
                name="agency_ico_number_unique",
                condition=~models.Q(ico_registration_number=""),
            ),
            models.CheckConstraint(condition=~models.Q(name=""), name="agency_name_not_empty"),
            models.CheckConstraint(condition=~models.Q(parent=models.F("id")), name="agency_not_own_parent"),
            models.CheckConstraint(
                condition=models.Q(ico_registration_number="", ico_registration_expires_on__isnull=True)
                | (~models.Q(ico_registration_number="") & models.Q(ico_registration_expires_on__isnull=False)),
                name="agency_ico_number_and_expiry_together",
            ),
            db_bounds.text_length("agency", "address", bounds.ADDRESS),
            db_bounds.date_in_era("agency", "ico_registration_expires_on"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_label(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.status == AgencyStatus.ACTIVE

    @property
    def phone_display(self) -> str:
        """The phone number as people read it (stored in E.164, shown in the national format)."""
        from agencies.rules import phone_display

        return phone_display(self.phone)

    def ico_status(self, today: date | None = None) -> str:
        from agencies.rules import ico_status

        return ico_status(self.ico_registration_expires_on, today or timezone.localdate()).value


class AgencyStatusChange(models.Model):
    """Every change of an agency's status, with the reason and the date it took effect (Issue 3)."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="status_changes")
    from_status = models.CharField(max_length=16, choices=AgencyStatus.choices)
    to_status = models.CharField(max_length=16, choices=AgencyStatus.choices)
    reason = models.TextField(max_length=bounds.REASON)
    effective_on = models.DateField()
    changed_by = models.ForeignKey("User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-changed_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(reason=""), name="agency_status_change_has_reason"),
            models.CheckConstraint(
                condition=~models.Q(from_status=models.F("to_status")), name="agency_status_change_changes"
            ),
            db_bounds.text_length("agency_status_change", "reason", bounds.REASON),
            db_bounds.date_in_era("agency_status_change", "effective_on"),
        ]

    def __str__(self) -> str:
        return f"{self.agency}: {self.from_status} → {self.to_status} on {self.effective_on}"


class SanctionScope(models.TextChoices):
    """What a sanction suspends the agency from (agencies.rules.SanctionScope, with labels)."""

    SENSITIVE_TIER = "sensitive_tier", "The detailed and sensitive tier"
    PROTOCOL = "protocol", "The whole protocol"


class SanctionDirection(models.TextChoices):
    SEND = "send", "Sending"
    RECEIVE = "receive", "Receiving"
    BOTH = "both", "Sending and receiving"


assert {scope.value for scope in SanctionScope} == {scope.value for scope in rules.SanctionScope}
assert {d.value for d in SanctionDirection} == {d.value for d in rules.SanctionDirection}


class AgencySanction(models.Model):
    """A sanction agreed after a breach (Haringey 6.6) that suspends an agency from sending or receiving the
    sensitive tier, or anything under the protocol, from `from_on` until the day before `until_on` (the day it is
    lifted; open-ended when null). DESIGN 2.5: a suspension is enforced by the access policy, not just written
    down, so agencies.policy.sharing_refusal reads these before anything is disclosed. The breach procedure only
    inserts them; nothing here changes one (a sanction lifted early is a new row's business, not an edit)."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="sanctions")
    scope = models.CharField(max_length=32, choices=SanctionScope.choices)
    direction = models.CharField(max_length=16, choices=SanctionDirection.choices)
    from_on = models.DateField()
    until_on = models.DateField(null=True, blank=True)
    reason = models.TextField(max_length=bounds.REASON)
    breach_reference = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey("User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    # When the sweep recorded that the sanction ended at until_on (breaches.services.sweeps.sanctions_end_sweep):
    # once, in the audit trail, with the agency and the partnership admins told. Bookkeeping only: the sharing
    # refusal stops applying at until_on whether or not the sweep has run.
    ended_recorded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["agency", "-from_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(scope__in=SanctionScope.values), name="agency_sanction_scope_known"
            ),
            models.CheckConstraint(
                condition=models.Q(direction__in=SanctionDirection.values), name="agency_sanction_direction_known"
            ),
            models.CheckConstraint(
                condition=models.Q(until_on__isnull=True) | models.Q(until_on__gt=models.F("from_on")),
                name="agency_sanction_until_after_from",
            ),
            models.CheckConstraint(condition=~models.Q(reason=""), name="agency_sanction_has_reason"),
            db_bounds.text_length("agency_sanction", "reason", bounds.REASON),
            db_bounds.date_in_era("agency_sanction", "from_on"),
            db_bounds.date_in_era("agency_sanction", "until_on"),
            models.CheckConstraint(
                condition=models.Q(ended_recorded_at__isnull=True) | models.Q(until_on__isnull=False),
                name="agency_sanction_end_recorded_has_end",
            ),
        ]
        indexes = [
            models.Index(fields=["agency", "from_on"], name="agency_sanction_agency_from"),
            # The sweep's question: sanctions with an end not yet recorded.
            models.Index(
                fields=["until_on"],
                name="agency_sanction_end_unrecorded",
                condition=models.Q(until_on__isnull=False, ended_recorded_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agency}: {self.get_scope_display()}, {self.get_direction_display().lower()}, from {self.from_on}"

    @property
    def audit_label(self) -> str:
        return f"sanction {self.pk} of agency {self.agency_id}"

    @property
    def facts(self) -> rules.SanctionFacts:
        return rules.SanctionFacts(
            self.scope, self.direction, self.from_on, self.until_on, self.reason, self.breach_reference
        )


class RetrainingRequirement(models.Model):
    """A person must do their information-sharing training again: a sanction agreed after a breach (Haringey 6.6;
    DESIGN 2.5 "retraining"). From `required_since` the records they held no longer count
    (agencies.identity.valid_training_records): only a course completed on or after `required_on` (the day of the
    decision) and recorded after `required_since` does. Inserted by the breach procedure, never changed."""

    user = models.ForeignKey("User", on_delete=models.PROTECT, related_name="retraining_requirements")
    required_since = models.DateTimeField(default=timezone.now)
    required_on = models.DateField()
    reason = models.TextField(max_length=bounds.REASON)
    breach_reference = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey("User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["user", "-required_since", "-id"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(reason=""), name="retraining_has_reason"),
            models.UniqueConstraint(
                fields=["user", "breach_reference"],
                condition=~models.Q(breach_reference=""),
                name="retraining_once_per_breach",
            ),
            db_bounds.text_length("retraining_requirement", "reason", bounds.REASON),
            db_bounds.date_in_era("retraining_requirement", "required_on"),
        ]
        indexes = [models.Index(fields=["user", "required_since"], name="retraining_user_since")]

    def __str__(self) -> str:
        return f"{self.user}: retraining required since {self.required_on}"

    @property
    def summary(self) -> str:
        """What the member's page and the agency's training page say of a person under it."""
        from isp_portal.wording import long_date

        breach = f" (breach {self.breach_reference})" if self.breach_reference else ""
        return f"Retraining required since {long_date(self.required_on)}{breach}"

    @property
    def audit_label(self) -> str:
        return f"retraining requirement {self.pk} of user {self.user_id}"


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
    # Buckinghamshire 1-2: the agency's nominated representative answers consultations on the protocol.
    is_nominated_representative = models.BooleanField(default=False)
    # Southampton 13: stage 2 of a dispute goes to the "Head of Service / Service Manager" of each agency.
    is_head_of_service = models.BooleanField(default=False)
    # WYCPS: restricted indicators (e.g. Schedule One offender) are for authorised social-care staff only;
    # the agency admin of a local authority authorises them.
    authorised_for_restricted = models.BooleanField(default=False)
    # DESIGN 2.1: date of the member's enhanced vetting (DBS) check.
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
            # Separation of duties (agencies.rules.role_combination_problem): an auditor checks the admins'
            # work, so nobody holds the auditor role with an admin role on the same membership.
            models.CheckConstraint(
                condition=~models.Q(roles__contains=["auditor"], roles__overlap=["partnership_admin", "agency_admin"]),
                name="membership_auditor_not_admin",
            ),
            models.CheckConstraint(
                condition=models.Q(is_active=True) | models.Q(deactivated_at__isnull=False),
                name="membership_deactivation_dated",
            ),
            models.CheckConstraint(
                condition=~models.Q(line_manager=models.F("user")), name="membership_not_own_line_manager"
            ),
            db_bounds.date_in_era("membership", "vetting_checked_on"),
        ]
        indexes = [models.Index(fields=["agency", "is_active"], name="membership_agency_active")]

    def __str__(self) -> str:
        where = self.agency.name if self.agency_id and self.agency else "the partnership"
        return f"{self.user} at {where}"

    @property
    def audit_label(self) -> str:
        return str(self)

    @property
    def role_labels(self) -> list[str]:
        return [Role(role).label for role in sorted(self.roles)]


class ApiToken(models.Model):
    """An agency system's credential for the API. It acts as the agency's system account (a User with
    is_system), so the same access policy applies to it as to a person, narrowed to the token's scopes
    (DESIGN 4: least privilege). It always expires, at most a year after it is made, and can be revoked.
    Only a SHA-256 digest of the token is stored; the token itself is shown once, when it is created."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="api_tokens")
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12)
    digest = models.CharField(max_length=64, unique=True)
    # What the token may do: values of agencies.rules.TokenScope (agencies.models.TokenScope).
    scopes = ArrayField(models.CharField(max_length=32, choices=TokenScope.choices))
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "name"], name="api_token_name_unique_per_agency"),
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")),
                name="api_token_expires_after_creation",
            ),
            models.CheckConstraint(
                condition=models.Q(expires_at__lte=models.F("created_at") + timedelta(days=TOKEN_MAX_LIFETIME_DAYS)),
                name="api_token_expires_within_a_year",
            ),
            models.CheckConstraint(
                condition=models.Q(scopes__contained_by=[scope.value for scope in TokenScope]) & ~models.Q(scopes=[]),
                name="api_token_scopes_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def audit_label(self) -> str:
        return f"API token {self.prefix}… of {self.agency}"

    def is_usable(self, now: datetime | None = None) -> bool:
        return self.revoked_at is None and self.expires_at > (now or timezone.now())

    @property
    def scope_labels(self) -> list[str]:
        return [TokenScope(scope).label for scope in self.scopes]


class Invitation(models.Model):
    """An agency admin's invitation to a new member: a link that expires. The invitee sets a password and
    enrols two-factor; the membership is created when they accept. Only a digest of the link's token is
    stored."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="invitations")
    email = models.EmailField(max_length=254)
    full_name = models.CharField(max_length=200)
    roles = ArrayField(models.CharField(max_length=32, choices=Role.choices))
    job_title = models.CharField(max_length=200, blank=True)
    team = models.CharField(max_length=200, blank=True)
    token_digest = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")), name="invitation_expires_later"
            ),
            models.CheckConstraint(condition=models.Q(email=Lower("email")), name="invitation_email_lowercase"),
            models.CheckConstraint(
                condition=models.Q(roles__contained_by=[role.value for role in AGENCY_ROLES]) & ~models.Q(roles=[]),
                name="invitation_agency_roles_only",
            ),
            models.UniqueConstraint(
                fields=["agency", "email"],
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_open_per_email",
            ),
        ]

    def __str__(self) -> str:
        return f"Invitation for {self.email} to {self.agency}"

    @property
    def audit_label(self) -> str:
        return f"invitation {self.pk} to {self.agency}"


class TrainingCourse(models.Model):
    """A course the partnership recognises. Courses marked as information-sharing training satisfy the
    access gate (Buckinghamshire 4: accreditation before access)."""

    name = models.CharField(max_length=200, unique=True)
    is_information_sharing = models.BooleanField(default=False)
    validity_months = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="How long a completion counts; empty means it does not expire."
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TrainingRecord(models.Model):
    """That a person completed a course, when, until when it counts, and the evidence."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="training_records")
    course = models.ForeignKey(TrainingCourse, on_delete=models.PROTECT, related_name="records")
    completed_on = models.DateField()
    expires_on = models.DateField(null=True, blank=True)
    evidence = models.CharField(max_length=200, blank=True, help_text="Certificate number or where it is kept")
    recorded_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-completed_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_on__isnull=True) | models.Q(expires_on__gt=models.F("completed_on")),
                name="training_expires_after_completion",
            ),
            models.UniqueConstraint(fields=["user", "course", "completed_on"], name="training_record_once"),
            db_bounds.date_in_era("training_record", "completed_on"),
            db_bounds.date_in_era("training_record", "expires_on"),
        ]
        indexes = [models.Index(fields=["user", "expires_on"], name="training_user_expiry")]

    def __str__(self) -> str:
        return f"{self.user}: {self.course} on {self.completed_on}"

    @property
    def audit_label(self) -> str:
        return f"training record {self.pk}"


class SecurityDocument(models.Model):
    """An agency's security summary document (Haringey 7.2-7.4). Other agencies see it only once the owning
    agency grants their written request: a django-guardian object permission to the requesting agency's
    group, with an expiry kept on the request."""

    agency = models.OneToOneField(Agency, on_delete=models.PROTECT, related_name="security_document")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Security summary of {self.agency}"

    @property
    def audit_label(self) -> str:
        return f"security document of {self.agency}"


class SecurityDocumentVersion(models.Model):
    """One uploaded PDF. Stored outside the web root under a random name; served only through the policy."""

    document = models.ForeignKey(SecurityDocument, on_delete=models.PROTECT, related_name="versions")
    stored_name = models.CharField(max_length=100, unique=True)
    original_name = models.CharField(max_length=255)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        constraints = [models.CheckConstraint(condition=models.Q(size__gt=0), name="security_document_not_empty")]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.uploaded_at:%Y-%m-%d})"


class AccessRequestState(models.TextChoices):
    PENDING = "pending", "Waiting for a decision"
    GRANTED = "granted", "Granted"
    REFUSED = "refused", "Refused"
    EXPIRED = "expired", "Expired"


class SecurityDocumentAccessRequest(models.Model):
    """Haringey 7.2: a partner asks in writing to see another's security document; the owner decides."""

    document = models.ForeignKey(SecurityDocument, on_delete=models.PROTECT, related_name="access_requests")
    requesting_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="document_requests")
    requested_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(max_length=bounds.REASON)
    requested_at = models.DateTimeField(default=timezone.now)
    state = models.CharField(max_length=16, choices=AccessRequestState.choices, default=AccessRequestState.PENDING)
    decided_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True, max_length=bounds.REASON)
    access_expires_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(reason=""), name="document_request_has_reason"),
            models.CheckConstraint(
                condition=~models.Q(state="granted") | models.Q(access_expires_on__isnull=False),
                name="document_grant_expires",
            ),
            models.CheckConstraint(
                condition=models.Q(state="pending") | models.Q(decided_at__isnull=False),
                name="document_request_decided_when_closed",
            ),
            models.UniqueConstraint(
                fields=["document", "requesting_agency"],
                condition=models.Q(state="pending"),
                name="document_request_one_pending",
            ),
            db_bounds.text_length("document_request", "reason", bounds.REASON),
            db_bounds.text_length("document_request", "decision_note", bounds.REASON),
            db_bounds.date_in_era("document_request", "access_expires_on"),
        ]

    def __str__(self) -> str:
        return f"{self.requesting_agency} asks to see {self.document}"

    @property
    def audit_label(self) -> str:
        return f"access request {self.pk} for {self.document}"


class SecurityDocumentGroupPermission(GroupObjectPermissionBase):
    """django-guardian grants on security documents, with a real foreign key (DESIGN 3.2: guardian's
    generic keys are slow at scale)."""

    content_object = models.ForeignKey(SecurityDocument, on_delete=models.CASCADE)


class SecurityDocumentUserPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(SecurityDocument, on_delete=models.CASCADE)


class SignatoryRequirement(models.Model):
    """One item of the signatory requirements list (Southampton 18). The list is data, kept by partnership
    admins; an agency confirms each active item every year."""

    number = models.PositiveSmallIntegerField()
    text = models.TextField(max_length=bounds.REQUIREMENT)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(
                fields=["number"], condition=models.Q(is_active=True), name="requirement_number_unique"
            ),
            models.CheckConstraint(condition=~models.Q(text=""), name="requirement_has_text"),
            db_bounds.text_length("requirement", "text", bounds.REQUIREMENT),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.text}"


class ChecklistConfirmation(models.Model):
    """An agency's confirmation of one requirement, with the date and a note. Renewal adds a new row; the
    newest per requirement is the one that counts."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="checklist_confirmations")
    requirement = models.ForeignKey(SignatoryRequirement, on_delete=models.PROTECT, related_name="confirmations")
    confirmed_on = models.DateField()
    note = models.TextField(blank=True, max_length=bounds.REASON)
    confirmed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-confirmed_on", "-id"]
        indexes = [models.Index(fields=["agency", "requirement", "-confirmed_on"], name="checklist_latest")]
        constraints = [
            db_bounds.text_length("checklist_confirmation", "note", bounds.REASON),
            db_bounds.date_in_era("checklist_confirmation", "confirmed_on"),
        ]

    def __str__(self) -> str:
        return f"{self.agency} confirmed {self.requirement.number} on {self.confirmed_on}"

    @property
    def audit_label(self) -> str:
        return f"checklist confirmation {self.pk} of {self.agency}"
