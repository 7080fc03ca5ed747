"""Form messages the GOV.UK way, for every form of the portal (issue 8 item 14: "This field is required."
three times without naming the field, and "---------" in selects)."""

from __future__ import annotations

import copy
import importlib
import re
from typing import Any

import pytest
from django import forms

from agencies.forms import AgencyForm, TrainingRecordForm
from agencies.models import Agency, User
from isp_portal.forms import GovukForm, _default_messages, apply_govuk_wording, field_noun
from protocols.forms import ProtocolCreateForm
from tests.factories import World

PROJECT_APPS = ("isp_portal", "agencies", "protocols", "consent", "sharing", "breaches", "audit")
# A field is named in messages by a noun phrase; these first or last words mean the label was not one.
BAD_FIRST = {"the create", "the type", "the upload", "the why", "the what", "the how", "the when", "the who",
             "the if", "the or", "the then", "the on", "the responding", "the supplements", "the commissioned",
             "the counts"}  # fmt: skip
# ... and these say too little on their own.
BAD_WHOLE = {"the date", "the name", "this"}
BAD_LAST = {"on", "by", "until", "to", "for", "contains", "every", "with", "of", "in"}


def _all_form_classes() -> list[type[forms.BaseForm]]:
    for app in PROJECT_APPS:
        try:
            importlib.import_module(f"{app}.forms")
        except ModuleNotFoundError:
            continue
    found: list[type[forms.BaseForm]] = []
    pending: list[type[Any]] = [forms.BaseForm]
    while pending:
        klass = pending.pop()
        for sub in klass.__subclasses__():
            pending.append(sub)
            if sub.__module__.split(".")[0] in PROJECT_APPS:
                found.append(sub)
    return found


FORM_CLASSES = [klass for klass in _all_form_classes() if klass is not GovukForm]


def test_the_forms_are_found() -> None:
    names = {klass.__name__ for klass in FORM_CLASSES}
    assert {"AgencyForm", "TrainingRecordForm", "ProtocolCreateForm", "MeetingForm", "SignInForm"} <= names


@pytest.mark.parametrize("form_class", FORM_CLASSES, ids=lambda klass: klass.__name__)
def test_every_form_words_its_messages_the_govuk_way(form_class: type[forms.BaseForm]) -> None:
    assert issubclass(form_class, GovukForm), f"{form_class.__name__} must be a GovukForm"
    for name, field in form_class.base_fields.items():
        if name in form_class.error_names:  # chosen by hand
            continue
        noun = field_noun(str(field.label))
        words = noun.split()
        assert " ".join(words[:2]) not in BAD_FIRST and words[-1] not in BAD_LAST and noun not in BAD_WHOLE, (
            f"{form_class.__name__}.{name}: messages would name it {noun!r}; give it an error_names entry"
        )
        assert "?" not in noun and "(" not in noun, noun
        # Django's own wording is gone: every message a user can meet is the form's.
        field = copy.deepcopy(field)
        apply_govuk_wording(field, noun)
        defaults = _default_messages(field)
        for code in ("required", "invalid", "invalid_choice"):
            if code in defaults:
                assert field.error_messages[code] != defaults[code], (form_class.__name__, name, code)


def test_an_empty_register_form_names_each_missing_field() -> None:
    form = AgencyForm(data={}, parents=Agency.objects.none())
    assert not form.is_valid()
    assert form.errors["name"] == ["Enter the agency name"]
    assert form.errors["kind"] == ["Select the kind of organisation"]
    assert form.errors["sector"] == ["Select the sector"]
    assert "This field is required." not in str(form.errors)


def test_lengths_numbers_and_choices_are_named() -> None:
    form = AgencyForm(
        data={"name": "x" * 201, "kind": "castle", "sector": "statutory", "registration_number": "9" * 51},
        parents=Agency.objects.none(),
    )
    assert not form.is_valid()
    assert form.errors["name"] == ["The agency name must be 200 characters or fewer"]
    assert form.errors["kind"] == ["Select the kind of organisation from the list"]
    assert form.errors["registration_number"] == ["The registration number must be 50 characters or fewer"]
    protocol = ProtocolCreateForm(data={"first_review_months": "soon", "review_every_months": "0"})
    assert not protocol.is_valid()
    assert protocol.errors["first_review_months"] == ["The months to the first review must be a whole number"]
    assert protocol.errors["review_every_months"] == ["The months between reviews must be 1 or more"]
    assert protocol.errors["title"] == ["Enter the title"]


def test_dates_are_named_and_say_which_part_is_missing() -> None:
    form = TrainingRecordForm(
        data={"completed_on_day": "4", "completed_on_year": "2026", "expires_on_day": "31", "expires_on_month": "2",
              "expires_on_year": "2027"},
        members=User.objects.none(),
    )  # fmt: skip
    assert not form.is_valid()
    assert form.errors["completed_on"] == ["The date the training was completed must include a month"]
    assert form.errors["expires_on"] == [
        "The date the training stops counting must be a real date, for example 27 3 2027"
    ]
    assert form.errors["user"] == ["Select the person"]
    empty = TrainingRecordForm(data={}, members=User.objects.none())
    assert not empty.is_valid()
    assert empty.errors["completed_on"] == ["Enter the date the training was completed"]


@pytest.mark.django_db
def test_selects_offer_a_choose_option_not_dashes(world: World) -> None:
    html = str(TrainingRecordForm(members=User.objects.all()))
    assert "---------" not in html
    assert re.search(r'<option value="" selected>Choose person</option>', html), html


@pytest.mark.django_db
def test_the_page_shows_the_named_messages_with_a_summary_linking_to_each_field(world: World, client_for: Any) -> None:
    page = client_for("partnership_admin").post("/agencies/new/", {"name": ""}).content.decode()
    assert "This field is required." not in page
    summary = page[page.index("govuk-error-summary") : page.index("</ul>", page.index("govuk-error-summary"))]
    assert '<a href="#id_name">Enter the agency name</a>' in summary
    assert '<a href="#id_kind_0">Select the kind of organisation</a>' in summary
    assert 'id="id_name"' in page and 'id="id_kind_0"' in page
    assert "Enter the agency name</p>" in page  # the message at the field itself
