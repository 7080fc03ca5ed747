"""The central register's filters (GET; issue 14; Southampton 13). Every field optional and bounded; a bad value is a
form error naming its field, never a 500 (the months' rules: breaches.register_selectors)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, ClassVar

from django import forms

from breaches import register_selectors as selectors
from isp_portal.forms import GovukForm


class MonthField(forms.CharField):
    """A month as YYYY-MM (the first day of it), or None."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=7, required=False, **kwargs)

    def clean(self, value: Any) -> date | None:
        text = super().clean(value)
        if not text:
            return None
        try:
            return selectors.parse_month(text)
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None


class RegisterFilterForm(GovukForm):
    error_names: ClassVar[dict[str, str]] = {
        "kind": "the kind", "agency": "the agency", "status": "open or closed", "month_from": "the first month",
        "month_to": "the last month", "personal_data": "personal-data breaches only", "page": "the page",
    }  # fmt: skip
    records_refusals = False

    kind = forms.ChoiceField(
        label="Kind",
        required=False,
        choices=[("", "Breaches and disputes"), ("breach", "Breaches"), ("dispute", "Disputes")],
    )
    # Its choices are the agencies of the reader's part of the register: another agency's id is a form error.
    agency = forms.TypedChoiceField(
        label="Agency (either side)", required=False, coerce=int, empty_value=None, choices=[("", "Any")]
    )
    status = forms.ChoiceField(
        label="Open or closed", required=False, choices=[("", "Either"), ("open", "Open"), ("closed", "Closed")]
    )
    month_from = MonthField(
        label="First month", help_text="For example, 2026-01. The last 12 months unless you choose."
    )
    month_to = MonthField(label="Last month", help_text=f"At most {selectors.MAX_MONTHS} months from the first.")
    personal_data = forms.BooleanField(label="Personal-data breaches only", required=False)
    page = forms.IntegerField(required=False, min_value=1, max_value=selectors.MAX_PAGE, widget=forms.HiddenInput)

    def __init__(self, *args: Any, agencies: Sequence[tuple[int, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["agency"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", "Any"), *((str(pk), name) for pk, name in agencies)]

    def clean(self) -> dict[str, Any]:
        values = super().clean() or {}
        if "month_from" in values and "month_to" in values:
            try:
                self.filters = selectors.filters_of(values)
            except ValueError as error:
                field, words = str(error).split(": ", 1)
                self.add_error(field, words)
        return values
