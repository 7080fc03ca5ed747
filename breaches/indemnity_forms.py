"""The indemnity notice forms (Haringey 11.1; issue 14): sending one and answering it. The rules are the services'
(breaches.services.indemnity); these only collect the answers, GOV.UK style, each field named in the error summary."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms

from breaches.indemnity_selectors import SendChoices
from isp_portal import bounds
from isp_portal.forms import GovukForm


def _choice(label: str, *, required: bool = True, hint: str = "") -> forms.TypedChoiceField:
    return forms.TypedChoiceField(label=label, required=required, coerce=int, empty_value=None, help_text=hint)


class NoticeForm(GovukForm):
    error_names: ClassVar[dict[str, str]] = {
        "protocol": "the protocol",
        "suffering_agency": "the agency you send it for",
        "contributor_agency": "the alleged contributor",
        "breach": "the breach",
        "details": "the details",
    }
    offered_only = frozenset({"protocol", "suffering_agency", "contributor_agency", "breach"})

    protocol = _choice("Which protocol was the information shared under?")
    suffering_agency = _choice("Which agency are you sending the notice for?")
    contributor_agency = _choice(
        "Which agency is alleged to have contributed to it?",
        hint="The alleged contributor: it must answer you in writing within four days.",
    )
    breach = _choice("Which breach does it arise from? (optional)", required=False)
    details = forms.CharField(
        label="Full details of the indemnity event and the claim",
        max_length=bounds.LONG_TEXT,
        help_text="Include what happened, the claim made and the documents you hold about it.",
        widget=forms.Textarea(attrs={"rows": 8}),
    )

    def __init__(self, *args: Any, choices: SendChoices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._offer("protocol", choices.protocols, "Choose a protocol")
        self._offer("contributor_agency", choices.contributors, "Choose an agency")
        self._offer("breach", choices.breaches, "None")
        if len(choices.senders) > 1:
            self._offer("suffering_agency", choices.senders, "Choose an agency")
        else:
            del self.fields["suffering_agency"]  # the sender's only agency (breaches.services.indemnity)

    def _offer(self, name: str, options: list[tuple[int, str]], empty: str) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", empty), *((str(pk), label) for pk, label in options)]


class RespondForm(GovukForm):
    error_names: ClassVar[dict[str, str]] = {"response": "your answer"}

    response = forms.CharField(
        label="Your answer in writing",
        max_length=bounds.LONG_TEXT,
        help_text="Say whether your agency accepts it contributed, and what it will do.",
        widget=forms.Textarea(attrs={"rows": 8}),
    )
