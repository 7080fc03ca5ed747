"""The pure rules behind break10c findings 6-12 (issue 10): each rule's edges, so a change to one fails here
before it fails in a page or the API (tests/sharing/test_break10c_findings.py shows each through the API)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from sharing.rules import (
    PRE_BIRTH_WINDOW,
    Category,
    EntryFieldsError,
    alias_repeat_error,
    entry_date_before_birth_error,
    entry_fields_cleaned,
    may_be_lead_professional,
    name_exact_key,
    same_address,
    service_key,
    service_normalised,
)

BORN = date(2015, 4, 2)
TODAY = date(2026, 1, 1)


@pytest.mark.parametrize("category", [Category.CP_MEETING, Category.CP_REGISTRATION])
def test_pre_birth_child_protection_work_may_precede_the_birth_by_a_pregnancy_at_most(category: Category) -> None:
    assert entry_date_before_birth_error(category, "Held on", BORN - PRE_BIRTH_WINDOW, BORN) is None
    assert entry_date_before_birth_error(category, "Held on", BORN - PRE_BIRTH_WINDOW - timedelta(days=1), BORN)


@pytest.mark.parametrize(
    "category", [Category.CONTACT, Category.SEN_STATEMENT, Category.LEGAL_STATUS, Category.CASE_NOTE]
)
def test_other_entries_are_not_dated_before_the_birth(category: Category) -> None:
    assert entry_date_before_birth_error(category, "Date", BORN, BORN) is None
    problem = entry_date_before_birth_error(category, "Date", BORN - timedelta(days=1), BORN)
    assert problem is not None and "2 April 2015" in problem


def test_entry_fields_name_the_date_before_the_birth() -> None:
    values = {"contact_type": "phone", "contact_date": "2001-01-01"}
    with pytest.raises(EntryFieldsError) as refused:
        entry_fields_cleaned(Category.CONTACT, values, TODAY, born_on=BORN)
    assert set(refused.value.errors) == {"contact_date"}
    held = {"meeting_type": "initial_conference", "held_on": (BORN - timedelta(weeks=8)).isoformat()}
    assert entry_fields_cleaned(Category.CP_MEETING, held, TODAY, born_on=BORN)["held_on"] == held["held_on"]


def test_a_service_is_the_same_whatever_its_capitals_or_spacing() -> None:
    assert service_normalised("  Public \t protection ") == "Public protection"
    assert service_key("public  PROTECTION") == service_key("Public protection")
    assert service_key("Public protection team") != service_key("Public protection")


def test_an_alias_repeated_or_equal_to_the_legal_name_is_refused() -> None:
    names = [("legal", name_exact_key("Maisie", "Hart")), ("known_as", name_exact_key("Maisy", ""))]
    assert alias_repeat_error("known_as", name_exact_key("maisy", " "), names)
    assert alias_repeat_error("previous", name_exact_key("MAISIE", "Hart"), names)
    assert alias_repeat_error("known_as", name_exact_key("Hart", "Maisie"), names)  # the same words
    assert alias_repeat_error("previous", name_exact_key("Maisy", ""), names) is None  # another kind
    assert alias_repeat_error("known_as", name_exact_key("Mae", ""), names) is None


def test_the_same_address_is_compared_by_postcode_and_lines() -> None:
    assert same_address("1 Test Street, Northbridge", "N1 9GU", "1 test street\nNorthbridge.", "N1 9GU")
    assert not same_address("1 Test Street, Northbridge", "N1 9GU", "1 Test Street, Northbridge", "N1 9GV")
    assert not same_address("2 Test Street, Northbridge", "N1 9GU", "1 Test Street, Northbridge", "N1 9GU")


@pytest.mark.parametrize(
    ("roles", "active", "system", "may"),
    [
        (["practitioner"], True, False, True),
        (["designated_manager"], True, False, True),
        (["agency_admin"], True, False, False),
        (["practitioner"], False, False, False),
        (["practitioner"], True, True, False),
    ],
)
def test_the_lead_professional_is_an_active_practitioner_or_designated_manager(
    roles: list[str], active: bool, system: bool, may: bool
) -> None:
    assert may_be_lead_professional(roles, is_active=active, is_system=system) is may
