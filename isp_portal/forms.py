"""Forms in GOV.UK Design System markup, for every app.

`GovukFormRenderer` renders `{{ form }}` and each field with the templates in templates/forms/, which
produce GOV.UK labels, hints, error messages and inputs; `GovukDateWidget` is the three-box date input.
Forms with errors are shown with an error summary (templates/includes/error_summary.html).
"""

from __future__ import annotations

import datetime
from typing import Any, TypeVar

from django import forms
from django.forms.renderers import TemplatesSetting

from isp_portal import bounds

FieldT = TypeVar("FieldT", bound=forms.Field)


class GovukFormRenderer(TemplatesSetting):
    form_template_name = "forms/govuk_form.html"
    field_template_name = "forms/govuk_field.html"


class GovukDateWidget(forms.MultiWidget):
    """GOV.UK date input: separate day, month and year boxes (not a date picker)."""

    template_name = "forms/widgets/govuk_date.html"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        widgets: dict[str, forms.Widget | type[forms.Widget]] = {
            "day": forms.TextInput(
                attrs={
                    "inputmode": "numeric",
                    "class": "govuk-input govuk-date-input__input govuk-input--width-2",
                }
            ),
            "month": forms.TextInput(
                attrs={
                    "inputmode": "numeric",
                    "class": "govuk-input govuk-date-input__input govuk-input--width-2",
                }
            ),
            "year": forms.TextInput(
                attrs={
                    "inputmode": "numeric",
                    "class": "govuk-input govuk-date-input__input govuk-input--width-4",
                }
            ),
        }
        super().__init__(widgets, attrs)

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        base_id = context["widget"]["attrs"].get("id")
        if base_id:
            # GOV.UK names the boxes <id>_day, <id>_month, <id>_year (Django would number them).
            for subwidget, part in zip(context["widget"]["subwidgets"], ("day", "month", "year"), strict=True):
                subwidget["attrs"]["id"] = f"{base_id}_{part}"
        return context

    def id_for_label(self, id_: str) -> str:
        return f"{id_}_day" if id_ else id_

    def decompress(self, value: Any) -> list[Any]:
        if isinstance(value, datetime.date):
            return [value.day, value.month, value.year]
        return [None, None, None]


class GovukDateField(forms.MultiValueField):
    """A date entered as day, month and year, with GOV.UK's error messages."""

    widget = GovukDateWidget

    def __init__(self, **kwargs: Any) -> None:
        # Bounded like every text input (issue 8): a day, a month, a year.
        fields = (forms.CharField(max_length=10), forms.CharField(max_length=10), forms.CharField(max_length=10))
        super().__init__(fields=fields, require_all_fields=False, **kwargs)

    def compress(self, data_list: list[str]) -> datetime.date | None:
        if not data_list or not any(data_list):
            return None
        day, month, year = (part.strip() if part else "" for part in data_list)
        missing = [name for name, part in (("day", day), ("month", month), ("year", year)) if not part]
        if missing:
            raise forms.ValidationError(f"The date must include a {' and '.join(missing)}.", code="incomplete")
        try:
            if len(year) != 4:
                raise ValueError
            value = datetime.date(int(year), int(month), int(day))
        except (ValueError, OverflowError):  # a day of 9999999999 overflows rather than being out of range
            raise forms.ValidationError(
                "The date must be a real date, for example 27 3 2027.", code="invalid"
            ) from None
        # Issue 8: no date of the portal is before 2000 or after 2099 (tighter windows are the services').
        if not bounds.date_in_era(value):
            raise forms.ValidationError(bounds.ERA_ERROR, code="implausible")
        return value


class SignInForm(forms.Form):
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "username", "spellcheck": "false"}),
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        max_length=bounds.PASSWORD,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class TwoFactorCodeForm(forms.Form):
    code = forms.CharField(
        label="Security code",
        help_text="The 6-digit code shown in your authenticator app.",
        min_length=6,
        max_length=8,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "class": "govuk-input--width-5",
                "spellcheck": "false",
            }
        ),
        error_messages={
            "required": "Enter the security code from your authenticator app.",
            "min_length": "The security code is 6 digits.",
            "max_length": "The security code is 6 digits.",
        },
    )

    def clean_code(self) -> str:
        code = str(self.cleaned_data["code"]).replace(" ", "")
        if not code.isdigit():
            raise forms.ValidationError("The security code must be numbers only.")
        return code


def field_of(form: forms.BaseForm, name: str, kind: type[FieldT]) -> FieldT:
    """A form's field, typed (for setting querysets and choices at run time)."""
    field = form.fields[name]
    if not isinstance(field, kind):
        raise TypeError(f"{name} is a {type(field).__name__}, not a {kind.__name__}")
    return field
