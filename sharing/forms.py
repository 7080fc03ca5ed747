"""The forms of the child index's pages (GOV.UK Design System). They check only the shape of what is typed; the
rules (NHS number, postcode, age scope, entry fields) are the services' and selectors', whose field messages the
views put on these forms (agencies.forms.add_service_errors)."""

from __future__ import annotations

import datetime
import re
from typing import Any, ClassVar

from django import forms
from django.utils import timezone

from agencies.selectors import area_choices
from isp_portal import bounds
from isp_portal.forms import GovukDateField, GovukForm, field_of
from sharing import rules
from sharing.models import Basis, Ethnicity, Gender, NameKind, Setting
from sharing.models.children import LANGUAGE_LENGTH, LANGUAGES_MAX
from sharing.selectors.aggregate import DIMENSION_LABELS
from sharing.services.children import NameChange

PURPOSE_HELP = (
    "Why you are looking, for example the safeguarding concern or the service you are arranging: at least "
    f"{rules.PURPOSE_MIN} characters, recorded with your search."
)


class PurposeField(forms.CharField):
    """Why the user is looking at a child, checked by the one purpose rule (sharing.rules.purpose_cleaned; DPA 2018
    s62: every look is logged with its justification), so a purpose the record's selectors would refuse is
    refused here, on the form, and never kept in the session."""

    def clean(self, value: Any) -> str:
        text = super().clean(value)
        if not text and not self.required:
            return ""
        try:
            return rules.purpose_cleaned(text)
        except rules.RuleError as problem:
            raise forms.ValidationError(str(problem)) from None


