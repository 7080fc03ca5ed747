"""Forms in GOV.UK Design System markup, for every app.

`GovukFormRenderer` renders `{{ form }}` and each field with the templates in templates/forms/, which
produce GOV.UK labels, hints, error messages and inputs; `GovukDateWidget` is the three-box date input.
Forms with errors are shown with an error summary (templates/includes/error_summary.html).

Every form of the portal is a `GovukForm`: it words each field's messages the GOV.UK way, naming the field
("Enter the agency name", "Select the kind of organisation", "The title must be 200 characters or fewer")
instead of Django's "This field is required.", and gives selects a "Choose ..." empty option instead of
"---------". A field is named "the <label>" unless the form's `error_names` says better; a message the
field sets itself is kept.
"""

from __future__ import annotations

import datetime
import re
from typing import Any, ClassVar, TypeVar

from django import forms
from django.core.exceptions import ValidationError
from django.forms.renderers import TemplatesSetting

from isp_portal import bounds, refusals

FieldT = TypeVar("FieldT", bound=forms.Field)

DJANGO_EMPTY_LABEL = "---------"
_SELECTED = (forms.ChoiceField, forms.ModelChoiceField, forms.BooleanField, forms.FileField)
# Labels that already read as a noun phrase: no "the" in front of them.
_DETERMINERS = ("the ", "a ", "an ", "their ", "your ", "its ", "our ", "any ")


def field_noun(label: str) -> str:
    """How a message names a field, from its label: "Full name" -> "the full name", "ICO registration number"
    -> "the ICO registration number", "Their job title" -> "their job title"."""
    text = re.sub(r"\s*\([^)]*\)", "", str(label)).strip().rstrip("?:.")
    if not text:
        return "this"
    first_word = text.split()[0]
    if not (len(first_word) > 1 and first_word[1].isupper()):  # keep acronyms such as ICO
        text = text[0].lower() + text[1:]
    return text if text.startswith(_DETERMINERS) else f"the {text}"


def _default_messages(field: forms.Field) -> dict[str, str]:
    """The messages Django would give this field when nobody chose better ones."""
    merged: dict[str, str] = {}
    for klass in reversed(type(field).__mro__):
        merged.update(getattr(klass, "default_error_messages", {}))
    return merged


def govuk_messages(field: forms.Field, noun: str) -> dict[str, str]:
    """GOV.UK-style messages for `field`, named by `noun` (see `field_noun`), keyed by Django error code."""
    capital = noun[0].upper() + noun[1:]
    select = isinstance(field, _SELECTED) or isinstance(field.widget, forms.CheckboxInput)
    messages = {
        "required": f"Select {noun}" if select else f"Enter {noun}",
        "invalid_choice": f"Select {noun} from the list",  # noqa: S608 - words, not SQL
        "invalid_pk_value": f"Select {noun} from the list",  # noqa: S608 - words, not SQL
        "invalid_list": f"Select {noun}",
        "max_length": f"{capital} must be %(limit_value)d characters or fewer",
        "min_length": f"{capital} must be %(limit_value)d characters or more",
        "max_value": f"{capital} must be %(limit_value)s or less",
        "min_value": f"{capital} must be %(limit_value)s or more",
        "max_digits": f"{capital} must be %(max)s digits or fewer",
        "max_decimal_places": f"{capital} must have %(max)s decimal places or fewer",
        "invalid": f"Enter {noun} in the correct format",
    }
    if isinstance(field, forms.IntegerField):
        messages["invalid"] = f"{capital} must be a whole number"
    elif isinstance(field, forms.FloatField | forms.DecimalField):
        messages["invalid"] = f"{capital} must be a number"
    elif isinstance(field, forms.EmailField):
        messages["invalid"] = f"Enter {noun} in the correct format, like name@example.com"
    elif isinstance(field, forms.URLField):
        messages["invalid"] = f"Enter {noun} in the correct format, like https://www.example.org"
    elif isinstance(field, forms.FileField):
        messages.update(
            invalid=f"Select {noun}",
            missing=f"Select {noun}",
            empty=f"The selected file is empty: select {noun} again",
            max_length="The name of the selected file must be %(max)d characters or fewer",
            contradiction=f"Either select {noun} or remove the current one, not both",
        )
    elif isinstance(field, GovukDateField):
        messages.update(
            incomplete_date=f"{capital} must include %(missing)s",
            invalid_date=f"{capital} must be a real date, for example 27 3 2027",
            incomplete=f"{capital} must include a day, month and year",
        )
    return messages


def apply_govuk_wording(field: forms.Field, noun: str) -> None:
    """Give `field` GOV.UK messages wherever it still has Django's own, and a "Choose ..." empty option."""
    defaults = _default_messages(field)
    for code, message in govuk_messages(field, noun).items():
        current = field.error_messages.get(code)
        if current is None or current == defaults.get(code):
            field.error_messages[code] = message
    choose = "Choose " + (noun.removeprefix("the ") if noun.startswith("the ") else noun)
    if isinstance(field, forms.ModelChoiceField) and field.empty_label == DJANGO_EMPTY_LABEL:
        field.empty_label = choose
    elif isinstance(field, forms.ChoiceField) and not isinstance(field, forms.ModelChoiceField):
        choices = list(field.widget.choices)
        if choices and tuple(choices[0]) == ("", DJANGO_EMPTY_LABEL):
            field.choices = [("", choose), *choices[1:]]


