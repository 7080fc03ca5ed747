"""Forms of the protocols pages: parsing and presentation only (the rules are in the services)."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms

from agencies.models import Agency, User
from isp_portal import bounds
from isp_portal.forms import GovukDateField, GovukForm, field_of
from protocols.models import AgeCondition, Ground, Protocol, ProtocolKind, ProtocolStatus
from protocols.rules import RULE_CLAUSES, attestation_sentence


class LinesField(forms.CharField):
    """A list entered one item per line: at most `max_items` lines of at most `max_item_length` characters
    each (the database holds each item in a column of that length)."""

    widget = forms.Textarea(attrs={"rows": 6})

    def __init__(self, *, max_item_length: int, max_items: int = bounds.LIST_ITEMS, **kwargs: Any) -> None:
        self.max_item_length = max_item_length
        self.max_items = max_items
        # The whole text: every item, its line break and some spaces.
        super().__init__(max_length=max_items * (max_item_length + 10), **kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return "\n".join(str(item) for item in value)
        return value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        if bounds.has_nul(str(text)):
            raise forms.ValidationError("Null characters are not allowed.", code="null_characters_not_allowed")
        if self.max_length is not None and len(str(text)) > self.max_length:
            raise forms.ValidationError(f"Enter at most {self.max_items} lines.", code="max_length")
        return [line.strip() for line in str(text).splitlines() if line.strip()]

    def validate(self, value: Any) -> None:
        super().validate(value)
        if len(value) > self.max_items:
            raise forms.ValidationError(f"Enter at most {self.max_items} lines.", code="max_items")
        too_long = [line for line in value if len(line) > self.max_item_length]
        if too_long:
            raise forms.ValidationError(
                f"Each line must be at most {self.max_item_length} characters; one has {len(too_long[0])}.",
                code="max_item_length",
            )

    def run_validators(self, value: Any) -> None:
        # CharField's validators (length, NUL) would see the list, not the text: to_python checks the text.
        return None


class VersionRulesForm(GovukForm):
    """A version: its text and the rules the portal enforces from it."""

    error_names: ClassVar[dict[str, str]] = {
        "change_note": "what this version changes",
        "permitted_purposes": "the permitted purposes",
        "extended_age_conditions": "who the extended age applies to",
        "retention_months": "the default retention period",
    }

    text = forms.CharField(
        label="Protocol text", max_length=bounds.PROTOCOL_TEXT, widget=forms.Textarea(attrs={"rows": 16})
    )
    change_note = forms.CharField(
        label="What this version changes",
        max_length=bounds.REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Changes are agreed by report to the partnership.",
    )
    age_min = forms.IntegerField(
        label="Youngest age covered",
        min_value=0,
        max_value=25,
        widget=forms.NumberInput(attrs={"class": "govuk-input--width-3"}),
    )
    age_max = forms.IntegerField(
        label="Oldest age covered",
        min_value=1,
        max_value=25,
        widget=forms.NumberInput(attrs={"class": "govuk-input--width-3"}),
        help_text="Usually 18 or 19.",
    )
    extended_age_max = forms.IntegerField(
        label="Extended upper age",
        min_value=1,
        max_value=30,
        required=False,
        widget=forms.NumberInput(attrs={"class": "govuk-input--width-3"}),
        help_text="For example 25, for the young people below.",
    )
    extended_age_conditions = forms.MultipleChoiceField(
        label="The extended age applies to",
        required=False,
        choices=AgeCondition.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    permitted_purposes = LinesField(
        label="Purposes information may be shared for", max_item_length=200, help_text="One per line."
    )
    aggregate_fields = LinesField(
        label="Aggregate tier", max_item_length=120, required=False, help_text="One field per line."
    )
    minimum_fields = LinesField(
        label="Minimum data tier", max_item_length=120, required=False, help_text="One field per line."
    )
    sensitive_fields = LinesField(
        label="Detailed and sensitive tier", max_item_length=120, required=False, help_text="One field per line."
    )
    grounds_without_consent = forms.MultipleChoiceField(
        label="Grounds for sharing without consent",
        choices=Ground.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    response_working_days = forms.IntegerField(
        label="Response time for requests (working days)",
        min_value=1,
        max_value=60,
        widget=forms.NumberInput(attrs={"class": "govuk-input--width-3"}),
    )
    retention_months = forms.IntegerField(
        label="Default retention (months)",
        min_value=1,
        max_value=600,
        widget=forms.NumberInput(attrs={"class": "govuk-input--width-3"}),
    )

    shows_held_categories = forms.BooleanField(
        label="Other agencies see which kinds of information each agency holds about a child",
        required=False,
        help_text="Never the content: only, for example, that the school holds health information. An agency "
        "always sees its own entries.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Which section of the text states each rule the portal cites to users (data on the version).
        clauses = self.initial.get("clauses") or {}
        for key, label in RULE_CLAUSES.items():
            self.fields[f"clause_{key}"] = forms.CharField(
                label=f"Section on: {label.lower()}",
                required=False,
                max_length=16,
                initial=clauses.get(key, ""),
                widget=forms.TextInput(attrs={"class": "govuk-input--width-5"}),
                help_text="The section number in the text above, like 5.1. Messages to users cite it."
                if key == next(iter(RULE_CLAUSES))
                else "",
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        cleaned["clauses"] = {
            key: value for key in RULE_CLAUSES if (value := (cleaned.pop(f"clause_{key}", "") or "").strip())
        }
        return cleaned


class ProtocolCreateForm(VersionRulesForm):
    error_names: ClassVar[dict[str, str]] = {
        **VersionRulesForm.error_names,
        "kind": "the kind of protocol",
        "parent": "the protocol it supplements",
        "first_review_months": "the months to the first review",
        "review_every_months": "the months between reviews",
        "fixed_review_date": "the fixed review date",
    }

    title = forms.CharField(label="Title", max_length=200)
    kind = forms.ChoiceField(label="Kind", choices=ProtocolKind.choices, widget=forms.RadioSelect)
    parent = forms.ModelChoiceField(
        label="Supplements",
        queryset=Protocol.objects.none(),
        required=False,
        empty_label="Nothing",
        help_text="For an individual protocol or a code of practice: the general protocol it supplements.",
    )
    first_review_months = forms.IntegerField(
        label="First review (months after completion)",
        required=False,
        min_value=1,
        max_value=60,
        widget=forms.NumberInput(attrs={"class": "govuk-input--width-3"}),
    )
    review_every_months = forms.IntegerField(
        label="Then every (months)",
        required=False,
        min_value=1,
        max_value=60,
        widget=forms.NumberInput(attrs={"class": "govuk-input--width-3"}),
    )
    fixed_review_date = GovukDateField(
        label="Or a fixed review date",
        required=False,
        help_text="Instead of the schedule above. For example, 30 9 2028",
    )

    field_order = ["title", "kind", "parent", "first_review_months", "review_every_months", "fixed_review_date"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only a general protocol is supplemented (protocols.rules.supplement_error).
        field_of(self, "parent", forms.ModelChoiceField).queryset = Protocol.objects.filter(
            kind=ProtocolKind.GENERAL
        ).order_by("title")
        self.fields["change_note"].initial = "First draft"


class TransitionForm(GovukForm):
    to_status = forms.ChoiceField(label="New status", widget=forms.RadioSelect)
    reason = forms.CharField(label="Reason", max_length=bounds.REASON, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_of(self, "to_status", forms.ChoiceField).choices = choices


class AdoptForm(GovukForm):
    completion_date = GovukDateField(
        label="Completion date",
        required=False,
        help_text="When the protocol was agreed; reviews are counted from it. Empty: today.",
    )


class SignForm(GovukForm):
    agency = forms.ModelChoiceField(label="Agency", queryset=Agency.objects.none(), empty_label=None)
    signatory_name = forms.CharField(label="Name of the authorised signatory", max_length=200)
    signatory_title = forms.CharField(label="Their job title", max_length=200)
    attestation = forms.CharField(
        label="Attestation",
        max_length=bounds.REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, agencies: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_of(self, "agency", forms.ModelChoiceField).queryset = agencies
        names = [agency.name for agency in agencies]
        # The set sentence the service checks (protocols.rules.attestation_matches), with the agency named.
        sentence = attestation_sentence(names[0] if len(names) == 1 else "[your agency]")
        self.fields["attestation"].help_text = f"Type exactly: “{sentence}”"


class ReasonForm(GovukForm):
    reason = forms.CharField(label="Reason", max_length=bounds.REASON, widget=forms.Textarea(attrs={"rows": 3}))


class ConsultationOpenForm(GovukForm):
    working_days = forms.IntegerField(
        label="Working days for responses",
        initial=20,
        min_value=1,
        max_value=60,
        widget=forms.NumberInput(attrs={"class": "govuk-input--width-3"}),
    )
    quorum_percent = forms.IntegerField(
        label="Quorum (optional)",
        required=False,
        min_value=1,
        max_value=100,
        widget=forms.NumberInput(attrs={"class": "govuk-input--width-3"}),
        help_text="Percentage of circulated agencies that must agree (silence counts as agreement). Empty: none.",
    )


class RespondForm(GovukForm):
    error_names: ClassVar[dict[str, str]] = {"agency": "the agency you respond for"}

    agency = forms.ModelChoiceField(label="Responding for", queryset=Agency.objects.none(), empty_label=None)
    response = forms.ChoiceField(
        label="Your agency's response",
        widget=forms.RadioSelect,
        choices=[("agree", "Agree"), ("object", "Object"), ("comment", "Comment")],
    )
    comment = forms.CharField(
        label="Comment",
        required=False,
        max_length=bounds.REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required if you object or comment.",
    )

    def __init__(self, *args: Any, agencies: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_of(self, "agency", forms.ModelChoiceField).queryset = agencies


class DecideForm(GovukForm):
    outcome = forms.ChoiceField(
        label="Outcome",
        widget=forms.RadioSelect,
        choices=[("adopt", "Adopt: the new version comes into force"), ("reject", "Reject")],
    )
    note = forms.CharField(
        label="Note",
        required=False,
        max_length=bounds.REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required if you reject.",
    )


class ReviewCompleteForm(GovukForm):
    error_names: ClassVar[dict[str, str]] = {"completed_on": "the date the review was completed"}

    officers = forms.ModelMultipleChoiceField(
        label="Officers who carried out the review",
        required=False,
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    findings = forms.CharField(label="Findings", max_length=bounds.LONG_TEXT, widget=forms.Textarea(attrs={"rows": 8}))
    completed_on = GovukDateField(label="Review completed on", help_text="For example, 27 3 2026")

    def __init__(self, *args: Any, officers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_of(self, "officers", forms.ModelMultipleChoiceField).queryset = officers


class ActionForm(GovukForm):
    error_names: ClassVar[dict[str, str]] = {"due_on": "the due date"}

    description = forms.CharField(
        label="Action", max_length=bounds.REQUIREMENT, widget=forms.Textarea(attrs={"rows": 2})
    )
    owner_agency = forms.ModelChoiceField(label="Owner", queryset=Agency.objects.order_by("name"))
    due_on = GovukDateField(label="Due on", help_text="For example, 27 3 2027")


class ActionUpdateForm(GovukForm):
    status = forms.ChoiceField(
        label="Status",
        widget=forms.RadioSelect,
        choices=[("open", "Open"), ("done", "Done"), ("cancelled", "Cancelled")],
    )
    note = forms.CharField(
        label="Note", required=False, max_length=bounds.REASON, widget=forms.Textarea(attrs={"rows": 2})
    )


class AuditNoticeForm(GovukForm):
    error_names: ClassVar[dict[str, str]] = {
        "notice_given_on": "the date notice was given",
        "starts_on": "the date the audit starts",
        "responses_due_on": "the date responses are due",
    }

    auditing_agency = forms.ModelChoiceField(label="Auditing agency", queryset=Agency.objects.none(), empty_label=None)
    scope = forms.CharField(
        label="Scope of the audit",
        max_length=bounds.LONG_TEXT,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Given to the partners in writing, at least one month before the audit starts.",
    )
    notice_given_on = GovukDateField(label="Notice given on")
    starts_on = GovukDateField(label="Audit starts on")
    responses_due_on = GovukDateField(
        label="Responses to draft extracts due by", help_text="The time agreed with the partners."
    )

    def __init__(self, *args: Any, agencies: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_of(self, "auditing_agency", forms.ModelChoiceField).queryset = agencies


class ExtractForm(GovukForm):
    title = forms.CharField(label="Title", max_length=200)
    text = forms.CharField(label="Draft extract", max_length=bounds.LONG_TEXT, widget=forms.Textarea(attrs={"rows": 8}))
    named_agencies = forms.ModelMultipleChoiceField(
        label="Partners named in it (only they will see it)",
        queryset=Agency.objects.order_by("name"),
        widget=forms.CheckboxSelectMultiple,
    )


class ExtractResponseForm(GovukForm):
    error_names: ClassVar[dict[str, str]] = {"agency": "the agency you respond for"}

    agency = forms.ModelChoiceField(label="Responding for", queryset=Agency.objects.none(), empty_label=None)
    text = forms.CharField(label="Response", max_length=bounds.LONG_TEXT, widget=forms.Textarea(attrs={"rows": 5}))

    def __init__(self, *args: Any, agencies: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_of(self, "agency", forms.ModelChoiceField).queryset = agencies


class MeetingForm(GovukForm):
    error_names: ClassVar[dict[str, str]] = {"held_on": "the date of the meeting"}

    title = forms.CharField(label="Title", max_length=200)
    held_on = GovukDateField(label="Date")
    location = forms.CharField(label="Location", required=False, max_length=200)
    attendee_agencies = forms.ModelMultipleChoiceField(
        label="Agencies attending",
        help_text="The minutes are circulated to them.",
        queryset=Agency.objects.order_by("name"),
        widget=forms.CheckboxSelectMultiple,
    )
    agenda = LinesField(label="Agenda", max_item_length=200, help_text="One item per line.", required=False)
    reviews = forms.ModelMultipleChoiceField(
        label="Reviews to report at this meeting",
        required=False,
        queryset=Protocol.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, reviews: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_of(self, "reviews", forms.ModelMultipleChoiceField).queryset = reviews


class MinutesForm(GovukForm):
    minutes = forms.CharField(label="Minutes", max_length=bounds.LONG_TEXT, widget=forms.Textarea(attrs={"rows": 10}))


STATUS_LABELS = dict(ProtocolStatus.choices)