def _purpose_field() -> forms.CharField:
    return PurposeField(
        label="Purpose",
        help_text=PURPOSE_HELP,
        max_length=bounds.REASON,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class BirthDateField(GovukDateField):
    """A date of birth: the portal's era check does not apply (a care leaver may be born before 2000); the
    services check the date against the protocol's age scope and the earliest birth date."""

    def compress(self, data_list: list[str]) -> datetime.date | None:
        try:
            return super().compress(data_list)
        except forms.ValidationError as error:
            if error.code == "invalid_date":
                # The portal's date example ("27 3 2027") is in the future: a date of birth's is a past one.
                message = str(self.error_messages["invalid_date"])
                example = rules.birth_date_example(timezone.localdate())
                raise forms.ValidationError(
                    re.sub(r"for example [0-9 ]+$", f"for example {example}", message), code="invalid_date"
                ) from None
            if error.code != "implausible":
                raise
            day, month, year = (int(part) for part in data_list)
            return datetime.date(year, month, day)


class SearchForm(GovukForm):
    """A search of the index. Criteria are personal data: posted, never put in a URL (DESIGN 4)."""

    error_names: ClassVar[dict[str, str]] = {
        "purpose": "the purpose of your search",
        "name": "the child's name",
        "born_on": "the date of birth",
    }

    purpose = _purpose_field()
    name = forms.CharField(label="Name", required=False, max_length=bounds.NAME * 2, help_text="Any of their names.")
    born_on = BirthDateField(label="Date of birth", required=False, help_text="For example, 27 3 2015")
    nhs_number = forms.CharField(label="NHS number", required=False, max_length=20, help_text="10 digits.")
    postcode = forms.CharField(label="Postcode", required=False, max_length=rules.POSTCODE_INPUT_MAX)


class PurposeForm(GovukForm):
    error_names: ClassVar[dict[str, str]] = {"purpose": "why you are looking at this child's record"}

    purpose = _purpose_field()


def _agency_choices(agencies: list[tuple[int, str]]) -> forms.ChoiceField:
    return forms.TypedChoiceField(
        label="Recording for", choices=agencies, coerce=int, widget=forms.RadioSelect, initial=agencies[0][0]
    )


class ChildForm(GovukForm):
    """The minimum data of a new child (Haringey 3.8) and the recording agency's involvement."""

    error_names: ClassVar[dict[str, str]] = {"born_on": "the date of birth", "service": "your service"}
    offered_only = frozenset({"agency"})

    given = forms.CharField(label="Given names", required=False, max_length=bounds.NAME)
    family = forms.CharField(label="Family name", max_length=bounds.NAME)
    known_as = forms.CharField(label="Known as (optional)", required=False, max_length=bounds.NAME)
    born_on = BirthDateField(label="Date of birth", help_text="For example, 27 3 2015")
    gender = forms.ChoiceField(label="Gender", choices=Gender.choices, initial=Gender.NOT_KNOWN)
    ethnicity = forms.ChoiceField(label="Ethnicity", choices=Ethnicity.choices, initial=Ethnicity.NOT_STATED)
    languages = forms.CharField(
        label="Languages (optional)",
        required=False,
        max_length=LANGUAGES_MAX * (LANGUAGE_LENGTH + 2),
        help_text="Separate languages with commas.",
    )
    nhs_number = forms.CharField(label="NHS number (optional)", required=False, max_length=20)
    phone = forms.CharField(label="Phone (optional)", required=False, max_length=bounds.PHONE)
    address = forms.CharField(
        label="Address (optional)", required=False, max_length=bounds.ADDRESS, widget=forms.Textarea(attrs={"rows": 3})
    )
    postcode = forms.CharField(label="Postcode (optional)", required=False, max_length=rules.POSTCODE_INPUT_MAX)
    setting = forms.ChoiceField(label="Current setting", choices=Setting.choices, initial=Setting.NONE)
    setting_name = forms.CharField(label="Name of the setting (optional)", required=False, max_length=bounds.NAME)
    # One of the partnership's areas by GSS code, never typed text (WYCPS area-based access compares them).
    area = forms.ChoiceField(
        label="Local authority area (optional)",
        required=False,
        choices=[("", "Your agency's area")],
        help_text="The council area the child lives in. Left as your agency's area, the child belongs to it.",
    )
    has_additional_needs = forms.BooleanField(label="Has additional needs", required=False)
    is_care_leaver = forms.BooleanField(label="Is a care leaver", required=False)
    service = forms.CharField(label="Your service", max_length=bounds.NAME, help_text="For example, Health visiting.")
    lead = forms.BooleanField(label="I am the lead professional", required=False)

    def __init__(self, *args: Any, agencies: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Read once per form (one statement), not each time the select is rendered or checked.
        field_of(self, "area", forms.ChoiceField).choices = [("", "Your agency's area"), *area_choices()]
        if len(agencies) > 1:
            self.fields["agency"] = _agency_choices(agencies)

    def clean_languages(self) -> list[str]:
        return [part.strip() for part in self.cleaned_data["languages"].split(",") if part.strip()]


class ServiceProblems(GovukForm):
    """No fields: a service's refusal of a confirmed step ("check your answers"), shown in the error summary. The
    refusal is recorded by agencies.forms.add_service_errors, so the form itself records nothing."""

    records_refusals = False


class ConsideredForm(GovukForm):
    """The practitioner has looked at the likely matches and still wants a new entry."""

    confirm = forms.BooleanField(
        label="None of these is the child: create a new entry",
        error_messages={"required": "Say that none of these is the child, or add your involvement to one of them"},
    )


class InvolvementForm(GovukForm):
    error_names: ClassVar[dict[str, str]] = {"service": "your service"}
    offered_only = frozenset({"agency"})

    service = forms.CharField(label="Your service", max_length=bounds.NAME, help_text="For example, Health visiting.")
    lead = forms.BooleanField(label="I am the lead professional", required=False)
    is_key_contact = forms.BooleanField(label="I am the key contact", required=False)

    def __init__(self, *args: Any, agencies: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if len(agencies) > 1:
            self.fields["agency"] = _agency_choices(agencies)


class ReasonForm(GovukForm):
    reason = forms.CharField(label="Reason", max_length=bounds.REASON, widget=forms.Textarea(attrs={"rows": 3}))


class NameForm(GovukForm):
    kind = forms.ChoiceField(
        label="Kind of name",
        choices=[(NameKind.PREVIOUS, NameKind.PREVIOUS.label), (NameKind.KNOWN_AS, NameKind.KNOWN_AS.label)],
        widget=forms.RadioSelect,
    )
    given = forms.CharField(label="Given names", required=False, max_length=bounds.NAME)
    family = forms.CharField(label="Family name", required=False, max_length=bounds.NAME)


class AddressForm(GovukForm):
    error_names: ClassVar[dict[str, str]] = {"moved_on": "the date of the move"}

    address = forms.CharField(label="New address", max_length=bounds.ADDRESS, widget=forms.Textarea(attrs={"rows": 3}))
    postcode = forms.CharField(label="Postcode (optional)", required=False, max_length=rules.POSTCODE_INPUT_MAX)
    moved_on = GovukDateField(label="Moved on (optional)", required=False, help_text="Today if left empty.")


class CategoryForm(GovukForm):
    error_names: ClassVar[dict[str, str]] = {"category": "the kind of information"}

    category = forms.ChoiceField(
        label="What kind of information is it?",
        choices=[(category.value, rules.CATEGORY_LABELS[category]) for category in rules.Category],
        widget=forms.RadioSelect,
    )


FLAG_CHOICES = [("yes", "Yes"), ("no", "No")]


def _choice_label(value: str) -> str:
    return value.replace("_", " ").capitalize()


class EntryForm(GovukForm):
    """An entry's content: the category's structured fields (`f_<name>`), its text, fact or opinion and the
    restricted mark. `structured()` gives the fields as the service takes them."""

    text = forms.CharField(
        label="Details", required=False, max_length=bounds.LONG_TEXT, widget=forms.Textarea(attrs={"rows": 6})
    )
    basis = forms.ChoiceField(
        label="Is this fact or professional opinion?", choices=Basis.choices, widget=forms.RadioSelect
    )
    restricted = forms.BooleanField(
        label="Restricted",
        required=False,
        help_text="Only staff authorised for restricted information will know this entry exists.",
    )

    def __init__(self, *args: Any, category: str, revising: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.category = rules.Category(category)
        structured: dict[str, forms.Field] = {}
        for spec in rules.CATEGORY_FIELDS[self.category]:
            label = spec.label if spec.required else f"{spec.label} (optional)"
            field: forms.Field
            if spec.kind == rules.FieldKind.DATE:
                field = GovukDateField(label=label, required=False)
            elif spec.kind == rules.FieldKind.CHOICE:
                field = forms.ChoiceField(
                    label=label,
                    required=False,
                    choices=[("", "Choose"), *((c, _choice_label(c)) for c in spec.choices)],
                )
            elif spec.kind == rules.FieldKind.FLAG:
                field = forms.ChoiceField(label=label, required=False, choices=FLAG_CHOICES, widget=forms.RadioSelect)
            elif spec.kind == rules.FieldKind.MINUTES:
                field = forms.IntegerField(label=label, required=False, min_value=1, max_value=rules.MINUTES_MAX)
            elif spec.kind == rules.FieldKind.NAMES:
                field = forms.CharField(
                    label=label, required=False, max_length=2000, help_text="Separate names with commas."
                )
            else:
                field = forms.CharField(label=label, required=False, max_length=spec.max_length)
            structured[f"f_{spec.name}"] = field
        self.fields = {**structured, **self.fields}
        if category in rules.ALWAYS_RESTRICTED:
            self.fields["restricted"].help_text = "This kind of information is always restricted."
        if revising:
            self.fields["reason"] = forms.CharField(
                label="What this correction changes and why",
                max_length=bounds.REASON,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def structured(self) -> dict[str, object]:
        """The structured fields as the service takes them (absent when left empty: the rules name the missing)."""
        values: dict[str, object] = {}
        for spec in rules.CATEGORY_FIELDS[self.category]:
            raw = self.cleaned_data.get(f"f_{spec.name}")
            if raw in (None, ""):
                continue
            if spec.kind == rules.FieldKind.FLAG:
                values[spec.name] = raw == "yes"
            elif spec.kind == rules.FieldKind.NAMES:
                values[spec.name] = [part.strip() for part in str(raw).split(",") if part.strip()]
            else:
                values[spec.name] = raw
        return values

    @staticmethod
    def initial_from(fields: dict[str, object]) -> dict[str, object]:
        """A revision's stored fields as this form's initial values."""
        initial: dict[str, object] = {}
        for name, value in fields.items():
            if isinstance(value, bool):
                initial[f"f_{name}"] = "yes" if value else "no"
            elif isinstance(value, list):
                initial[f"f_{name}"] = ", ".join(str(item) for item in value)
            elif isinstance(value, str) and len(value) == 10 and value[4] == "-":
                try:
                    initial[f"f_{name}"] = datetime.date.fromisoformat(value)
                except ValueError:
                    initial[f"f_{name}"] = value
            else:
                initial[f"f_{name}"] = value
        return initial


class MergeForm(GovukForm):
    error_names: ClassVar[dict[str, str]] = {
        "other": "the other entry's number",
        "reason": "the reason these are the same child",
    }

    other = forms.IntegerField(
        label="Number of the entry to merge into this one",
        min_value=1,
        max_value=bounds.ID_MAX,
        help_text="The number shown as “Index number” on the other entry's page.",
    )
    reason = forms.CharField(
        label="Why these are the same child", max_length=bounds.REASON, widget=forms.Textarea(attrs={"rows": 3})
    )


class CloseForm(GovukForm):
    """A partnership admin closes a record no longer needed (Southampton 8), with the reason."""

    error_names: ClassVar[dict[str, str]] = {"reason": "why this record is no longer needed"}

    reason = forms.CharField(
        label="Why this record is no longer needed",
        max_length=bounds.REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The reason is recorded and shown on the record until its content is erased.",
    )


class ReopenForm(GovukForm):
    """A partnership admin reopens a record closed in error (break11d finding 11), with the reason."""

    error_names: ClassVar[dict[str, str]] = {"reason": "why this record is reopened"}

    reason = forms.CharField(
        label="Why this record is reopened",
        max_length=bounds.REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
        # Said before it is typed: the reason is shown on the record to its readers (sharing.selectors
        # .reopenings_seen), never in the notices (break11e finding 2).
        help_text="For example, the date of birth it was closed on was wrong. The reason is shown with the record to "
        "everyone who may read it (withheld from agencies not involved if the child is shielded) until its "
        "content is erased. The lead professionals are told the record was reopened, not why.",
    )


class ChildChangeForm(GovukForm):
    """One part of a child's minimum data changed on its own page (`part`: a key of sharing.views.change.PARTS):
    the fields of the new-child form, and only the part's are kept. The services check the rules (the NHS
    number's check digit, the date of birth and the age scope) exactly as at creation."""

    error_names: ClassVar[dict[str, str]] = {
        "born_on": "the date of birth",
        "name_change": "whether this corrects a mistake",
        "reason": "what the mistake was",
    }

    given = forms.CharField(label="Given names", required=False, max_length=bounds.NAME)
    family = forms.CharField(label="Family name", required=False, max_length=bounds.NAME)
    # Finding 14 of issue 10: a typo fixed is not a name the child had, so it is not kept as a previous name.
    name_change = forms.ChoiceField(
        label="Is this a correction of a mistake, or has the child's name changed?",
        choices=NameChange.choices,
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label="If it corrects a mistake, what was wrong",
        required=False,
        max_length=bounds.REASON,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Recorded with the correction.",
    )
    born_on = BirthDateField(label="Date of birth", help_text="For example, 27 3 2015")
    gender = forms.ChoiceField(label="Gender", choices=Gender.choices, widget=forms.RadioSelect)
    ethnicity = forms.ChoiceField(label="Ethnicity", choices=Ethnicity.choices)
    languages = forms.CharField(
        label="Languages",
        required=False,
        max_length=LANGUAGES_MAX * (LANGUAGE_LENGTH + 2),
        help_text="Separate languages with commas. Leave empty if none are recorded.",
    )
    phone = forms.CharField(
        label="Phone", required=False, max_length=bounds.PHONE, help_text="Leave empty to remove the phone number."
    )
    setting = forms.ChoiceField(label="Current setting", choices=Setting.choices, widget=forms.RadioSelect)
    setting_name = forms.CharField(label="Name of the setting (optional)", required=False, max_length=bounds.NAME)
    nhs_number = forms.CharField(
        label="NHS number", required=False, max_length=20, help_text="10 digits. Leave empty to remove it."
    )
    # One of the partnership's areas by GSS code, never typed text (WYCPS area-based access compares them).
    area = forms.ChoiceField(label="Local authority area", required=False, choices=[("", "Not recorded")])
    has_additional_needs = forms.BooleanField(label="Has additional needs", required=False)
    is_care_leaver = forms.BooleanField(label="Is a care leaver", required=False)

    def __init__(self, *args: Any, fields: tuple[str, ...], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields = {name: field for name, field in self.fields.items() if name in fields}
        if "area" in self.fields:  # read only when the area is the part being changed (one statement)
            field_of(self, "area", forms.ChoiceField).choices = [("", "Not recorded"), *area_choices()]

    def clean_languages(self) -> list[str]:
        return [part.strip() for part in self.cleaned_data["languages"].split(",") if part.strip()]


class ShieldForm(GovukForm):
    """Shielding a child, or lifting its shield: the reason and the confirmation (and, when the user practises in
    more than one agency involved with the child, which agency shields it)."""

    error_names: ClassVar[dict[str, str]] = {"reason": "the reason", "confirm": "the confirmation"}
    offered_only = frozenset({"agency"})

    reason = forms.CharField(label="Reason", max_length=bounds.REASON, widget=forms.Textarea(attrs={"rows": 3}))
    confirm = forms.BooleanField(label="I confirm")

    def __init__(
        self, *args: Any, confirm_label: str, agencies: list[tuple[int, str]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["confirm"].label = confirm_label
        self.fields["confirm"].error_messages["required"] = "Confirm that you mean to do this"
        if agencies and len(agencies) > 1:
            field = _agency_choices(agencies)
            field.label = "Shielded by"
            self.fields = {"agency": field, **self.fields}


class AggregateForm(GovukForm):
    """Which two dimensions to count the children by (the aggregate tier). Asked by GET: it holds no personal
    data, so the table can be bookmarked."""

    error_names: ClassVar[dict[str, str]] = {"rows": "what the rows count by", "columns": "what the columns count by"}

    rows = forms.ChoiceField(label="Rows", choices=[])
    columns = forms.ChoiceField(label="Columns", choices=[])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(dimension.value, label) for dimension, label in DIMENSION_LABELS.items()]
        self.fields["rows"].choices = choices  # type: ignore[attr-defined]
        self.fields["columns"].choices = choices  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("rows") and data.get("rows") == data.get("columns"):
            self.add_error("columns", "Choose a different dimension for the columns from the rows")
        return data
