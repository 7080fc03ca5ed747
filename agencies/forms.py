"""Forms of the agencies pages. They only parse and present input: the rules are in the services, whose
field-level errors the views put back on these forms (`add_service_errors`)."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from agencies.models import (
    AGENCY_ROLES,
    Agency,
    AgencyKind,
    AgencyStatus,
    Area,
    Membership,
    Role,
    Sector,
    SignatoryRequirement,
    TokenScope,
    TrainingCourse,
    User,
)
from agencies.policy import may_be_authorised_for_restricted
from agencies.rules import (
    AUDITOR_ROLE,
    ROLES_AN_AUDITOR_CHECKS,
    TOKEN_SCOPE_DESCRIPTIONS,
    WIDENING_FACTS,
    WIDENING_FLAGS,
    Grants,
)
from agencies.rules import TokenScope as ScopeRule
from agencies.selectors import ICO_FILTERS
from isp_portal import bounds, refusals
from isp_portal.forms import GovukDateField, GovukForm, field_of

AGENCY_ROLE_CHOICES = [(role.value, role.label) for role in AGENCY_ROLES]
# A membership with no agency holds the partnership's own roles (DB constraints on Membership).
PARTNERSHIP_ROLE_CHOICES = [(role.value, role.label) for role in (Role.PARTNERSHIP_ADMIN, Role.AUDITOR)]


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form: on its field when the form has one, else on top. The
    refusal is recorded in the audit trail once, after the view (isp_portal.refusals)."""
    refusals.note_service_refusal(error)
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            target = field if field in form.fields else None
            for message in messages:
                form.add_error(target, message)
    else:
        for message in error.messages:
            form.add_error(None, message)


def add_service_message(request: HttpRequest, error: ValidationError) -> None:
    """A service's refusal of a button with no form (resend, revoke...): shown as an error message, and
    recorded once after the view like a form's (isp_portal.refusals)."""
    refusals.note_service_refusal(error)
    messages.error(request, " ".join(error.messages))


class AgencyFilterForm(GovukForm):
    error_names: ClassVar[dict[str, str]] = {"search": "the search text"}

    search = forms.CharField(label="Name contains", required=False, max_length=100)
    kind = forms.ChoiceField(label="Kind", required=False, choices=[("", "Any kind"), *AgencyKind.choices])
    area = forms.ChoiceField(label="Area", required=False)
    status = forms.ChoiceField(label="Status", required=False, choices=[("", "Any status"), *AgencyStatus.choices])
    ico = forms.ChoiceField(label="ICO registration", required=False, choices=[("", "Any"), *ICO_FILTERS.items()])

    def __init__(self, *args: Any, areas: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_of(self, "area", forms.ChoiceField).choices = [("", "Any area"), *areas]


class AgencyContactForm(GovukForm):
    """What an agency's own admin keeps up to date (Haringey 2.2 contact details, 4.1 ICO registration)."""

    error_names: ClassVar[dict[str, str]] = {"ico_registration_expires_on": "the ICO registration expiry date"}

    address = forms.CharField(
        label="Main contact address",
        required=False,
        max_length=bounds.ADDRESS,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    phone = forms.CharField(
        label="Main telephone number",
        required=False,
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "class": "govuk-input--width-20"}),
    )
    registration_number = forms.CharField(
        label="Registration number",
        required=False,
        max_length=50,
        help_text="Charity or company number, if it has one.",
        widget=forms.TextInput(attrs={"class": "govuk-input--width-20"}),
    )
    ico_registration_number = forms.CharField(
        label="ICO registration number",
        required=False,
        max_length=12,
        help_text="From the Information Commissioner's register of data protection fees, for example Z1234567.",
        widget=forms.TextInput(attrs={"class": "govuk-input--width-10", "spellcheck": "false"}),
    )
    ico_registration_expires_on = GovukDateField(
        label="ICO registration expires on", required=False, help_text="For example, 31 3 2027"
    )


