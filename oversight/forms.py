"""The auditors' filter of the audit trail (GET; issue 15), one form for either table (oversight.filters.Source): the
workspace's search pages use it, and the exports take the same parameters. Its fields are named as TrailFilter's, so a
page's query string, an export link and an API call say the same thing in the same words.

Every value is bounded and checked here one by one (a bad one is a form error naming its field, never a 500); the
filter as a whole (a reversed or too long range, a date outside the era, a legal basis asked of the events) is checked
by oversight.filters.filter_problems, the same rules the API and the exports apply. The agencies offered are the
reader's part of the trail; another agency's id is not a form error but a refusal the view audits
(oversight.selectors.search.require_in_scope)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Any, ClassVar

from django import forms

from audit.models import LogKind, Outcome
from disclosures.models import LegalBasis
from isp_portal import bounds
from isp_portal.forms import GovukForm
from oversight.filters import KIND_MAX, FilterError, Source, TrailFilter, filter_problems
from oversight.selectors.search import CURSOR_MAX, DAMAGED_LINK, Cursor, cursor_read

ISO_DAY = "%Y-%m-%d"
# A disclosure-log row's outcome as the services write it ("upheld", "expired"): a short lower-case word.
LOG_OUTCOME = re.compile(r"^[a-z][a-z_]*$")
LOG_OUTCOME_MAX = 32  # audit_disclosure_log.outcome's length


class DayField(forms.DateField):
    """A day as YYYY-MM-DD (one value, as the API and the exports take it), bounded to ten characters."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            required=False,
            input_formats=[ISO_DAY],
            widget=forms.TextInput(attrs={"class": "govuk-input--width-10", "inputmode": "numeric", "maxlength": 10}),
            **kwargs,
        )
        self.error_messages["invalid"] = "Enter a date as year, month and day, for example 2026-03-27"

    def to_python(self, value: Any) -> date | None:
        if isinstance(value, str) and len(value.strip()) > 10:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


def _id_field(label: str, help_text: str) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        help_text=help_text,
        required=False,
        min_value=1,
        max_value=bounds.ID_MAX,
        widget=forms.TextInput(attrs={"class": "govuk-input--width-10", "inputmode": "numeric", "spellcheck": "false"}),
    )


class TrailFilterForm(GovukForm):
    """The filter of one source (`source=`), with the agencies of the reader's part of the trail (`agencies=`, as
    (id, name) pairs). `trail_filter` is the TrailFilter once valid, and `after_cursor` the start of the page the
    `after` link names (oversight.selectors.search.cursor_read)."""

    error_names: ClassVar[dict[str, str]] = {
        "occurred_from": "the first day", "occurred_to": "the last day", "agency_id": "the agency",
        "user_id": "the user ID", "child_id": "the child ID", "action": "the action", "legal_basis": "the legal basis",
        "outcome": "the outcome", "after": "the page link",
    }  # fmt: skip
    # A search is itself audited (audit.search); a refused one is shown its errors, and the 400 is its record.
    records_refusals = False

    occurred_from = DayField(label="From", help_text="The first day, for example 2026-03-01")
    occurred_to = DayField(label="To", help_text="The last day, included")
    agency_id = forms.TypedChoiceField(label="Agency", required=False, coerce=int, empty_value=None, choices=[])
    user_id = _id_field("User ID", "The person who acted (for a disclosure: who disclosed, approved or asked)")
    child_id = _id_field("Child ID", "The child the event or disclosure concerns")
    action = forms.CharField(
        label="Action",
        required=False,
        max_length=KIND_MAX,
        help_text="As the trail names it, for example child.view; end with a dot for every action under it, "
        "for example disclosure.",
    )
    legal_basis = forms.ChoiceField(label="Legal basis", required=False, choices=[("", "Any"), *LegalBasis.choices])
    outcome = forms.ChoiceField(label="Outcome", required=False, choices=[("", "Any"), *Outcome.choices])
    # The signed cursor of an "Older entries" link (oversight.selectors.search.cursor_read bounds and checks it); a
    # hidden field, so a damaged one is told in the error summary as the page's own error.
    # Bounded as every field is; a longer one was never made here, so it gets cursor_read's own message.
    after = forms.CharField(
        required=False,
        widget=forms.HiddenInput,
        max_length=CURSOR_MAX,
        error_messages={"max_length": DAMAGED_LINK},
    )

    def __init__(self, *args: Any, source: Source, agencies: Sequence[tuple[int, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.source = source
        self.trail_filter: TrailFilter | None = None
        self.after_cursor: Cursor | None = None
        agency = self.fields["agency_id"]
        assert isinstance(agency, forms.TypedChoiceField)
        agency.choices = [("", "Any"), *((str(pk), name) for pk, name in agencies)]
        agency.help_text = (
            "The agency the person acted for" if source is Source.EVENTS else "The agency that disclosed or received"
        )
        if source is Source.EVENTS:
            del self.fields["legal_basis"]
        else:
            # A disclosure-log row's kind is one of LogKind; its outcome is a word the follow-up wrote.
            self.fields["action"] = forms.ChoiceField(
                label="What happened", required=False, choices=[("", "Any"), *LogKind.choices]
            )
            self.fields["outcome"] = forms.CharField(
                label="Outcome", required=False, max_length=LOG_OUTCOME_MAX, help_text="For example, upheld"
            )

    def clean_outcome(self) -> str | None:
        value: str = self.cleaned_data.get("outcome") or ""
        if value and self.source is Source.DISCLOSURES and not LOG_OUTCOME.match(value):
            raise forms.ValidationError("Enter an outcome as the log writes it, for example upheld")
        return value or None

    def clean(self) -> dict[str, Any]:
        values = super().clean() or {}
        # A hidden field has no place on the page to show its error: it is the page's own (the summary's).
        for message in self.errors.pop("after", []):
            self.add_error(None, message)
        if values.get("after"):
            try:
                self.after_cursor = cursor_read(self.source, values["after"])
            except FilterError as refused:
                self.add_error(None, refused.message)
        names = ("occurred_from", "occurred_to", "agency_id", "user_id", "child_id", "action", "legal_basis", "outcome")
        if any(name in self.errors for name in names):
            return values
        trail_filter = TrailFilter(**{name: values.get(name) or None for name in names if name in self.fields})
        for problem in filter_problems(trail_filter, source=self.source):
            self.add_error(problem.field if problem.field in self.fields else None, problem.message)
        if not self.errors:
            self.trail_filter = trail_filter
        return values
