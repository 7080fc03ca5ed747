"""The breach pages' forms (issue 14; Haringey 6.1-6.2; UK GDPR art. 33): reporting a breach and each step it
sets. The rules are the services' (breaches.services.breaches); these collect the answers, GOV.UK style, each field
named in the error summary (`error_names`). Times are London times (the portal's zone)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, time
from typing import Any, ClassVar

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from agencies.models import Agency
from isp_portal import bounds
from isp_portal.forms import GovukDateField, GovukForm
from protocols.models import Protocol

YES_NO = [("yes", "Yes"), ("no", "No")]
_TIME = re.compile(r"^([01]?\d|2[0-3])[:.]([0-5]\d)$")
TIME_HINT = "Use the 24-hour clock, for example 14:30 (UK time)."


def _text(label: str, *, limit: int = bounds.REASON, required: bool = True, hint: str = "") -> forms.CharField:
    return forms.CharField(
        label=label, required=required, max_length=limit, help_text=hint, widget=forms.Textarea(attrs={"rows": 5})
    )


def time_of_day(value: str) -> time | None:
    """'14:30' (or '9.05') as a time; None when it is not one."""
    found = _TIME.match(value.strip())
    return time(int(found.group(1)), int(found.group(2))) if found else None


def london_moment(day: date, at: time) -> datetime:
    """A date and a time of day read as the portal's local (London) time, made timezone-aware."""
    return timezone.make_aware(datetime.combine(day, at), timezone.get_current_timezone())


class BreachForm(GovukForm):
    """Report a breach (Haringey 6; issue 14). `children` offers the children the reporter found in the index in
    the last half hour (sharing.views.purposes): the search is the picker, as for a request."""

    error_names: ClassVar[dict[str, str]] = {
        "protocol": "the protocol",
        "alleged_agency": "the agency alleged to be in breach",
        "occurred_on": "the date the breach occurred",
        "identified_on": "the date the breach was identified",
        "description": "what happened",
        "children": "the children affected",
        "is_personal_data_breach": "whether it is a personal-data breach",
        "aware_on": "the date your agency became aware",
        "aware_time": "the time your agency became aware",
    }

    protocol = forms.ModelChoiceField(label="Which protocol was breached?", queryset=Protocol.objects.none())
    alleged_agency = forms.ModelChoiceField(
        label="Which agency is alleged to be in breach?", queryset=Agency.objects.none()
    )
    occurred_on = GovukDateField(label="When did the breach occur?", help_text="For example, 20 8 2026")
    identified_on = GovukDateField(label="When was the breach identified?", help_text="For example, 24 8 2026")
    description = _text(
        "What happened?", limit=bounds.LONG_TEXT, hint="Say what was shared or done, by whom, and with what effect."
    )
    children = forms.MultipleChoiceField(
        label="Children affected (optional)",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The children you found in the child index in the last 30 minutes. Find a child first to add them.",
    )
    is_personal_data_breach = forms.ChoiceField(
        label="Is it a personal-data breach likely to result in a risk to people's rights and freedoms?",
        choices=YES_NO,
        widget=forms.RadioSelect,
        help_text="If so, whether to tell the Information Commissioner's Office must be decided within 72 hours.",
    )
    aware_on = GovukDateField(
        label="If so, on what date did your agency become aware of it?",
        required=False,
        help_text="For example, 24 8 2026",
    )
    aware_time = forms.CharField(
        label="At what time did your agency become aware of it?", required=False, max_length=5, help_text=TIME_HINT
    )

    def __init__(
        self,
        *args: Any,
        protocols: QuerySet[Protocol],
        agencies: QuerySet[Agency],
        children: Sequence[tuple[str, str]] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["protocol"].queryset = protocols  # type: ignore[attr-defined]
        self.fields["alleged_agency"].queryset = agencies  # type: ignore[attr-defined]
        if children:
            self.fields["children"].choices = list(children)  # type: ignore[attr-defined]
        else:
            # Nobody found in the index lately: no question with no answers to offer.
            del self.fields["children"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("is_personal_data_breach") == "yes":
            day, typed = data.get("aware_on"), (data.get("aware_time") or "").strip()
            at = time_of_day(typed) if typed else None
            if day is None and "aware_on" not in self.errors:
                self.add_error("aware_on", "Enter the date your agency became aware of the personal-data breach")
            if not typed:
                self.add_error("aware_time", "Enter the time your agency became aware of the personal-data breach")
            elif at is None:
                self.add_error("aware_time", "Enter the time as hours and minutes, for example 14:30")
            if day is not None and at is not None:
                data["aware_at"] = london_moment(day, at)
        return data


class NotifyPartnersForm(GovukForm):
    error_names: ClassVar[dict[str, str]] = {"note": "a note"}

    note = _text(
        "Anything the partners should know? (optional)", required=False,
        hint="The partners are told of the breach, the agency alleged to be in breach and the dates.",
    )  # fmt: skip


class BreachReportForm(GovukForm):
    error_names: ClassVar[dict[str, str]] = {"report": "the report"}

    report = _text(
        "Your report of the breach and the actions taken", limit=bounds.LONG_TEXT,
        hint="The details of the breach and every action taken since, as the protocol, section 6.2, asks.",
    )  # fmt: skip


class IcoDecisionForm(GovukForm):
    error_names: ClassVar[dict[str, str]] = {"reportable": "whether it must be reported", "reason": "the reason"}

    reportable = forms.ChoiceField(
        label="Must the breach be reported to the Information Commissioner's Office?",
        choices=YES_NO,
        widget=forms.RadioSelect,
    )
    reason = _text("Why?", hint="The facts, the likely effects and the risk to people (UK GDPR article 33(5)).")


class IcoNotificationForm(GovukForm):
    error_names: ClassVar[dict[str, str]] = {
        "notified_on": "the date the ICO was told",
        "notified_time": "the time the ICO was told",
        "reference": "the ICO's reference",
        "delay_reason": "the reasons for the delay",
    }

    notified_on = GovukDateField(label="On what date was the ICO told?", help_text="For example, 27 8 2026")
    notified_time = forms.CharField(label="At what time was the ICO told?", max_length=5, help_text=TIME_HINT)
    reference = forms.CharField(label="The ICO's reference (optional)", required=False, max_length=64)
    delay_reason = _text(
        "If it was more than 72 hours after your agency became aware, the reasons for the delay",
        required=False,
        hint="UK GDPR article 33(1): a late notification gives the reasons for the delay.",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        typed = (data.get("notified_time") or "").strip()
        at = time_of_day(typed) if typed else None
        if typed and at is None:
            self.add_error("notified_time", "Enter the time as hours and minutes, for example 14:30")
        if data.get("notified_on") is not None and at is not None:
            data["notified_at"] = london_moment(data["notified_on"], at)
        return data
