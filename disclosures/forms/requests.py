"""The forms of the request journey (issue 12, design12 section 8): asking another agency for a child's information,
withdrawing a request, and the inbox's filter. They check only the shape of what is typed; what the protocol allows
(the agencies, the purpose, the tiers and categories, the consent basis) is the service's
(disclosures.services.requests.request_terms), whose field messages the views put on these forms
(agencies.forms.add_service_errors)."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms

from consent.models import ConsentNotSoughtReason
from disclosures.models import ConsentBasis, State, Urgency
from isp_portal import bounds
from isp_portal.forms import GovukForm, field_of
from protocols.models import Ground
from sharing.rules import CATEGORY_LABELS

# The sections of the request form, in order: (anchor, heading, fields). The check page's Change links point at
# the anchors.
SECTIONS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("agency", "Who holds the information", ("agency", "holding_agency")),
    ("purpose", "Why you are asking", ("purpose",)),
    ("information", "What you need", ("tiers", "categories")),
    ("need", "Why you need to know", ("need_to_know",)),
    ("urgency", "How urgent it is", ("urgency",)),
    ("consent", "Consent", ("consent_basis", "not_sought_reason", "override_ground")),
)
TIER_CHOICES = [
    ("minimum", "The minimum data (name, date of birth, address, agencies involved)"),
    ("sensitive", "Detailed and sensitive information"),
]
CONSENT_CHOICES = [
    (ConsentBasis.CONSENT.value, "Consent was given: the portal finds the consent record that covers this request"),
    (ConsentBasis.NOT_SOUGHT.value, "Consent was not sought"),
    (ConsentBasis.REFUSED.value, "Consent was refused, and there is a ground to override the refusal"),
]


class IdsField(forms.TypedChoiceField):
    """An agency named by id: the ones offered are listed, but any id is taken, so that an agency the service
    refuses (one that no longer shares a protocol with the asker) is refused with the service's own sentence."""

    def valid_value(self, value: Any) -> bool:
        return str(value).isdigit() and len(str(value)) <= 12


class RequestForm(GovukForm):
    """A request for a child's information (Haringey 3.8-3.9, 4.4-4.8; WYCPS: need to know)."""

    error_names: ClassVar[dict[str, str]] = {
        "agency": "the agency you are asking for",
        "holding_agency": "the agency that holds the information",
        "purpose": "the purpose",
        "tiers": "the information you need",
        "categories": "the kinds of detailed and sensitive information",
        "need_to_know": "why you need to know",
        "urgency": "how urgent the request is",
        "consent_basis": "whether consent was given, not sought or refused",
        "not_sought_reason": "why consent was not sought",
        "override_ground": "the ground for overriding the refusal",
    }

    holding_agency = IdsField(
        label="Which agency holds the information?", coerce=int, choices=(), widget=forms.RadioSelect
    )
    purpose = forms.ChoiceField(
        label="What is the purpose of the request?",
        choices=(),
        widget=forms.RadioSelect,
        help_text="The purposes the protocol you share under permits.",
    )
    tiers = forms.MultipleChoiceField(
        label="What information do you need?", choices=TIER_CHOICES, widget=forms.CheckboxSelectMultiple
    )
    categories = forms.MultipleChoiceField(
        label="Kinds of detailed and sensitive information (only with detailed and sensitive information)",
        required=False,
        choices=[(category.value, label) for category, label in CATEGORY_LABELS.items()],
        widget=forms.CheckboxSelectMultiple,
    )
    need_to_know = forms.CharField(
        label="Why do you need to know this?",
        max_length=bounds.REASON,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Say what you will do with it. Ask only for what you need to know.",
    )
    urgency = forms.ChoiceField(
        label="How urgent is it?", choices=Urgency.choices, widget=forms.RadioSelect, initial=Urgency.ROUTINE.value
    )
    consent_basis = forms.ChoiceField(label="Consent", choices=CONSENT_CHOICES, widget=forms.RadioSelect)
    not_sought_reason = forms.ChoiceField(
        label="Why was consent not sought? (only if it was not sought)",
        required=False,
        choices=[("", "Choose a reason"), *ConsentNotSoughtReason.choices],
        help_text="Do not seek consent when asking would cause one of these.",
    )
    override_ground = forms.ChoiceField(
        label="The ground for overriding the refusal (only if consent was refused)",
        required=False,
        choices=[("", "Choose a ground"), *Ground.choices],
        help_text="Only the grounds the protocol allows are accepted.",
    )

    def __init__(
        self,
        *args: Any,
        holding: list[tuple[int, str]],
        purposes: list[str],
        agencies: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        field_of(self, "holding_agency", forms.TypedChoiceField).choices = holding
        field_of(self, "purpose", forms.ChoiceField).choices = [(purpose, purpose) for purpose in purposes]
        if len(agencies) > 1:
            self.fields["agency"] = forms.TypedChoiceField(
                label="Which agency are you asking for?", choices=agencies, coerce=int, widget=forms.RadioSelect
            )

    def sections(self) -> list[dict[str, Any]]:
        """The fields by section, for the template (a field the form does not have is left out)."""
        return [
            {"anchor": anchor, "heading": heading, "fields": [self[name] for name in names if name in self.fields]}
            for anchor, heading, names in SECTIONS
        ]


class SubmitForm(GovukForm):
    """The confirmation of "check your answers": nothing to type; the service's refusals are put on it."""

    error_names: ClassVar[dict[str, str]] = {}


class WithdrawForm(GovukForm):
    error_names: ClassVar[dict[str, str]] = {"reason": "why the request is withdrawn"}

    reason = forms.CharField(
        label="Why are you withdrawing the request? (optional)",
        required=False,
        max_length=bounds.REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example, the information is no longer needed.",
    )


class InboxFilterForm(GovukForm):
    error_names: ClassVar[dict[str, str]] = {"state": "the state"}
    records_refusals = False

    state = forms.ChoiceField(label="State", required=False, choices=[("", "Open requests"), *State.choices])
