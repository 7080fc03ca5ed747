"""The forms of a disclosure without a request (issue 12: "Emergency disclosure", "Proactive sharing"): the agency
that receives it, then one form in sections, like the consent record (consent/forms.py). They check only the shape
of what is typed; whether it may be shared - the protocol both agencies signed, the legal basis, consent, the
recipients, the decision record - is the services' (disclosures.services.disclosure_emergency, disclosure_refer),
whose field messages the views put on these forms."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms

from consent.models import ConsentNotSoughtReason
from disclosures import rules
from isp_portal import bounds
from isp_portal.forms import GovukDateField, GovukForm, field_of
from protocols.models import Ground

YES = "yes"
NO = "no"

EMERGENCY_REASONS = [
    (rules.EmergencyReason.URGENT_MEDICAL_TREATMENT.value, "The child needs urgent medical treatment"),
    (rules.EmergencyReason.IMMEDIATE_RISK_OF_HARM.value, "The child is at immediate risk of harm"),
]
EMERGENCY_BASES = [
    (basis.value, rules.LEGAL_BASIS_LABELS[basis])
    for basis in (rules.LegalBasis.URGENT_MEDICAL, rules.LegalBasis.SIGNIFICANT_HARM)
]
TIERS = [
    (rules.Tier.MINIMUM.value, "The minimum data: names, date of birth, gender, ethnicity, languages, NHS number"),
    (rules.Tier.SENSITIVE.value, "Detailed and sensitive information: the entries you choose below"),
]
SUBJECT_TOLD = [
    (rules.SubjectTold.TOLD.value, "Yes, they were told"),
    (rules.SubjectTold.NOT_TOLD.value, "No, not yet"),
    (rules.SubjectTold.NOT_SAFE.value, "No: telling them would not be safe"),
]
CONSENT_BASES = [
    (rules.ConsentBasis.CONSENT.value, "Consent was given and covers this referral"),
    (rules.ConsentBasis.NOT_SOUGHT.value, "Consent was not sought"),
    (rules.ConsentBasis.REFUSED.value, "Consent was refused, and the refusal is overridden"),
]

# The decision record (Barnet: what a record of a decision holds; Haringey 4.7), as
# disclosures.services.DecisionInput takes it.
DECISION_TEXTS = (
    "public_interest", "proportionality", "why_shared", "why_without_consent", "what_agreed", "third_parties",
)  # fmt: skip


def _text(label: str, help_text: str = "", *, required: bool = False, rows: int = 3) -> forms.CharField:
    return forms.CharField(
        label=label, help_text=help_text, required=required, max_length=bounds.REASON,
        widget=forms.Textarea(attrs={"rows": rows}),
    )  # fmt: skip


class IdsField(forms.TypedMultipleChoiceField):
    """Ids chosen from a list (entries, people): only the ones offered are taken."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(coerce=int, choices=(), widget=forms.CheckboxSelectMultiple, **kwargs)

    def clean(self, value: Any) -> Any:
        # A tampered submission with thousands of ids is refused as a choice outside the list, not looked up.
        if isinstance(value, list | tuple) and len(value) > bounds.LIST_ITEMS:
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice",
                                        params={"value": "…"})  # fmt: skip
        return super().clean(value)


