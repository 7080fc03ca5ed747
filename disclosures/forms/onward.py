"""The forms of the onward pages (issue 13; Southampton 10-11): the originator's decision and the requester's
withdrawal. They check only the shape of what is typed: who may decide, and what a decision needs, are the policy's
and the services' (disclosures.onward_policy, disclosures.services.onward), whose field messages the views put on
these forms (agencies.forms.add_service_errors)."""

from __future__ import annotations

from typing import ClassVar

from django import forms

from disclosures import rules
from disclosures.models import DeclineReason
from isp_portal import bounds
from isp_portal.forms import GovukForm

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