class GovukForm(forms.Form):
    """The base of every form in the portal (see the module docstring).

    `error_names` maps a field to how messages name it when "the <label>" reads badly, for example
    {"completed_on": "the date the training was completed"}."""

    error_names: ClassVar[dict[str, str]] = {}
    # A refused submission is recorded in the audit trail (isp_portal.refusals); sign-in forms record their
    # failures themselves, as sign-in events, and say False.
    records_refusals: ClassVar[bool] = True
    # What a tampered submission tried to change (a membership, say), for the audit event; None for none.
    refusal_target: Any = None
    # Fields whose choices are exactly what this person may do (the privileges they may give, say): a value
    # outside them was sent by tampering, and is recorded as such.
    offered_only: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._worded: set[int] = set()
        if self.is_bound and self.records_refusals:
            refusals.watch_form(self)

    def noun_for(self, name: str) -> str:
        field = self.fields[name]
        return self.error_names.get(name) or field_noun(str(field.label or name.replace("_", " ")))

    def _word(self, name: str) -> None:
        # Fields may be added, replaced or relabelled in a subclass's __init__, so each is worded when it is
        # first rendered or validated, not when the form is made.
        field = self.fields[name]
        if id(field) not in self._worded:
            apply_govuk_wording(field, self.noun_for(name))
            self._worded.add(id(field))

    def __getitem__(self, name: str) -> forms.BoundField:
        if name in self.fields:
            self._word(name)
        return super().__getitem__(name)

    def full_clean(self) -> None:
        for name in self.fields:
            self._word(name)
        super().full_clean()
        if self.is_bound:
            self._refuse_disabled_changes()
            for name in self.offered_only:
                if any(error.code == "invalid_choice" for error in self.errors.as_data().get(name, [])):
                    refusals.note_tampered_field(name, self.refusal_target)

    def _refuse_disabled_changes(self) -> None:
        """Django ignores what is posted for a disabled field and keeps its initial value. A browser never
        posts one, so a posted value that differs from what the page showed was sent by tampering (a
        privilege the person may not give themselves, say): refused with the reason the page gave, and
        recorded (isp_portal.refusals), never silently ignored."""
        for name, field in self.fields.items():
            if not field.disabled or self.add_prefix(name) not in self.data:
                continue
            initial = self.get_initial_for_field(field, name)
            try:
                posted = field.to_python(field.widget.value_from_datadict(self.data, self.files, self.add_prefix(name)))
                changed = posted != field.to_python(initial)
            except ValidationError:
                changed = True
            if changed:
                reason = str(field.help_text or "").strip()
                self.add_error(name, reason or f"You cannot change {self.noun_for(name)}.")
                refusals.note_tampered_field(name, self.refusal_target)


def unread_filters(query: Any, form: forms.Form) -> list[str]:
    """The parameters of `query` (a QueryDict) that `form` does not read (a misspelt or unknown filter, or a date as
    one value rather than its day, month and year boxes), and those given more than once (the form would read only
    the last), each as "name: why": a register refuses them by name rather than show a wider register."""
    known: set[str] = set()
    for name, field in form.fields.items():
        names = getattr(field.widget, "widgets_names", None)
        known |= {f"{name}{suffix}" for suffix in names} if names else {name}
    problems = [f"{name}: this filter is not accepted here" for name in query if name not in known]
    problems += [f"{name}: give this filter once" for name in query if len(query.getlist(name)) > 1]
    return problems


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
    """A date entered as day, month and year, with GOV.UK's error messages (naming the field when it is on a
    GovukForm: "The completion date must include a month")."""

    widget = GovukDateWidget
    default_error_messages = {
        "incomplete_date": "The date must include %(missing)s",
        "invalid_date": "The date must be a real date, for example 27 3 2027",
    }

    def __init__(self, **kwargs: Any) -> None:
        # The parts are optional one by one, so a partly filled date reaches compress() and is told which
        # part is missing. Bounded like every text input (issue 8): a day, a month, a year.
        parts = (
            forms.CharField(required=False, max_length=10),
            forms.CharField(required=False, max_length=10),
            forms.CharField(required=False, max_length=10),
        )
        super().__init__(fields=parts, require_all_fields=False, **kwargs)

    def compress(self, data_list: list[str]) -> datetime.date | None:
        if not data_list or not any(data_list):
            return None
        day, month, year = (part.strip() if part else "" for part in data_list)
        missing = [name for name, part in (("day", day), ("month", month), ("year", year)) if not part]
        if missing:
            words = "a " + " and ".join(missing) if len(missing) < 3 else "a day, month and year"
            raise forms.ValidationError(
                self.error_messages["incomplete_date"], code="incomplete_date", params={"missing": words}
            )
        try:
            if len(year) != 4:
                raise ValueError
            value = datetime.date(int(year), int(month), int(day))
        except (ValueError, OverflowError):  # a day of 9999999999 overflows rather than being out of range
            raise forms.ValidationError(self.error_messages["invalid_date"], code="invalid_date") from None
        # Issue 8: no date of the portal is before 2000 or after 2099 (tighter windows are the services').
        if not bounds.date_in_era(value):
            raise forms.ValidationError(bounds.ERA_ERROR, code="implausible")
        return value


class SignInForm(GovukForm):
    records_refusals = False  # a failed sign-in is an auth event (isp_portal.signin, django-axes)

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


class TwoFactorCodeForm(GovukForm):
    records_refusals = False  # a wrong code is an auth event (isp_portal.signin)

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