class ReceivingAgencyForm(GovukForm):
    """The agency that receives the disclosure (and, for someone who practises in several, the one that makes it):
    the agencies that signed a protocol version in force with theirs (DESIGN 2.2). Sent by GET: agency ids are not
    personal data, and the form that follows is built for the agencies chosen."""

    error_names: ClassVar[dict[str, str]] = {
        "to_agency": "the agency that receives it",
        "agency": "the agency you share for",
    }
    records_refusals = False  # a choice between two pages, nothing refused by a rule

    to_agency = forms.TypedChoiceField(label="Which agency receives it?", coerce=int, choices=(),
                                       widget=forms.RadioSelect)  # fmt: skip

    def __init__(self, *args: Any, agencies: list[tuple[int, str]], mine: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_of(self, "to_agency", forms.TypedChoiceField).choices = agencies
        self.fields["to_agency"].help_text = "Only agencies that have signed a protocol in force with yours."
        if len(mine) > 1:
            self.fields["agency"] = forms.TypedChoiceField(
                label="Which agency are you sharing for?", choices=mine, coerce=int, widget=forms.RadioSelect
            )
            self.order_fields(["agency", "to_agency"])


class _UnrequestedForm(GovukForm):
    """What an emergency disclosure and a referral both ask: the purpose, what is shared, to whom, the decision
    record, whether the child or family was told, and the terms."""

    purpose = forms.ChoiceField(label="Purpose", choices=(), widget=forms.RadioSelect,
                                help_text="The purposes the protocol both agencies signed permits.")  # fmt: skip
    tiers = forms.MultipleChoiceField(label="What do you share?", choices=TIERS, widget=forms.CheckboxSelectMultiple)
    entries = IdsField(
        label="Entries to share", required=False,
        help_text="Each is shared as it reads now (its latest revision). Share only what is needed.",
    )  # fmt: skip
    recipients = IdsField(label="Who receives it?", help_text="Named people of the agency that receives it.")
    is_confidential = forms.ChoiceField(
        label="Is the information confidential?", choices=[(YES, "Yes"), (NO, "No")], widget=forms.RadioSelect,
        help_text="Information given in confidence, or that the child or family would expect to be kept private.",
    )  # fmt: skip
    public_interest = _text(
        "The public interest",
        "What weighs in favour of sharing, and against. Needed whenever the legal basis is not consent.",
    )
    proportionality = _text(
        "Proportionality", "What is the minimum needed, and why. Needed whenever the legal basis is not consent."
    )
    why_shared = _text("Why it is shared (optional)")
    why_without_consent = _text("Why it is shared without consent", "Needed whenever the legal basis is not consent.")
    what_agreed = _text("What was agreed, and by whom (optional)")
    third_parties = _text("Information about other people (optional)", "Third parties named in it.")
    subject_told = forms.ChoiceField(label="Was the child or family told?", choices=SUBJECT_TOLD,
                                     widget=forms.RadioSelect)  # fmt: skip
    subject_not_told_reason = _text("Why not? (if they were not told)")
    onward_terms = _text(
        "Terms for passing it on (optional)",
        "The recipients may pass it on only with your agency's agreement; add any other terms.",
    )
    retain_until = GovukDateField(
        label="Keep it until (optional)", required=False,
        help_text="Left empty: the protocol's retention period. The recipients lose access on that day.",
    )  # fmt: skip

    error_names: ClassVar[dict[str, str]] = {
        "purpose": "the purpose",
        "tiers": "what you share",
        "entries": "the entries to share",
        "recipients": "who receives it",
        "is_confidential": "whether the information is confidential",
        "public_interest": "the public interest",
        "proportionality": "the proportionality",
        "why_shared": "why it is shared",
        "why_without_consent": "why it is shared without consent",
        "what_agreed": "what was agreed",
        "third_parties": "the information about other people",
        "subject_told": "whether the child or family was told",
        "subject_not_told_reason": "why they were not told",
        "onward_terms": "the terms for passing it on",
        "retain_until": "the date to keep it until",
    }
    sections_of: ClassVar[tuple[tuple[str, str, tuple[str, ...]], ...]] = ()

    def __init__(
        self,
        *args: Any,
        purposes: list[str],
        entries: list[tuple[int, str]],
        recipients: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        field_of(self, "purpose", forms.ChoiceField).choices = [(purpose, purpose) for purpose in purposes]
        field_of(self, "entries", forms.TypedMultipleChoiceField).choices = entries
        field_of(self, "recipients", forms.TypedMultipleChoiceField).choices = recipients
        if not entries:
            self.fields["entries"].help_text = "Your agency has recorded nothing about this child that you can share."

    def clean_is_confidential(self) -> bool:
        return bool(self.cleaned_data["is_confidential"] == YES)

    def sections(self) -> list[dict[str, Any]]:
        """The fields by section, for the template (the check page's Change links point at the anchors)."""
        return [
            {"anchor": anchor, "heading": heading, "fields": [self[name] for name in names if name in self.fields]}
            for anchor, heading, names in self.sections_of
        ]


class EmergencyForm(_UnrequestedForm):
    """An emergency disclosure (issue 12): made at once for urgent medical treatment or an immediate risk of harm,
    with its reason code; consent is not sought (the delay would not be justified), and the basis is urgent medical
    treatment or significant harm."""

    reason = forms.ChoiceField(label="Why can it not wait?", choices=EMERGENCY_REASONS, widget=forms.RadioSelect)
    legal_basis = forms.ChoiceField(label="Legal basis", choices=EMERGENCY_BASES, widget=forms.RadioSelect)
    why = _text("What is happening (optional)", "What the agency that receives it needs to know now, and why.", rows=4)

    error_names: ClassVar[dict[str, str]] = {
        **_UnrequestedForm.error_names,
        "reason": "why it cannot wait",
        "legal_basis": "the legal basis",
        "why": "what is happening",
    }
    sections_of = (
        ("why", "Why it cannot wait", ("reason", "legal_basis", "purpose", "why")),
        ("what", "What you share", ("tiers", "entries")),
        ("whom", "Who receives it", ("recipients",)),
        ("decision", "Your decision", ("is_confidential", *DECISION_TEXTS)),
        ("told", "Telling the child or family", ("subject_told", "subject_not_told_reason")),
        ("terms", "Terms", ("onward_terms", "retain_until")),
    )


class ReferForm(_UnrequestedForm):
    """A proactive referral (issue 12): a concern referred to another agency without a request, under the same
    rules as an answer, approval included."""

    why = _text("Your concern", "What the agency you refer to needs to know, and why.", required=True, rows=4)
    consent_basis = forms.ChoiceField(label="Consent", choices=CONSENT_BASES, widget=forms.RadioSelect)
    not_sought_reason = forms.ChoiceField(
        label="Why was consent not sought? (if it was not sought)", required=False,
        choices=ConsentNotSoughtReason.choices, widget=forms.RadioSelect,
    )  # fmt: skip
    override_ground = forms.ChoiceField(
        label="What overrides the refusal? (if consent was refused)", required=False, choices=Ground.choices,
        widget=forms.RadioSelect,
    )  # fmt: skip
    legal_basis = forms.ChoiceField(
        label="Legal basis", choices=[(basis.value, label) for basis, label in rules.LEGAL_BASIS_LABELS.items()],
        widget=forms.RadioSelect,
    )  # fmt: skip
    s29_form_reference = forms.CharField(
        label="Reference of the police data protection form (if the basis is a police investigation)",
        required=False, max_length=rules.S29_REFERENCE_MAX,
    )  # fmt: skip

    error_names: ClassVar[dict[str, str]] = {
        **_UnrequestedForm.error_names,
        "why": "your concern",
        "consent_basis": "whether consent was given, not sought or refused",
        "not_sought_reason": "why consent was not sought",
        "override_ground": "what overrides the refusal",
        "legal_basis": "the legal basis",
        "s29_form_reference": "the reference of the police form",
    }
    sections_of = (
        ("why", "Your concern", ("purpose", "why")),
        ("consent", "Consent", ("consent_basis", "not_sought_reason", "override_ground")),
        ("basis", "Legal basis", ("legal_basis", "s29_form_reference")),
        ("what", "What you share", ("tiers", "entries")),
        ("whom", "Who receives it", ("recipients",)),
        ("decision", "Your decision", ("is_confidential", *DECISION_TEXTS)),
        ("told", "Telling the child or family", ("subject_told", "subject_not_told_reason")),
        ("terms", "Terms", ("onward_terms", "retain_until")),
    )
