"""The forms of the consent pages (GOV.UK Design System). They check only the shape of what is typed; who may
decide, competence, scope, dates and evidence are the rules' and the service's (consent.rules,
consent.services.consent_record), whose field messages the views put on these forms
(agencies.forms.add_service_errors)."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms

from consent.models import Competence, ConsentForm, ConsentTier, Decision, GivenBy
from isp_portal import bounds
from isp_portal.forms import GovukDateField, GovukForm, field_of

# The sections of the record form, in order: (anchor, heading, fields). The check page's Change links point at
# the anchors.
SECTIONS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "who",
        "Who made the decision",
        ("agency", "given_by", "parent_name", "parent_relationship", "parents_separated", "is_resident_parent"),
    ),
    ("competence", "Competence", ("competence", "assessed_on", "assessor_name")),
    ("decision", "The decision", ("decision", "form", "obtained_on", "notice_given_on")),
    ("scope", "What it covers", ("purposes", "tiers", "whom", "recipients")),
    ("period", "For how long", ("valid_from", "valid_until", "review_due_on", "note")),
)
EVERY_SIGNATORY = "all"
NAMED = "named"
NO_ASSESSMENT = "none"


class AgencyIdsField(forms.TypedMultipleChoiceField):
    """Agencies named by id: the ones offered are listed, but any id is taken, so that an agency the service
    refuses (one that has not signed the protocol) is refused with the service's own sentence, naming it."""

    def valid_value(self, value: Any) -> bool:
        return str(value).isdigit() and len(str(value)) <= 12


