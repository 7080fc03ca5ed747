"""The sharing app's pure rules: NHS numbers (NHS Data Dictionary modulus 11), UK postcodes, ages on 29 February,
the protocol's age scope (Haringey 2.1; Southampton 5), name keys for search, and entry fields (DESIGN 2.3).

Every case listed under "Cases from the field" in issue 10 is here, with hypothesis properties for the kind."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sharing.rules import (
    CATEGORY_FIELDS,
    AgeScope,
    Category,
    EntryFieldsError,
    RuleError,
    age_on,
    age_scope_refusal,
    birth_date_error,
    entry_fields_cleaned,
    entry_is_restricted,
    name_exact_key,
    name_index_keys,
    name_match,
    name_query,
    name_tokens,
    nhs_check_digit,
    nhs_number_display,
    nhs_number_normalised,
    period_error,
    postcode_normalised,
)

# --- NHS numbers ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("4000000020", "4000000020"),  # a remainder of 0 gives the check digit 0
        ("943 476 5919", "9434765919"),  # spaces as printed on an NHS card
        ("943-476-5919", "9434765919"),
        (" 9434765919 ", "9434765919"),
        ("0100000002", "0100000002"),  # a leading zero is part of the number
        ("9990000018", "9990000018"),  # the 999 test range
    ],
)
def test_valid_nhs_numbers_are_kept_as_their_ten_digits(typed: str, stored: str) -> None:
    assert nhs_number_normalised(typed) == stored


@pytest.mark.parametrize("last", range(10))
def test_a_remainder_of_ten_is_never_valid(last: int) -> None:
    assert nhs_check_digit("400000008") is None
    with pytest.raises(RuleError, match="no check digit is possible"):
        nhs_number_normalised(f"400000008{last}")


def test_a_nine_digit_number_is_refused_never_padded() -> None:
    # A spreadsheet's number column drops the leading zero of 0100000002.
    with pytest.raises(RuleError, match=r"this has 9\. If it began with a zero"):
        nhs_number_normalised("100000002")


def test_an_integer_is_refused_nhs_numbers_are_text() -> None:
    with pytest.raises(RuleError, match="as text"):
        nhs_number_normalised(100000002)  # type: ignore[arg-type]


def test_a_wrong_check_digit_is_named() -> None:
    with pytest.raises(RuleError, match="the check digit should be 9, not 8"):
        nhs_number_normalised("943 476 5918")


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "943476591X",
        "\uff19\uff14\uff13\uff14\uff17\uff16\uff15\uff19\uff11\uff19",
        "943.476.5919",
        "94347659190",
    ],
)
def test_other_shapes_are_refused(typed: str) -> None:
    with pytest.raises(RuleError):
        nhs_number_normalised(typed)


nine_digits = st.text(alphabet="0123456789", min_size=9, max_size=9)


@given(nine_digits, st.lists(st.sampled_from(["", " ", "-"]), min_size=10, max_size=10))
def test_every_number_with_its_check_digit_is_valid_however_spaced(first: str, separators: list[str]) -> None:
    check = nhs_check_digit(first)
    number = first + str(check)
    if check is None or len(set(number)) == 1:
        return  # no check digit, or one digit repeated (a placeholder: test_names_and_dates)
    typed = "".join(separator + digit for separator, digit in zip(separators, number, strict=True))
    assert nhs_number_normalised(typed) == number
    assert nhs_number_display(number).replace(" ", "") == number


@given(nine_digits, st.integers(0, 9), st.integers(1, 9))
def test_changing_any_one_digit_makes_a_valid_number_invalid(first: str, position: int, change: int) -> None:
    check = nhs_check_digit(first)
    if check is None:
        return
    digits = list(first + str(check))
    digits[position] = str((int(digits[position]) + change) % 10)
    with pytest.raises(RuleError):
        nhs_number_normalised("".join(digits))


@given(nine_digits, st.lists(st.sampled_from(["", " ", "-"]), min_size=9, max_size=9))
def test_nine_digits_are_always_refused(digits: str, separators: list[str]) -> None:
    typed = "".join(separator + digit for separator, digit in zip(separators, digits, strict=True))
    with pytest.raises(RuleError, match="has 10 digits"):
        nhs_number_normalised(typed)


# --- Postcodes --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("sw1a1aa", "SW1A 1AA"),
        ("SW1A 1AA", "SW1A 1AA"),
        ("gir 0aa", "GIR 0AA"),
        ("GIR0AA", "GIR 0AA"),
        ("BF1 2AY", "BF1 2AY"),
        ("bfpo61", "BFPO 61"),
        ("BFPO 1234", "BFPO 1234"),
        ("STHL1ZZ", "STHL 1ZZ"),
        ("fiqq 1zz", "FIQQ 1ZZ"),
        ("GX11 1AA", "GX11 1AA"),
        ("m1 1ae", "M1 1AE"),
        ("b33 8th", "B33 8TH"),
        ("cr2 6xh", "CR2 6XH"),
        ("dn55 1pt", "DN55 1PT"),
        ("w1a 0ax", "W1A 0AX"),
        ("ec1a 1bb", "EC1A 1BB"),
        ("  n1  9gu ", "N1 9GU"),
    ],
)
def test_postcodes_are_normalised(typed: str, stored: str) -> None:
    assert postcode_normalised(typed) == stored


@pytest.mark.parametrize(
    "typed",
    ["@SW1A 1AA", "SW1A 1AA x", "", "SW1A", "1AA", "QA1 1AA", "SW1A 1CA", "BFPO", "BFPO 12345", "BFPO 0", "ZZZZ 1ZZ"],
)
def test_junk_is_refused(typed: str) -> None:
    with pytest.raises(RuleError):
        postcode_normalised(typed)


@pytest.mark.parametrize(
    ("typed", "suggestion"),
    [("EC1V OBW", "EC1V 0BW"), ("SW1A IAA", "SW1A 1AA"), ("5W1A 1AA", None), ("N1 9GU0", None)],
)
def test_letter_o_and_i_for_zero_and_one_are_suggested(typed: str, suggestion: str | None) -> None:
    with pytest.raises(RuleError) as refused:
        postcode_normalised(typed)
    assert refused.value.suggestion == suggestion
    if suggestion:
        assert f"did you mean {suggestion}?" in str(refused.value)


postcodes = st.sampled_from(["SW1A 1AA", "GIR 0AA", "BFPO 61", "STHL 1ZZ", "BF1 2AY", "EC1V 0BW", "M1 1AE"])


@given(postcodes, st.booleans(), st.sampled_from(["", " ", "  "]))
def test_normalising_is_idempotent_and_ignores_case_and_spacing(code: str, lower: bool, space: str) -> None:
    typed = code.replace(" ", space)
    typed = typed.lower() if lower else typed
    assert postcode_normalised(typed) == code
    assert postcode_normalised(postcode_normalised(typed)) == code


@given(st.text(max_size=20))
def test_any_text_is_either_a_normalised_postcode_or_refused(text: str) -> None:
    try:
        code = postcode_normalised(text)
    except RuleError:
        return
    assert code == code.upper().strip() and "  " not in code and " " in code


# --- Ages -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("born", "on", "age"),
    [
        (date(2008, 2, 29), date(2026, 2, 28), 17),
        (date(2008, 2, 29), date(2026, 3, 1), 18),
        (date(2008, 2, 29), date(2028, 2, 29), 20),
        (date(2003, 3, 1), date(2024, 2, 29), 20),
        (date(2003, 3, 1), date(2024, 3, 1), 21),
        (date(2010, 6, 15), date(2010, 6, 15), 0),
        (date(2010, 6, 15), date(2028, 6, 14), 17),
        (date(2010, 6, 15), date(2028, 6, 15), 18),
    ],
)
def test_age_on(born: date, on: date, age: int) -> None:
    assert age_on(born, on) == age


@given(st.dates(date(1990, 1, 1), date(2030, 12, 31)), st.integers(0, 40))
def test_a_year_older_exactly_on_the_birthday_or_1_march(born: date, years: int) -> None:
    year = born.year + years
    try:
        birthday = born.replace(year=year)
    except ValueError:  # 29 February in a common year: the birthday is 1 March
        birthday = date(year, 3, 1)
    assert age_on(born, birthday) == years
    assert age_on(born, birthday - timedelta(days=1)) == years - 1


SCOPE = AgeScope(age_min=0, age_max=18, extended_age_max=25, extended_conditions=frozenset({"care_leaver"}))
TODAY = date(2026, 3, 1)


@pytest.mark.parametrize(
    ("born", "additional_needs", "care_leaver", "rule"),
    [
        (date(2008, 2, 29), False, False, None),  # 18 today: in scope
        (date(2007, 3, 1), False, False, "age_max"),  # 19 today
        (date(2007, 3, 2), False, False, None),  # 19 tomorrow
        (date(2007, 3, 1), False, True, None),  # a care leaver to 25
        (date(2007, 3, 1), True, False, "age_max"),  # additional needs do not extend this scope
        (date(2001, 3, 1), False, True, None),  # 25 today: "to 25" includes 25
        (date(2000, 3, 1), False, True, "extended_age_max"),  # 26 today
    ],
)
def test_age_scope(born: date, additional_needs: bool, care_leaver: bool, rule: str | None) -> None:
    refusal = age_scope_refusal(SCOPE, born, TODAY, additional_needs=additional_needs, care_leaver=care_leaver)
    assert (refusal.rule if refusal else None) == rule
    if refusal:
        assert "1 March 2026" in refusal.message and str(refusal.age) in refusal.message


def test_the_refusal_says_which_conditions_extend_the_scope() -> None:
    refusal = age_scope_refusal(SCOPE, date(2005, 1, 1), TODAY, additional_needs=True, care_leaver=False)
    assert refusal is not None and refusal.rule == "age_max"
    assert "to 25 for one who is a care leaver" in refusal.message and "not recorded as one" in refusal.message


def test_the_extended_bound_is_named_in_plain_english() -> None:
    refusal = age_scope_refusal(SCOPE, date(2000, 3, 1), TODAY, additional_needs=False, care_leaver=True)
    assert refusal is not None and refusal.message.startswith(
        "This protocol covers a young person who is a care leaver up to age 25; this young person is 26"
    )


def test_a_scope_without_an_extension_refuses_at_age_max() -> None:
    scope = AgeScope(age_min=0, age_max=18)
    refusal = age_scope_refusal(scope, date(2005, 1, 1), TODAY, additional_needs=True, care_leaver=True)
    assert refusal is not None and refusal.rule == "age_max"


def test_a_scope_from_an_older_age_refuses_younger_children() -> None:
    scope = AgeScope(age_min=5, age_max=18)
    refusal = age_scope_refusal(scope, date(2024, 1, 1), TODAY, additional_needs=False, care_leaver=False)
    assert refusal is not None and refusal.rule == "age_min"


def test_a_date_of_birth_in_the_future_is_refused() -> None:
    assert birth_date_error(TODAY + timedelta(days=1), TODAY)
    assert birth_date_error(TODAY, TODAY) is None


# --- Names ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("O'Brien", ["obrien"]),
        ("O’Brien", ["obrien"]),
        ("Smith-Jones", ["smith", "jones"]),
        ("Łukasz", ["lukasz"]),
        ("Søren", ["soren"]),
        ("Strauß", ["strauss"]),
        ("  ZOË   de la Cruz ", ["zoe", "de", "la", "cruz"]),
    ],
)
def test_name_tokens(text: str, tokens: list[str]) -> None:
    assert name_tokens(text) == tokens


@pytest.mark.parametrize(
    ("stored", "query"),
    [
        (("Aoife", "O’Brien"), "O'Brien"),
        (("Aoife", "O'Brien"), "O’Brien"),
        (("Aoife", "O’Brien"), "OBrien"),
        (("Aoife", "O’Brien"), "O Brien"),
        (("Aoife", "O Brien"), "O'Brien"),
        (("Łukasz", "Nowak"), "Lukasz Nowak"),
        (("Søren", "Berg"), "Soren"),
        (("Anna", "Strauß"), "Strauss"),
        (("Sam", "Smith-Jones"), "Smith Jones"),
        (("Sam", "Smith Jones"), "Smith-Jones"),
        (("Sam", "Smith-Jones"), "SmithJones"),
        (("Sam", "Smith-Jones"), "Jones Sam Smith"),  # any order
        (("Aoife", "O’Brien"), "O Brien Aoife"),
        (("Sam", "Smith"), "Smyth"),  # spelling, by sound
        (("Catherine", "Lee"), "Kathryn Lee"),
        (("Mohammed", "Ali"), "Muhammad Ali"),
        (("John", "Smith"), "J Smith"),  # an initial
        (("John", "Smith"), "Smith J"),
        (("Mary Jane", "Smith"), "Mary J Smith"),
        (("John", "Smith"), "J Smyth"),
    ],
)
def test_a_name_is_found_by_its_variants(stored: tuple[str, str], query: str) -> None:
    matches, _ = name_match(name_query(query), name_index_keys(*stored))
    assert matches


@pytest.mark.parametrize(
    ("stored", "query"),
    [
        (("Aoife", "O’Brien"), "Aoife Kelly"),
        (("Sam", "Smith"), "Sam Smith Jones"),  # every word of the query must be found
        (("Anna", "Strauss"), "Peter"),
    ],
)
def test_other_names_do_not_match(stored: tuple[str, str], query: str) -> None:
    matches, _ = name_match(name_query(query), name_index_keys(*stored))
    assert not matches


def test_exact_matches_are_told_apart_from_sound_alikes() -> None:
    keys = name_index_keys("Sam", "Smith")
    assert name_match(name_query("Smith Sam"), keys) == (True, True)
    assert name_match(name_query("Smyth Sam"), keys) == (True, False)


def test_the_exact_key_ignores_order_apostrophes_and_accents_only() -> None:
    assert (
        name_exact_key("Søren", "O’Brien") == name_exact_key("OBrien", "Soren") == name_query("obrien soren").exact_key
    )
    assert name_exact_key("Søren", "O Brien") != name_exact_key("Søren", "OBrien")


@pytest.mark.parametrize("query", ["", "  ", "'-'", "a b c d e f g h i"])
def test_a_query_needs_letters_and_few_words(query: str) -> None:
    with pytest.raises(RuleError):
        name_query(query)


names = st.text(alphabet="abcdefghijklmnopqrstuvwxyzÀÉÎØÜßŁñ'’- ", min_size=1, max_size=30).filter(
    lambda text: 0 < len(name_tokens(text)) <= 4
)


@given(names, names)
def test_a_name_always_finds_itself_exactly_in_either_order(given_names: str, family: str) -> None:
    keys = name_index_keys(given_names, family)
    assert name_match(name_query(f"{given_names} {family}"), keys) == (True, True)
    assert name_match(name_query(f"{family} {given_names}"), keys) == (True, True)
    assert name_match(name_query(family), keys)[0]


# --- Entry fields -----------------------------------------------------------------------------------------------


def test_every_category_has_its_fields_and_the_case_note_none() -> None:
    assert set(CATEGORY_FIELDS) == set(Category)
    assert CATEGORY_FIELDS[Category.CASE_NOTE] == ()


def test_a_contact_is_cleaned_to_stored_values() -> None:
    cleaned = entry_fields_cleaned(
        "contact",
        {
            "contact_type": "home_visit",
            "contact_date": "2026-02-27",
            "duration_minutes": 45,
            "people_present": [" Mum "],
        },
        TODAY,
    )
    assert cleaned == {
        "contact_type": "home_visit",
        "contact_date": "2026-02-27",
        "duration_minutes": 45,
        "people_present": ["Mum"],
    }


@pytest.mark.parametrize(
    ("category", "values", "field"),
    [
        ("contact", {"contact_date": "2026-02-27"}, "contact_type"),
        ("contact", {"contact_type": "séance", "contact_date": "2026-02-27"}, "contact_type"),
        ("contact", {"contact_type": "phone", "contact_date": "2026-02-30"}, "contact_date"),
        ("contact", {"contact_type": "phone", "contact_date": "2026-03-02"}, "contact_date"),
        (
            "contact",
            {"contact_type": "phone", "contact_date": "2026-02-27", "duration_minutes": True},
            "duration_minutes",
        ),
        ("family_relationship", {"person_name": "A", "relationship": "Uncle"}, "concern_indicator"),
        (
            "family_relationship",
            {"person_name": "A", "relationship": "Uncle", "concern_indicator": "yes"},
            "concern_indicator",
        ),
        (
            "cp_registration",
            {"registered_on": "2025-01-02", "deregistered_on": "2025-01-01", "category": "neglect"},
            "deregistered_on",
        ),
        ("case_note", {"anything": 1}, "anything"),
        ("cp_registration", {"registered_on": "2025-01-02", "category": "not_a_category"}, "category"),
    ],
)
def test_structured_fields_left_out_or_wrong_are_named(category: str, values: dict[str, object], field: str) -> None:
    with pytest.raises(EntryFieldsError) as refused:
        entry_fields_cleaned(category, values, TODAY)
    assert field in refused.value.errors and not refused.value.entry_errors


@pytest.mark.parametrize(("category", "values", "name"), [("nonsense", {}, "category"), ("case_note", [1], "fields")])
def test_an_entrys_own_inputs_are_named_apart_from_its_structured_fields(category: str, values: Any, name: str) -> None:
    """A wrong category or fields that are not a mapping are the entry's own errors, never a structured field's
    (a registration has a structured field called `category`: break10d finding 10)."""
    with pytest.raises(EntryFieldsError) as refused:
        entry_fields_cleaned(category, values, TODAY)
    assert set(refused.value.entry_errors) == {name} and not refused.value.errors


def test_schedule_one_entries_are_always_restricted() -> None:
    assert entry_is_restricted("schedule_one", False)
    assert entry_is_restricted("case_note", True)
    assert not entry_is_restricted("case_note", False)


@pytest.mark.parametrize(
    ("start", "end", "wrong"),
    [
        (date(2026, 1, 1), None, False),
        (date(2026, 1, 1), date(2026, 1, 1), False),
        (date(2026, 1, 2), date(2026, 1, 1), True),
        (date(2026, 3, 2), None, True),
        (date(2026, 1, 1), date(2026, 3, 2), True),
    ],
)
def test_periods(start: date, end: date | None, wrong: bool) -> None:
    assert bool(period_error(start, end, TODAY)) == wrong


def test_a_query_of_two_words_is_looked_up_by_pairs_only() -> None:
    # Selective: the names holding both words, not every Sam and every Smith.
    keys = name_query("Sam Smith").keys
    assert {"tt:sam|smith", "pp:SM|SM0"} <= set(keys)
    # Every key looked up covers both words: pairs, and the join "samsmith" (as someone may have typed it).
    assert all(mask == 0b11 for mask in keys.values())
    # A join covers two words by itself and is looked up as it is.
    assert name_query("O Brien").keys["t:obrien"] == 0b11
    # An initial is paired with the other words; one word is looked up by its single keys.
    assert {"ti:j|smith", "pi:j|SM0"} <= set(name_query("J Smith").keys)
    assert all(mask == 0b11 for mask in name_query("J Smith").keys.values())
    assert set(name_query("Smith").keys) == {"t:smith", "p:SM0"}
