"""The forms of the corrections pages (issue 13; Southampton 9): acknowledging a correction, reporting an
inaccuracy, deciding not to correct. They check only the shape of what is typed; who may act and what an answer
needs are the policy's and the services' (disclosures.correction_policy, disclosures.services.corrections), whose
field messages the views put on these forms."""

from __future__ import annotations

from typing import ClassVar

from django import forms

from isp_portal import bounds
from isp_portal.forms import GovukForm


class AcknowledgeForm(GovukForm):
    error_names: ClassVar[dict[str, str]] = {"action_taken": "what your agency did"}

    action_taken = forms.CharField(
        label="What did your agency do about the correction?",
        max_length=bounds.REASON,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="For example, updated the case record and told the people who use it.",
    )


class ReportForm(GovukForm):
    error_names: ClassVar[dict[str, str]] = {
        "what_is_wrong": "what is inaccurate",
        "suggested_correction": "what it should say",
    }

    what_is_wrong = forms.CharField(
        label="What is inaccurate?", max_length=bounds.REASON, widget=forms.Textarea(attrs={"rows": 4})
    )
    suggested_correction = forms.CharField(
        label="What should it say? (optional)",
        required=False,
        max_length=bounds.REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RejectForm(GovukForm):
    error_names: ClassVar[dict[str, str]] = {"reason": "why the entry is not corrected"}

    reason = forms.CharField(
        label="Why is the entry not corrected?",
        max_length=bounds.REASON,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="The agency that reported it is told.",
    )


class ConfirmForm(GovukForm):
    error_names: ClassVar[dict[str, str]] = {}