class ConsentRecordForm(GovukForm):
    """One decision about sharing a child's information (DESIGN 2.4): who, competence, form, scope, period."""

    error_names: ClassVar[dict[str, str]] = {
        "given_by": "who made the decision",
        "parent_name": "the parent's full name",
        "is_resident_parent": "whether this is the parent the child lives with",
        "parent_relationship": "their relationship to the child",
        "competence": "the outcome of the competence assessment",
        "assessed_on": "the date of the assessment",
        "assessor_name": "who made the assessment",
        "decision": "whether consent was given or refused",
        "form": "how the decision was made",
        "obtained_on": "the date the decision was obtained",
        "notice_given_on": "the date the fair-processing notice was given",
        "purposes": "the purposes it covers",
        "tiers": "the information it covers",
        "whom": "who may receive the information",
        "recipients": "the agencies",
        "valid_from": "the start of the period",
        "valid_until": "the end of the period",
        "review_due_on": "the review date",
        "note": "the note",
    }
    offered_only = frozenset({"agency"})

    given_by = forms.ChoiceField(label="Who made the decision?", choices=GivenBy.choices, widget=forms.RadioSelect)
    parent_name = forms.CharField(
        label="Parent's full name",
        required=False,
        max_length=bounds.NAME,
        help_text="Only for a decision by a person with parental responsibility.",
    )
    parent_relationship = forms.CharField(
        label="Their relationship to the child",
        required=False,
        max_length=bounds.NAME,
        help_text="For example mother, father or special guardian.",
    )
    parents_separated = forms.BooleanField(label="The child's parents are separated", required=False)
    is_resident_parent = forms.BooleanField(
        label="This is the parent the child lives with (the resident parent)",
        required=False,
        help_text="When parents are separated, the resident parent's decision is the one to record.",
    )
    competence = forms.ChoiceField(
        label="Outcome of the Fraser/Gillick assessment",
        choices=[
            (NO_ASSESSMENT, "No assessment was made"),
            (Competence.COMPETENT.value, "Competent to decide for themselves"),
            (Competence.NOT_COMPETENT.value, "Not competent to decide"),
        ],
        widget=forms.RadioSelect,
        initial=NO_ASSESSMENT,
    )
    assessed_on = GovukDateField(label="Date of the assessment", required=False, help_text="For example, 27 3 2026")
    assessor_name = forms.CharField(label="Who made the assessment", required=False, max_length=bounds.NAME)
    decision = forms.ChoiceField(
        label="Was consent given or refused?", choices=Decision.choices, widget=forms.RadioSelect
    )
    form = forms.ChoiceField(label="How was the decision made?", choices=ConsentForm.choices, widget=forms.RadioSelect)
    obtained_on = GovukDateField(label="Date the decision was obtained", help_text="For example, 27 3 2026")
    notice_given_on = GovukDateField(
        label="Date the fair-processing notice was given (optional)",
        required=False,
        help_text="When the child or family was told what will be shared, with whom and why, and that they may "
        "object. Needed for implied consent.",
    )
    purposes = forms.MultipleChoiceField(
        label="Which purposes does it cover?", choices=(), widget=forms.CheckboxSelectMultiple
    )
    tiers = forms.MultipleChoiceField(
        label="Which information does it cover?",
        choices=ConsentTier.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Counts of children are anonymised and need no consent.",
    )
    whom = forms.ChoiceField(
        label="Who may receive it?",
        choices=[
            (EVERY_SIGNATORY, "Every agency that has signed the protocol"),
            (NAMED, "Only the agencies named below"),
        ],
        widget=forms.RadioSelect,
    )
    recipients = AgencyIdsField(
        label="Agencies named",
        required=False,
        coerce=int,
        choices=(),
        widget=forms.CheckboxSelectMultiple,
        help_text="Only agencies that have signed the protocol can receive information.",
    )
    valid_from = GovukDateField(
        label="In force from (optional)", required=False, help_text="Left empty: from the day it was obtained."
    )
    valid_until = GovukDateField(label="In force until (optional)", required=False, help_text="Left empty: no end.")
    review_due_on = GovukDateField(
        label="Review date (optional)",
        required=False,
        help_text="Left empty: a year after the decision. Consent is kept under active review.",
    )
    note = forms.CharField(
        label="Note (optional)", required=False, max_length=bounds.REASON, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(
        self,
        *args: Any,
        agencies: list[tuple[int, str]],
        purposes: list[str],
        recipients: list[tuple[int, str]],
        competence_help: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        field_of(self, "purposes", forms.MultipleChoiceField).choices = [(p, p) for p in purposes]
        field_of(self, "recipients", forms.TypedMultipleChoiceField).choices = recipients
        self.fields["competence"].help_text = competence_help
        if len(agencies) > 1:
            self.fields["agency"] = forms.TypedChoiceField(
                label="Recording for", choices=agencies, coerce=int, widget=forms.RadioSelect
            )

    def clean_competence(self) -> str:
        value: str = self.cleaned_data["competence"]
        return "" if value == NO_ASSESSMENT else value

    def clean_recipients(self) -> list[int]:
        return list(dict.fromkeys(self.cleaned_data["recipients"]))[: bounds.LIST_ITEMS + 1]

    def sections(self) -> list[dict[str, Any]]:
        """The fields by section, for the template (a field the form does not have is left out)."""
        return [
            {"anchor": anchor, "heading": heading, "fields": [self[name] for name in names if name in self.fields]}
            for anchor, heading, names in SECTIONS
        ]


class EvidenceForm(GovukForm):
    """The signed form or a photograph of it (optional when recording; the service judges it by its content)."""

    error_names: ClassVar[dict[str, str]] = {"evidence": "the evidence file"}

    evidence = forms.FileField(
        label="Evidence (optional)",
        required=False,
        help_text="A PDF, PNG or JPEG of the signed form, up to 5 MB. You can also add it later.",
    )


class EvidenceAttachForm(GovukForm):
    error_names: ClassVar[dict[str, str]] = {"file": "the evidence file"}

    file = forms.FileField(label="Evidence file", help_text="A PDF, PNG or JPEG of the signed form, up to 5 MB.")


class WithdrawForm(GovukForm):
    error_names: ClassVar[dict[str, str]] = {
        "withdrawn_on": "the date the consent was withdrawn",
        "reason": "why it was withdrawn, and by whom",
    }

    withdrawn_on = GovukDateField(label="Date the consent was withdrawn", help_text="For example, 27 3 2026")
    reason = forms.CharField(
        label="Why was it withdrawn, and by whom?",
        max_length=bounds.REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ReviewForm(GovukForm):
    error_names: ClassVar[dict[str, str]] = {
        "reviewed_on": "the date of the review",
        "note": "what the review found",
        "next_review_on": "the next review date",
    }

    reviewed_on = GovukDateField(label="Date of the review", help_text="For example, 27 3 2026")
    note = forms.CharField(
        label="What did the review find?", max_length=bounds.REASON, widget=forms.Textarea(attrs={"rows": 3})
    )
    next_review_on = GovukDateField(
        label="Next review date (optional)", required=False, help_text="Left empty: no further review is due."
    )


class ProtocolChoiceForm(GovukForm):
    error_names: ClassVar[dict[str, str]] = {"protocol": "the protocol the consent is given under"}

    protocol = forms.TypedChoiceField(
        label="Which protocol is the consent given under?", coerce=int, choices=(), widget=forms.RadioSelect
    )

    def __init__(self, *args: Any, protocols: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_of(self, "protocol", forms.TypedChoiceField).choices = protocols
