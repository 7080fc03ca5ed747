"""The forms of the onward pages (issue 13; Southampton 10-11): asking to pass on, the originator's decision, the
requester's withdrawal, and the onward disclosure. They check only the shape of what is typed: who may act, and what
each step needs, are the policy's and the services' (disclosures.onward_policy, disclosures.services.onward), whose
field messages the views put on these forms (agencies.forms.add_service_errors)."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms

from disclosures import rules
from disclosures.forms import answers as answer_forms
from disclosures.forms import requests as request_forms
from disclosures.models import DeclineReason
from isp_portal import bounds
from isp_portal.forms import GovukDateField, GovukForm, field_of
from sharing.rules import CATEGORY_LABELS

AGREE = "agree"
DECLINE = "decline"
DECLINE_CHOICES = [(value, label) for value, label in DeclineReason.choices if value in rules.ONWARD_DECLINE_REASONS]


class OnwardDecisionForm(GovukForm):
    """Agree to the information being passed on (with any conditions), or decline with a reason (Southampton 10;
    Buckinghamshire 5)."""

    error_names: ClassVar[dict[str, str]] = {
        "decision": "whether you agree to it being passed on",
        "conditions": "the conditions",
        "decline_reason": "why it may not be passed on",
        "decline_detail": "why it may not be passed on",
    }

    decision = forms.ChoiceField(
        label="Do you agree to this information being passed on?",
        choices=[(AGREE, "Yes, it may be passed on"), (DECLINE, "No, it may not")],
        widget=forms.RadioSelect,
    )
    conditions = forms.CharField(
        label="Conditions (if you agree)",
        required=False,
        max_length=bounds.REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="They become the terms of what is passed on.",
    )
    decline_reason = forms.ChoiceField(
        label="Why may it not be passed on? (if you decline)", required=False, choices=[("", ""), *DECLINE_CHOICES]
    )
    decline_detail = forms.CharField(
        label="More detail", required=False, max_length=bounds.REASON, widget=forms.Textarea(attrs={"rows": 3})
    )


class OnwardWithdrawForm(GovukForm):
    error_names: ClassVar[dict[str, str]] = {"reason": "why you no longer need to pass it on"}

    reason = forms.CharField(
        label="Why do you no longer need to pass it on?",
        max_length=bounds.REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


# --- Passing on (the passer's request to the originator) and the onward disclosure itself -------------------------

# The sections of the pass-on form, in order: (anchor, heading, fields); the check page's Change links point at them.
PASS_ON_SECTIONS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("entries", "What to pass on", ("entries", "tiers", "categories")),
    ("agency", "Who to pass it to", ("to_agency",)),
    ("purpose", "Why", ("purpose", "need_to_know")),
    ("consent", "Consent", ("consent_basis", "not_sought_reason", "override_ground")),
    ("basis", "The legal basis", ("legal_basis",)),
)
DISCLOSE_SECTIONS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("recipients", "Who receives it", ("recipients",)),
    ("told", "Whether the child or family was told", ("subject_told", "subject_not_told_reason")),
    ("retain", "How long they may read it", ("retain_until",)),
    (
        "why",
        "Why it is passed on",
        ("why_shared", "proportionality", "why_without_consent", "public_interest", "s29_form_reference"),
    ),
)


class _Sections:
    sections_of: ClassVar[tuple[tuple[str, str, tuple[str, ...]], ...]] = ()

    def sections(self) -> list[dict[str, Any]]:
        """The fields by section, for the template."""
        fields = getattr(self, "fields", {})
        return [
            {"anchor": anchor, "heading": heading, "fields": [self[name] for name in names if name in fields]}  # type: ignore[index]
            for anchor, heading, names in self.sections_of
        ]


class PassOnForm(_Sections, GovukForm):
    """Ask the agency the information came from to agree to pass it on (Southampton 10-11, 18 item 13): the entries
    received (each at the revision received), the third agency, why, and on what basis - the request form's
    questions (Haringey 3.8-3.9, 4.4-4.8). Any entry or agency id is taken, so that one not received, or an agency
    the rules refuse, is refused with the service's sentence."""

    sections_of = PASS_ON_SECTIONS
    error_names: ClassVar[dict[str, str]] = {
        "entries": "the entries to pass on",
        "to_agency": "the agency to pass it to",
        "purpose": "the purpose",
        "tiers": "the information to pass on",
        "categories": "the kinds of detailed and sensitive information",
        "need_to_know": "why they need to know",
        "consent_basis": "whether consent was given, not sought or refused",
        "not_sought_reason": "why consent was not sought",
        "override_ground": "the ground for overriding the refusal",
        "legal_basis": "the legal basis for passing it on",
    }

    entries = answer_forms.IdsField(
        label="Which entries do you want to pass on?",
        coerce=int,
        choices=(),
        widget=forms.CheckboxSelectMultiple,
        help_text="Only what your agency received, as it was when your agency received it.",
    )
    tiers = forms.MultipleChoiceField(
        label="What information is it?", choices=request_forms.TIER_CHOICES, widget=forms.CheckboxSelectMultiple
    )
    categories = forms.MultipleChoiceField(
        label="Kinds of detailed and sensitive information (only with detailed and sensitive information)",
        required=False,
        choices=[(category.value, label) for category, label in CATEGORY_LABELS.items()],
        widget=forms.CheckboxSelectMultiple,
    )
    to_agency = request_forms.IdsField(
        label="Which agency do you want to pass it to?",
        coerce=int,
        choices=(),
        widget=forms.RadioSelect,
        help_text="Only agencies that share a protocol with yours. Never back to the agency it came from.",
    )
    purpose = forms.ChoiceField(label="What is the purpose?", choices=(), widget=forms.RadioSelect)
    need_to_know = forms.CharField(
        label="Why does that agency need to know?",
        max_length=bounds.REASON,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Pass on only what they need to know.",
    )
    consent_basis = forms.ChoiceField(label="Consent", choices=request_forms.CONSENT_CHOICES, widget=forms.RadioSelect)
    not_sought_reason = request_forms.RequestForm.base_fields["not_sought_reason"]
    override_ground = request_forms.RequestForm.base_fields["override_ground"]
    legal_basis = answer_forms.LegalBasisField(
        label="Legal basis for passing it on",
        choices=[(basis.value, label) for basis, label in rules.LEGAL_BASIS_LABELS.items()],
        widget=forms.RadioSelect,
    )

    def __init__(
        self, *args: Any, entries: list[tuple[int, str]], agencies: list[tuple[int, str]], purposes: list[str],
        **kwargs: Any,
    ) -> None:  # fmt: skip
        super().__init__(*args, **kwargs)
        field_of(self, "entries", forms.TypedMultipleChoiceField).choices = entries
        field_of(self, "to_agency", forms.TypedChoiceField).choices = agencies
        field_of(self, "purpose", forms.ChoiceField).choices = [(purpose, purpose) for purpose in purposes]

    def clean_entries(self) -> list[int]:
        return list(dict.fromkeys(self.cleaned_data["entries"]))[: bounds.LIST_ITEMS + 1]


