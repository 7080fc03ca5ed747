"""The forms of the approvals and disclosure pages (issue 12: designated-manager approval, review of an emergency
disclosure, revocation). They check only the shape of what is typed: who may decide, and the reasons a decision
needs, are the policy's and the services' (disclosures.policy, disclosures.services), whose field messages the
views put on these forms (agencies.forms.add_service_errors)."""

from __future__ import annotations

from typing import ClassVar

from django import forms

from disclosures.models import ReviewOutcome
from isp_portal import bounds
from isp_portal.forms import GovukForm

APPROVE = "approve"
DECLINE = "decline"


class ApprovalForm(GovukForm):
    """Approve sharing, or decline it with reasons (Haringey 4.6-4.7). The reason is the service's to require: a
    decline without one is refused on the field by request_approval_decline."""

    error_names: ClassVar[dict[str, str]] = {
        "decision": "whether you approve sharing this",
        "note": "your reasons",
    }

    decision = forms.ChoiceField(
        label="Do you approve sharing this information?",
        choices=[(APPROVE, "Yes, approve and share it now"), (DECLINE, "No, decline it")],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label="Your reasons",
        required=False,
        max_length=bounds.REASON,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Needed when you decline: the requester and the practitioner who answered are told.",
    )


class ReviewForm(GovukForm):
    """The review of an emergency disclosure by a designated manager who did not make it (issue 12)."""

    error_names: ClassVar[dict[str, str]] = {
        "outcome": "whether you endorse the disclosure",
        "note": "what you found",
    }

    outcome = forms.ChoiceField(
        label="Was the emergency disclosure right?",
        choices=[
            (ReviewOutcome.ENDORSED.value, "Yes, I endorse it"),
            (ReviewOutcome.CONCERNS_RAISED.value, "No, I have concerns"),
        ],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label="What did you find?",
        required=False,
        max_length=bounds.REASON,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Needed when you raise concerns.",
    )


class RevokeForm(GovukForm):
    """A disclosure revoked by a designated manager of the agency that made it: the recipients lose access."""

    error_names: ClassVar[dict[str, str]] = {"reason": "why the disclosure is revoked"}

    reason = forms.CharField(
        label="Why is the disclosure revoked?",
        max_length=bounds.REASON,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="The recipients are told that it was revoked and that they must not use it further.",
    )
