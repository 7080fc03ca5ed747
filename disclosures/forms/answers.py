"""The forms of the decision journey (issue 12 "Answering"; design12 section 8): the holding agency's answer to a
request, in the order of the protocol's flowchart (Barnet; Haringey 4.4-4.7), and the decline with its reason
(Buckinghamshire 5). They check only the shape of what is typed: which legal basis is allowed, which entries and
recipients may be chosen, consent now, are the service's (disclosures.services.request_answer_share), asked in a
rolled-back trial on the "check your answers" page so that every refusal shows before anything is disclosed."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms

from disclosures import rules
from isp_portal import bounds
from isp_portal.forms import GovukDateField, GovukForm, field_of

# The sections of the answer form, in the flowchart's order: (anchor, heading, fields). The check page's Change links
# point at the anchors.
SECTIONS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("confidential", "1. Is the information confidential?", ("is_confidential",)),
    ("consent", "2. Is there consent?", ()),
    (
        "ground",
        "3. The legal basis, the public interest and proportionality",
        ("legal_basis", "s29_form_reference", "why_without_consent", "public_interest", "proportionality"),
    ),
    ("minimum", "4. What is the minimum needed?", ("entries", "why_shared")),
    (
        "terms",
        "5. Who receives it, and on what terms",
        (
            "recipients",
            "subject_told",
            "subject_not_told_reason",
            "onward_terms",
            "retain_until",
            "what_agreed",
            "third_parties",
        ),
    ),
)
YES = "yes"
NO = "no"

SUBJECT_TOLD_LABELS: dict[rules.SubjectTold, str] = {
    rules.SubjectTold.TOLD: "Yes, the child or family was told",
    rules.SubjectTold.NOT_TOLD: "No, they were not told",
    rules.SubjectTold.NOT_SAFE: "No: telling them would not be safe",
}
DECLINE_LABELS: dict[rules.DeclineReason, str] = {
    rules.DeclineReason.NOTHING_HELD: "We hold nothing relevant",
    rules.DeclineReason.NOT_PROPORTIONATE: "Sharing would not be proportionate to the need",
    rules.DeclineReason.NO_LAWFUL_BASIS: "There is no lawful basis to share",
    rules.DeclineReason.CONSENT_REFUSED_NO_OVERRIDE: "Consent was refused and no ground overrides it",
    rules.DeclineReason.OUTSIDE_PROTOCOL_SCOPE: "The request is outside the protocol",
    rules.DeclineReason.MANAGER_DECLINED: "A designated manager declined to approve it",
    rules.DeclineReason.OTHER: "Another reason",
}


class IdsField(forms.TypedMultipleChoiceField):
    """Rows named by id: the ones offered are listed, but any id is taken, so that one the service refuses (an entry
    the answerer may not see, a person not of the requesting agency) is refused with the service's own sentence on
    the check page, and recorded."""

    def valid_value(self, value: Any) -> bool:
        return str(value).isdigit() and len(str(value)) <= 12


class LegalBasisField(forms.ChoiceField):
    """The bases allowed are offered; any legal basis is taken, so one the request's consent basis or the protocol does
    not allow is refused by the service naming the rule (Haringey 4.5) on the check page."""

    def valid_value(self, value: Any) -> bool:
        return str(value) in set(rules.LegalBasis)


def _text(label: str, *, help_text: str = "", required: bool = False, rows: int = 3) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=bounds.REASON,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class AnswerForm(GovukForm):
    """The decision (Barnet's record of a decision; Haringey 4.7) and what is shared, with whom, on which terms."""

    error_names: ClassVar[dict[str, str]] = {
        "is_confidential": "whether the information is confidential",
        "legal_basis": "the legal basis for sharing",
        "s29_form_reference": "the reference of the police form",
        "why_without_consent": "why it is shared without consent",
        "public_interest": "the public interest weighed",
        "proportionality": "why sharing is proportionate",
        "entries": "the entries to share",
        "why_shared": "why it is shared",
        "recipients": "who receives the information",
        "subject_told": "whether the child or family was told",
        "subject_not_told_reason": "why they were not told",
        "onward_terms": "the onward-disclosure terms",
        "retain_until": "the date access ends",
        "what_agreed": "what was agreed, and with whom",
        "third_parties": "the information about other people",
    }

    is_confidential = forms.ChoiceField(
        label="Is the information confidential?",
        choices=[(YES, "Yes"), (NO, "No")],
        widget=forms.RadioSelect,
        help_text="Information given in confidence, or that the child or family would expect to be kept private. "
        "Confidential information is shared only with consent or on a ground that overrides it.",
    )
    legal_basis = LegalBasisField(label="Legal basis for sharing", choices=(), widget=forms.RadioSelect)
    s29_form_reference = forms.CharField(
        label="Reference of the police data protection form (police requests only)",
        required=False,
        max_length=rules.S29_REFERENCE_MAX,
        help_text="Only when sharing on a police request under DPA s29(3) (now DPA 2018 Schedule 2 paragraph 2).",
    )
    why_without_consent = _text(
        "Why is it shared without consent? (when not sharing on consent)",
        help_text="The ground, and why it overrides the refusal or why consent was not sought.",
    )
    public_interest = _text(
        "What public interest did you weigh? (when not sharing on consent)",
        help_text="For example, protecting the child from significant harm against the duty of confidence.",
    )
    proportionality = _text(
        "Why is sharing proportionate? (when not sharing on consent)",
        help_text="What is the minimum needed, and why no less would do.",
    )
    entries = IdsField(
        label="Entries to share",
        required=False,
        coerce=int,
        choices=(),
        widget=forms.CheckboxSelectMultiple,
        help_text="Your agency's entries about this child of the kinds asked for. Each is shared at the revision "
        "shown; later corrections are not.",
    )
    why_shared = _text("Why is it shared? (optional)", help_text="What the recipient needs it for.")
    recipients = IdsField(
        label="Who receives it?",
        coerce=int,
        choices=(),
        widget=forms.CheckboxSelectMultiple,
        help_text="People of the requesting agency with a need to know. Only they will be able to read it.",
    )
    subject_told = forms.ChoiceField(
        label="Was the child or family told about this disclosure?",
        choices=[(value.value, label) for value, label in SUBJECT_TOLD_LABELS.items()],
        widget=forms.RadioSelect,
    )
    subject_not_told_reason = _text("Why were they not told? (when not told)")
    onward_terms = _text(
        "Onward-disclosure terms (optional)",
        help_text="For example: not to be passed on without our agreement.",
    )
    retain_until = GovukDateField(
        label="Access ends on",
        help_text="The recipients can read it until the end of this day. The protocol's retention period is the "
        "default.",
    )
    what_agreed = _text("What was agreed, and with whom? (optional)")
    third_parties = _text(
        "Information about other people (optional)",
        help_text="Anything about other people in what is shared, and why it is included.",
    )

    def __init__(
        self,
        *args: Any,
        legal_bases: list[tuple[str, str]],
        entries: list[tuple[int, str]],
        people: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        field_of(self, "legal_basis", forms.ChoiceField).choices = legal_bases
        field_of(self, "entries", forms.TypedMultipleChoiceField).choices = entries
        field_of(self, "recipients", forms.TypedMultipleChoiceField).choices = people

    def clean_entries(self) -> list[int]:
        return list(dict.fromkeys(self.cleaned_data["entries"]))[: bounds.LIST_ITEMS + 1]

    def clean_recipients(self) -> list[int]:
        return list(dict.fromkeys(self.cleaned_data["recipients"]))[: bounds.LIST_ITEMS + 1]

    def sections(self) -> list[dict[str, Any]]:
        """The fields by section, for the template."""
        return [
            {"anchor": anchor, "heading": heading, "fields": [self[name] for name in names if name in self.fields]}
            for anchor, heading, names in SECTIONS
        ]


class ConfirmForm(GovukForm):
    """The check page's confirmation: no fields, only what the service refuses at this moment."""

    error_names: ClassVar[dict[str, str]] = {}


class DeclineForm(GovukForm):
    """Buckinghamshire 5: why the information is not shared, recorded and reportable."""

    error_names: ClassVar[dict[str, str]] = {"reason": "why the request is declined", "detail": "the details"}

    reason = forms.ChoiceField(
        label="Why is the request declined?",
        choices=[
            (reason.value, label)
            for reason, label in DECLINE_LABELS.items()
            if reason != rules.DeclineReason.MANAGER_DECLINED  # the manager's own decline (Haringey 4.6)
        ],
        widget=forms.RadioSelect,
    )
    detail = _text(
        "Details",
        help_text="Needed when none of the reasons above fits. The requester is told the reason. Declines are "
        "recorded and reported with every request not shared.",
        rows=4,
    )
