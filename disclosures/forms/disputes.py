"""The dispute pages' forms (issue 13; Southampton 13; docs/after-disclosure-design.md 9): raising a dispute, each
stage's action, and the register's filters. The rules are the services' (disclosures.services.disputes); these
only collect the answers, GOV.UK style, each field named in the error summary (`error_names`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from django import forms

from disclosures.models import DisputeGround, DisputeState, Position
from isp_portal import bounds
from isp_portal.forms import GovukDateField, GovukForm


def _text(label: str, *, required: bool = True, hint: str = "") -> forms.CharField:
    return forms.CharField(
        label=label, required=required, max_length=bounds.REASON, help_text=hint,
        widget=forms.Textarea(attrs={"rows": 4}),
    )  # fmt: skip


POSITION_CHOICES = [(value, label) for value, label in Position.choices]


class DisputeForm(GovukForm):
    error_names: ClassVar[dict[str, str]] = {
        "grounds": "why the information should be shared",
        "impact_so_far": "the impact so far",
        "request": "the request",
    }

    grounds = _text("Why should the information be shared?", hint="Say what the child needs and why.")
    impact_so_far = _text("What has the impact of not sharing it been so far? (optional)", required=False)


class PositionForm(GovukForm):
    error_names: ClassVar[dict[str, str]] = {"position": "your position", "note": "why"}

    position = forms.ChoiceField(label="Should the information be shared?", choices=POSITION_CHOICES,
                                 widget=forms.RadioSelect)  # fmt: skip
    note = _text("Why?")


class EscalateForm(GovukForm):
    error_names: ClassVar[dict[str, str]] = {"reason": "why it is escalated"}

    reason = _text("Why are you escalating it? (optional)", required=False)


class AdviceForm(GovukForm):
    error_names: ClassVar[dict[str, str]] = {"advice": "your advice"}

    advice = _text("Your advice to your agency's head of service")


class DecisionForm(GovukForm):
    error_names: ClassVar[dict[str, str]] = {"outcome": "the decision", "reason": "the reason"}

    outcome = forms.ChoiceField(label="Your decision", choices=POSITION_CHOICES, widget=forms.RadioSelect)
    reason = _text("The reason for the decision")


class RecordForm(GovukForm):
    error_names: ClassVar[dict[str, str]] = {
        "process_followed": "the process followed",
        "reason": "the reason",
        "impact": "the impact",
    }

    process_followed = _text("The process followed")
    reason = _text("The reason the information was or was not shared")
    impact = _text("The impact")


class WithdrawForm(GovukForm):
    error_names: ClassVar[dict[str, str]] = {"reason": "why the dispute is withdrawn"}

    reason = _text("Why are you withdrawing the dispute?")


ACTION_FORMS: dict[str, type[GovukForm]] = {
    "position": PositionForm,
    "escalate": EscalateForm,
    "advise": AdviceForm,
    "decide": DecisionForm,
    "record": RecordForm,
    "withdraw": WithdrawForm,
}


class RegisterFilterForm(GovukForm):
    """The register's filters (GET). Every field optional; a bad value is a form error, never a 500."""

    error_names: ClassVar[dict[str, str]] = {
        "agency": "the agency", "state": "the state", "stage": "the stage", "ground": "the ground",
        "outcome": "the outcome", "opened_from": "opened from", "opened_to": "opened to", "before": "the page",
    }  # fmt: skip
    records_refusals = False

    # Design 7: "agency (either side)"; its choices are the agencies of the reader's part of the register (the view
    # passes dispute_selectors.register_agencies), so another agency's id is a form error, never a wider register.
    agency = forms.TypedChoiceField(
        label="Agency (either side)", required=False, coerce=int, empty_value=None, choices=[("", "Any")]
    )

    state = forms.ChoiceField(label="State", required=False, choices=[("", "Any"), *DisputeState.choices])
    stage = forms.TypedChoiceField(
        label="Stage", required=False, coerce=int, empty_value=None, choices=[("", "Any"), ("1", "1"), ("2", "2")]
    )
    ground = forms.ChoiceField(label="Ground", required=False, choices=[("", "Any"), *DisputeGround.choices])
    outcome = forms.ChoiceField(label="Outcome", required=False, choices=[("", "Any"), *POSITION_CHOICES])
    opened_from = GovukDateField(label="Opened on or after", required=False, help_text="For example, 27 3 2026")
    opened_to = GovukDateField(label="Opened on or before", required=False)
    overdue = forms.BooleanField(label="Overdue only", required=False)
    records_incomplete = forms.BooleanField(label="Case-file records incomplete only", required=False)
    before = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, agencies: Sequence[tuple[int, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["agency"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", "Any"), *((str(pk), name) for pk, name in agencies)]