class AgencyForm(AgencyContactForm):
    """The whole register entry (partnership admins)."""

    error_names: ClassVar[dict[str, str]] = {
        "name": "the agency name",
        "parent": "the commissioning agency",
        "ico_registration_expires_on": "the ICO registration expiry date",
    }

    name = forms.CharField(label="Name", max_length=200, widget=forms.TextInput(attrs={"autocomplete": "organization"}))
    kind = forms.ChoiceField(label="Kind of organisation", choices=AgencyKind.choices, widget=forms.RadioSelect)
    sector = forms.ChoiceField(label="Sector", choices=Sector.choices, widget=forms.RadioSelect)
    # One of the partnership's areas, never typed text (WYCPS area-based access compares them: issue 10).
    area = forms.ModelChoiceField(
        label="Local-authority area",
        required=False,
        queryset=Area.objects.order_by("name"),
        empty_label="No local-authority area",
        help_text="Social-care staff see personal details of children in their own area. "
        "A partnership admin adds missing areas.",
    )
    parent = forms.ModelChoiceField(
        label="Commissioned by",
        required=False,
        queryset=Agency.objects.none(),
        empty_label="Not commissioned",
        help_text="For a commissioned service or sub-contractor: the agency responsible for it.",
    )

    field_order = [
        "name",
        "kind",
        "sector",
        "area",
        "parent",
        "address",
        "phone",
        "registration_number",
        "ico_registration_number",
        "ico_registration_expires_on",
    ]

    def __init__(self, *args: Any, parents: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_of(self, "parent", forms.ModelChoiceField).queryset = parents


class AgencyStatusForm(GovukForm):
    to_status = forms.ChoiceField(label="New status", choices=AgencyStatus.choices, widget=forms.RadioSelect)
    reason = forms.CharField(
        label="Reason",
        max_length=bounds.REASON,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="This goes on the partnership's record and the agency's page.",
    )
    effective_on = GovukDateField(
        label="Date it took effect", required=False, help_text="Leave empty for today. For example, 27 3 2026"
    )


class InvitationForm(GovukForm):
    full_name = forms.CharField(label="Full name", max_length=200)
    email = forms.EmailField(
        label="Work email address", max_length=254, widget=forms.EmailInput(attrs={"spellcheck": "false"})
    )
    roles = forms.MultipleChoiceField(
        label="Roles",
        choices=AGENCY_ROLE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        help_text="A designated manager can also do everything a practitioner does.",
    )
    job_title = forms.CharField(label="Job title", required=False, max_length=200)
    team = forms.CharField(label="Team", required=False, max_length=200)


class InvitationAcceptForm(GovukForm):
    error_names: ClassVar[dict[str, str]] = {"password": "a password", "password_again": "the password again"}

    password = forms.CharField(
        label="Create a password",
        strip=False,
        max_length=bounds.PASSWORD,
        help_text="At least 12 characters. A few unrelated words is easiest to remember.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password_again = forms.CharField(
        label="Type the password again",
        strip=False,
        max_length=bounds.PASSWORD,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("password") and cleaned.get("password") != cleaned.get("password_again"):
            self.add_error("password_again", "The two passwords are different.")
        return cleaned


class MembershipForm(GovukForm):
    error_names: ClassVar[dict[str, str]] = {
        "is_caldicott_guardian": "whether they are the Caldicott guardian",
        "is_data_protection_officer": "whether they are the data protection officer",
        "is_nominated_representative": "whether they are the nominated representative",
        "is_head_of_service": "whether they are a head of service",
        "authorised_for_restricted": "whether they may see restricted information",
    }

    roles = forms.MultipleChoiceField(label="Roles", choices=AGENCY_ROLE_CHOICES, widget=forms.CheckboxSelectMultiple)
    job_title = forms.CharField(label="Job title", required=False, max_length=200)
    team = forms.CharField(label="Team", required=False, max_length=200)
    line_manager = forms.ModelChoiceField(
        label="Line manager",
        required=False,
        queryset=User.objects.none(),
        empty_label="None recorded",
        help_text="Disputes go first to the line managers of both practitioners.",
    )
    is_caldicott_guardian = forms.BooleanField(label="Caldicott guardian", required=False)
    is_data_protection_officer = forms.BooleanField(label="Data protection officer", required=False)
    is_nominated_representative = forms.BooleanField(
        label="Nominated representative for protocol consultations",
        required=False,
        help_text="They answer consultations on changes to the protocol for this agency.",
    )
    # Southampton 13: stage 2 of a dispute goes to the Head of Service or Service Manager of each agency (a widening
    # flag like the Caldicott guardian's: agencies.policy.grants decides who may set it).
    is_head_of_service = forms.BooleanField(
        label="Head of service or service manager",
        required=False,
        help_text="Disputes that line managers cannot resolve go to the heads of service.",
    )
    authorised_for_restricted = forms.BooleanField(
        label="Authorised to see restricted social-care information",
        required=False,
        help_text="Local-authority social-care staff only, for example the Schedule One offender indicator.",
    )
    vetting_checked_on = GovukDateField(
        label="Enhanced vetting check date", required=False, help_text="For example, 27 3 2026"
    )

    # The roles offered are exactly those this person may give or take away (agencies.policy.grants): any
    # other, like a disabled flag posted anyway, was sent by tampering (GovukForm).
    offered_only = frozenset({"roles"})

    def __init__(
        self,
        *args: Any,
        membership: Membership,
        colleagues: Any,
        grants: Grants,
        keep_admin_reason: str | None = None,
        **kwargs: Any,
    ) -> None:
        """`keep_admin_reason`: why nobody may take the admin role away from this membership (the last
        active human admin, agencies.services.people.membership_admin_role_refusal); the role is then not
        offered, and the hint says why."""
        super().__init__(*args, **kwargs)
        # The flag as it is now, whatever initial values the page passed (a flag left out would be cleared).
        self.initial.setdefault("is_head_of_service", membership.is_head_of_service)
        self.refusal_target = membership
        self._admin_kept = bool(keep_admin_reason)
        field_of(self, "line_manager", forms.ModelChoiceField).queryset = colleagues
        if not may_be_authorised_for_restricted(membership.agency.kind if membership.agency is not None else None):
            del self.fields["authorised_for_restricted"]
        # The page offers exactly the changes the person may make (agencies.policy.grants, the rule the
        # service applies): roles they may give or take away, and flags they may set or clear. Roles it does
        # not offer (say, the auditor role a partnership admin gave) are kept as they are.
        current = set(membership.roles)
        if membership.agency_id is None:
            # The partnership's own roles; the agency flags (Caldicott guardian, DPO, the nominated
            # representative who answers consultations) belong to a membership of an agency.
            candidates = [Role.PARTNERSHIP_ADMIN, Role.AUDITOR]
            for name in (
                "is_caldicott_guardian", "is_data_protection_officer", "is_nominated_representative",
                "is_head_of_service",
            ):  # fmt: skip
                del self.fields[name]
        else:
            candidates = [role for role in Role if role.value != Role.PARTNERSHIP_ADMIN]
        offered = [
            role
            for role in candidates
            if (role.value in current and role.value in grants.roles_remove and not self._kept_admin(role))
            or (role.value not in current and role.value in grants.roles_add)
        ]
        self.kept_roles = sorted(current - {role.value for role in offered})
        self.keep_admin_reason = keep_admin_reason
        roles_field = field_of(self, "roles", forms.MultipleChoiceField)
        roles_field.choices = [(role.value, role.label) for role in offered]
        roles_field.error_messages["invalid_choice"] = (
            "You cannot give yourself a role: another admin must."
            if grants.is_self
            else "You can only give or take away the roles shown here."
        )
        if not offered:
            del self.fields["roles"]
        elif self.kept_roles:
            labels = ", ".join(Role(role).label.lower() for role in self.kept_roles)
            roles_field.help_text = f"Also holds: {labels} (not yours to change here)."
            roles_field.required = False
        reachable = (
            {value for value, _ in roles_field.choices} | set(self.kept_roles) if "roles" in self.fields else set()
        )
        if AUDITOR_ROLE in reachable and reachable & ROLES_AN_AUDITOR_CHECKS:
            # Separation of duties (agencies.rules.role_combination_problem; the service refuses the pair and
            # records the attempt): said before anyone ticks both.
            roles_field.help_text = (
                f"{roles_field.help_text} The auditor role cannot be held with an admin role: an auditor checks "
                "the admins' work."
            ).strip()
        if keep_admin_reason and "roles" in self.fields:
            roles_field.help_text = f"{roles_field.help_text} {keep_admin_reason}".strip()
        for field, label in WIDENING_FLAGS.items():
            if field not in self.fields:
                continue
            held = bool(getattr(membership, field))
            if (held and field not in grants.flags_clear) or (not held and field not in grants.flags_set):
                self.fields[field].disabled = True
                self.fields[field].help_text = (
                    f"You cannot mark yourself {label}: another admin must."
                    if grants.is_self and not grants.standing_refusal
                    else f"You cannot change whether someone is {label}."
                )
        for field, label in WIDENING_FACTS.items():
            if field in self.fields and field not in grants.flags_set and not grants.standing_refusal:
                # A fact that widens access (the vetting check) is set by someone else (agencies.policy.grants).
                self.fields[field].disabled = True
                self.fields[field].help_text = (
                    f"You cannot set your own {label}: another admin of your agency or a partnership admin must."
                    if grants.is_self
                    else f"You cannot set someone's {label}."
                )
        if grants.standing_refusal:
            # The agency may not take people on or change their details now; taking roles and flags away is
            # still offered (agencies.policy.grants).
            for name in ("job_title", "team", "line_manager", "vetting_checked_on"):
                if name in self.fields:
                    self.fields[name].disabled = True
            self.fields["job_title"].help_text = grants.standing_refusal

    def _kept_admin(self, role: Role) -> bool:
        return self._admin_kept and role in (Role.AGENCY_ADMIN, Role.PARTNERSHIP_ADMIN)

    def roles_to_save(self) -> list[str]:
        """The roles the form was given, with those it did not offer kept as they were."""
        chosen = self.cleaned_data.get("roles") if "roles" in self.fields else []
        return sorted(set(chosen or []) | set(self.kept_roles))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if "roles" not in self.fields and "roles" in self.data:
            # No role is offered here, yet roles were posted: unless they are the ones held, tampering.
            posted = set(self.data.getlist("roles")) if hasattr(self.data, "getlist") else set(self.data["roles"])
            if posted != set(self.kept_roles):
                self.add_error(None, "You cannot change these roles here: another admin with the standing must.")
                refusals.note_tampered_field("roles", self.refusal_target)
        if "roles" in self.fields and not cleaned.get("roles") and not self.kept_roles and "roles" not in self.errors:
            self.add_error("roles", "Choose at least one role.")
        return cleaned


class ApiTokenForm(GovukForm):
    """A new API token for one of the agency's systems: its name, what it may do, and when it expires."""

    error_names: ClassVar[dict[str, str]] = {"scopes": "what the token may do", "expires_on": "the expiry date"}

    name = forms.CharField(
        label="Name of the system",
        max_length=100,
        help_text="For example, Case management system. It identifies the token in the audit trail.",
    )
    scopes = forms.MultipleChoiceField(
        label="What it may do",
        choices=[(scope.value, TOKEN_SCOPE_DESCRIPTIONS[ScopeRule(scope.value)]) for scope in TokenScope],
        widget=forms.CheckboxSelectMultiple,
        help_text="Choose only what the system needs. No token can change an agency admin or a widening flag.",
    )
    expires_on = GovukDateField(label="Expires on", help_text="At most a year from today. For example, 31 3 2027")


class DeactivateForm(GovukForm):
    error_names: ClassVar[dict[str, str]] = {"reason": "why this membership is ending"}

    reason = forms.CharField(
        label="Why is this membership ending?",
        max_length=bounds.REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example, left the agency or moved team. Their sessions end at once.",
    )


class TrainingRecordForm(GovukForm):
    error_names: ClassVar[dict[str, str]] = {
        "completed_on": "the date the training was completed",
        "expires_on": "the date the training stops counting",
    }

    user = forms.ModelChoiceField(label="Person", queryset=User.objects.none())
    course = forms.ModelChoiceField(label="Course", queryset=TrainingCourse.objects.none())
    completed_on = GovukDateField(label="Completed on", help_text="For example, 27 3 2026")
    expires_on = GovukDateField(
        label="Counts until", required=False, help_text="Leave empty to use the course's usual period."
    )
    evidence = forms.CharField(
        label="Evidence",
        required=False,
        max_length=200,
        help_text="Certificate number, or where the certificate is kept.",
    )

    def __init__(self, *args: Any, members: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_of(self, "user", forms.ModelChoiceField).queryset = members
        field_of(self, "course", forms.ModelChoiceField).queryset = TrainingCourse.objects.filter(
            is_active=True
        ).order_by("name")


class TrainingImportForm(GovukForm):
    error_names: ClassVar[dict[str, str]] = {"file": "a CSV file"}

    file = forms.FileField(
        label="Upload a CSV file",
        help_text="Columns: email, course, completed_on, expires_on, evidence, separated by commas, semicolons or "
        "tabs. Dates like 2026-03-27.",
    )

    def clean_file(self) -> str:
        upload = self.cleaned_data["file"]
        if upload.size > 2 * 1024 * 1024:
            raise forms.ValidationError("The file must be smaller than 2 MB.")
        try:
            text: str = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError("The file must be a CSV saved as UTF-8 text.") from None
        return text


class SecurityDocumentForm(GovukForm):
    error_names: ClassVar[dict[str, str]] = {"file": "the security summary PDF"}

    file = forms.FileField(
        label="Upload the security summary (PDF)",
        help_text="A PDF of at most 10 MB.",
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"}),
    )


class AccessRequestForm(GovukForm):
    error_names: ClassVar[dict[str, str]] = {"reason": "why your agency needs to see it"}

    reason = forms.CharField(
        label="Why does your agency need to see it?",
        max_length=bounds.REASON,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Your request is in writing, as the protocol requires.",
    )


class AccessDecisionForm(GovukForm):
    error_names: ClassVar[dict[str, str]] = {"access_expires_on": "the date access ends"}

    decision = forms.ChoiceField(
        label="Decision", choices=[("grant", "Grant access"), ("refuse", "Refuse")], widget=forms.RadioSelect
    )
    access_expires_on = GovukDateField(
        label="If granted, access ends on",
        required=False,
        help_text="At most a year from today. For example, 31 3 2027",
    )
    note = forms.CharField(
        label="Note to the requesting agency",
        required=False,
        max_length=bounds.REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required when you refuse.",
    )


class RequirementChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        text = obj.text if len(obj.text) <= 90 else obj.text[:87] + "..."
        return f"{obj.number}. {text}"


class ChecklistConfirmForm(GovukForm):
    error_names: ClassVar[dict[str, str]] = {"confirmed_on": "the date it was confirmed"}

    requirement = RequirementChoiceField(
        label="Requirement",
        queryset=SignatoryRequirement.objects.filter(is_active=True).order_by("number"),
        empty_label=None,
    )
    confirmed_on = GovukDateField(label="Confirmed on", help_text="For example, 27 3 2026")
    note = forms.CharField(
        label="Note",
        required=False,
        max_length=bounds.REASON,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="How you meet it, or where the evidence is.",
    )


class RequirementForm(GovukForm):
    error_names: ClassVar[dict[str, str]] = {"is_active": "whether it is on the list"}

    text = forms.CharField(label="Requirement", max_length=bounds.REQUIREMENT, widget=forms.Textarea(attrs={"rows": 3}))
    is_active = forms.BooleanField(label="On the list (agencies must confirm it)", required=False, initial=True)


ROLE_LABELS = {role.value: role.label for role in Role}
