"""The filters of a child's access history (GET; issue 15). Every field optional and bounded; a bad value is a form
error naming its field, never a 500."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms

from isp_portal.forms import GovukDateField, GovukForm
from oversight import history_rules as rules
from oversight.history_selectors import HistoryFilter, filter_problems


class AccessHistoryForm(GovukForm):
    error_names: ClassVar[dict[str, str]] = {
        "occurred_from": "the first day", "occurred_to": "the last day", "group": "what happened",
        "cursor": "the page",
    }  # fmt: skip
    records_refusals = False

    occurred_from = GovukDateField(label="From", required=False, help_text="For example, 1 4 2026")
    occurred_to = GovukDateField(label="To", required=False)
    group = forms.ChoiceField(
        label="What happened",
        required=False,
        choices=[("", "Everything"), *((str(group), label) for group, label in rules.GROUP_LABELS.items())],
    )
    cursor = forms.CharField(required=False, max_length=400, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        values = super().clean() or {}
        self.filters = HistoryFilter(
            occurred_from=values.get("occurred_from"),
            occurred_to=values.get("occurred_to"),
            group=rules.KindGroup(values["group"]) if values.get("group") else None,
            cursor=values.get("cursor") or None,
        )
        for problem in filter_problems(self.filters):
            if problem.field not in self.errors:
                self.add_error(problem.field, problem.message)
        return values