class OnwardDiscloseForm(_Sections, GovukForm):
    """Pass on what the originator agreed (Southampton 10): to named people of the third agency, with the decision
    record (Barnet; Haringey 4.7), for no longer than the passer's agency holds it (Southampton 8)."""

    sections_of = DISCLOSE_SECTIONS
    error_names: ClassVar[dict[str, str]] = {
        "recipients": "who receives the information",
        "subject_told": "whether the child or family was told",
        "subject_not_told_reason": "why they were not told",
        "retain_until": "the date access ends",
        "why_shared": "why it is passed on",
        "proportionality": "why passing it on is proportionate",
        "why_without_consent": "why it is passed on without consent",
        "public_interest": "the public interest weighed",
        "s29_form_reference": "the reference of the police form",
    }

    recipients = answer_forms.IdsField(
        label="Who receives it?",
        coerce=int,
        choices=(),
        widget=forms.CheckboxSelectMultiple,
        help_text="People of the agency it is passed to, with a need to know. Only they will be able to read it.",
    )
    subject_told = answer_forms.AnswerForm.base_fields["subject_told"]
    subject_not_told_reason = answer_forms.AnswerForm.base_fields["subject_not_told_reason"]
    retain_until = GovukDateField(
        label="Access ends on (optional)",
        required=False,
        help_text="Never later than your agency's own access. Leave it blank to end theirs when yours ends.",
    )
    why_shared = forms.CharField(
        label="Why is it passed on?", max_length=bounds.REASON, widget=forms.Textarea(attrs={"rows": 3})
    )
    proportionality = forms.CharField(
        label="Why is passing on this much proportionate?",
        max_length=bounds.REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What is the minimum needed, and why no less would do.",
    )
    why_without_consent = answer_forms.AnswerForm.base_fields["why_without_consent"]
    public_interest = answer_forms.AnswerForm.base_fields["public_interest"]
    s29_form_reference = answer_forms.AnswerForm.base_fields["s29_form_reference"]

    def __init__(self, *args: Any, people: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_of(self, "recipients", forms.TypedMultipleChoiceField).choices = people

    def clean_recipients(self) -> list[int]:
        return list(dict.fromkeys(self.cleaned_data["recipients"]))[: bounds.LIST_ITEMS + 1]
