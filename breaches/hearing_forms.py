"""The forms of the partners' meeting about a breach (issue 14; Haringey 6.3-6.6). They parse input only; every
rule is breaches.services.hearings'."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.db.models import QuerySet

from agencies.models import Agency, SanctionDirection, User
from breaches.models import SanctionKind, VoteChoice
from isp_portal import bounds
from isp_portal.forms import GovukDateField, GovukForm, field_of
from protocols.models import Meeting


class ScheduleForm(GovukForm):
    error_names: ClassVar[dict[str, str]] = {"held_on": "the date of the new meeting"}

    meeting = forms.ModelChoiceField(
        label="Meeting",
        required=False,
        queryset=Meeting.objects.none(),
        help_text="A meeting already arranged whose minutes are not yet circulated, or leave it and arrange one.",
    )
    held_on = GovukDateField(label="Or the date of a new meeting", required=False)
    title = forms.CharField(label="Title of a new meeting", required=False, max_length=200)
    location = forms.CharField(label="Location of a new meeting", required=False, max_length=200)

    def __init__(self, *args: Any, meetings: QuerySet[Meeting], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_of(self, "meeting", forms.ModelChoiceField).queryset = meetings


class ConfirmForm(GovukForm):
    """A step with nothing to type: the button records it."""


class NotesForm(GovukForm):
    notes = forms.CharField(
        label="Deliberation notes", max_length=bounds.LONG_TEXT, widget=forms.Textarea(attrs={"rows": 10})
    )


class SanctionForm(GovukForm):
    error_names: ClassVar[dict[str, str]] = {
        "from_on": "the day the sanction starts",
        "until_on": "the day the sanction is lifted",
    }

    kind = forms.ChoiceField(label="Sanction", choices=SanctionKind.choices, widget=forms.RadioSelect)
    reason = forms.CharField(label="Reason", max_length=bounds.REASON, widget=forms.Textarea(attrs={"rows": 4}))
    direction = forms.ChoiceField(
        label="For a suspension: suspended from",
        required=False,
        choices=[("", "Not a suspension"), *SanctionDirection.choices],
    )
    from_on = GovukDateField(label="For a suspension: the day it starts", required=False)
    until_on = GovukDateField(
        label="For a suspension: the day it is lifted", required=False, help_text="Leave empty for no end date."
    )
    users = forms.ModelMultipleChoiceField(
        label="For retraining: the people who must retrain",
        required=False,
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, members: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_of(self, "users", forms.ModelMultipleChoiceField).queryset = members


class VoteForm(GovukForm):
    agency = forms.ModelChoiceField(label="Agency voting", queryset=Agency.objects.none())
    choice = forms.ChoiceField(label="Vote", choices=VoteChoice.choices, widget=forms.RadioSelect)

    def __init__(self, *args: Any, agencies: QuerySet[Agency], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_of(self, "agency", forms.ModelChoiceField).queryset = agencies


class DecideForm(GovukForm):
    decision = forms.CharField(
        label="The decision", max_length=bounds.LONG_TEXT, widget=forms.Textarea(attrs={"rows": 6})
    )


class MinutesForm(GovukForm):
    minutes = forms.CharField(
        label="Minutes, with the agreed actions and sanctions",
        required=False,
        max_length=bounds.LONG_TEXT,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text="Leave empty if the meeting's minutes are already recorded.",
    )
