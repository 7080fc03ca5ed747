"""The sharing app's pure rules: identifiers, ages and scope, name matching, and what each kind of record entry
holds (DESIGN 2.3). Plain values in, plain values out: no ORM, no I/O, so each is tested in microseconds.

Every validator raises `RuleError` (a ValueError with the message a person can act on, and a suggestion when
there is an obvious one); services turn it into a field error.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from itertools import product

import jellyfish
from anyascii import anyascii

from isp_portal.bounds import REASON, has_nul, long_date

# The cell-key perturbation of every count shown (ONS Census 2021; ABS TableBuilder), in its own module too.
from sharing.cell_key import PTABLE_BOUND as PTABLE_BOUND
from sharing.cell_key import perturb_table as perturb_table

# The aggregate tier's small-number suppression (Southampton 12), kept in its own module for its length.
from sharing.suppression import SuppressedTable as SuppressedTable
from sharing.suppression import suppress_table as suppress_table


class RuleError(ValueError):
    """A value a rule refuses: `str(error)` says why; `suggestion` is what the person probably meant, if any."""

    def __init__(self, message: str, *, suggestion: str | None = None) -> None:
        super().__init__(message)
        self.suggestion = suggestion


# --- NHS number ---------------------------------------------------------------------------------------------

NHS_NUMBER_DIGITS = 10
# Only spaces and hyphens separate digits (as the message says): a tab or a line break is pasted from somewhere
# it should not come from, and is refused rather than read.
_NHS_SEPARATORS = re.compile(r"[ \-]+")


def nhs_check_digit(first_nine: str) -> int | None:
    """The check digit of an NHS number whose first nine digits are `first_nine`, or None when there is none.

    NHS Data Dictionary, "NHS Number" (modulus 11): multiply the first nine digits by the weights 10 down to 2,
    add the products, take the remainder on dividing by 11 and subtract it from 11. A result of 11 gives the
    check digit 0; a result of 10 means no check digit exists and the number is never issued.
    (The `nhs-number` package also refuses numbers in the Scottish CHI range whose first six digits are not a
    date, such as 0100000002, which the partnership must accept: so the rule is written out here.)
    """
    if len(first_nine) != NHS_NUMBER_DIGITS - 1 or not first_nine.isascii() or not first_nine.isdigit():
        raise ValueError("nhs_check_digit takes the first nine digits")
    total = sum(int(digit) * weight for digit, weight in zip(first_nine, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        return 0
    return None if check == 10 else check


def nhs_number_normalised(value: str) -> str:
    """The NHS number in `value` as its ten digits ("943 476 5919" -> "9434765919"), or RuleError saying why not.

    NHS numbers are text everywhere: spaces and hyphens between digits are allowed, anything else is refused,
    and a number with nine digits (a leading zero lost in a spreadsheet's number column) is refused rather than
    padded, because a padded guess may be another child's number."""
    if not isinstance(value, str):
        raise RuleError("Enter the NHS number as text, with all 10 digits.")
    digits = _NHS_SEPARATORS.sub("", value.strip())
    if not digits:
        raise RuleError("Enter the NHS number.")
    if not digits.isascii() or not digits.isdigit():
        raise RuleError("An NHS number is 10 digits; it may have spaces or hyphens between them and nothing else.")
    if len(digits) != NHS_NUMBER_DIGITS:
        hint = " If it began with a zero, enter the zero too." if len(digits) == NHS_NUMBER_DIGITS - 1 else ""
        raise RuleError(f"An NHS number has 10 digits; this has {len(digits)}.{hint}")
    if len(set(digits)) == 1:
        # 0000000000 and 1111111111 pass the modulus-11 check, but no number of a repeated digit is ever issued
        # (NHS Digital's NHS number validation: the same digit ten times is invalid; 0000000000 is the
        # placeholder systems write when the number is not known). Storing it would make every such child look
        # like the same child.
        raise RuleError(
            "This is not a real NHS number: one digit repeated is a placeholder. Leave it empty if not known."
        )
    expected = nhs_check_digit(digits[:9])
    if expected is None:
        raise RuleError(
            "This is not a valid NHS number: no check digit is possible after its first nine digits. Check each digit."
        )
    if int(digits[9]) != expected:
        raise RuleError(
            f"This is not a valid NHS number: the check digit should be {expected}, not {digits[9]}. Check each digit."
        )
    return digits


def nhs_number_display(digits: str) -> str:
    """ "9434765919" as people read it: "943 476 5919"."""
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}" if len(digits) == NHS_NUMBER_DIGITS else digits


# --- UK postcodes -------------------------------------------------------------------------------------------
# The format of the UK Government Data Standards Catalogue (Royal Mail's rules on which letters each position
# may hold), plus the valid codes that do not fit it: Girobank's GIR 0AA, British Forces Post Office numbers
# (BFPO 61; the geographic-format BF1 codes fit the ordinary rules) and the overseas territories' single codes.

_OUTWARD = (
    r"[A-PR-UWYZ][0-9]{1,2}"
    r"|[A-PR-UWYZ][A-HK-Y][0-9]{1,2}"
    r"|[A-PR-UWYZ][0-9][A-HJKPSTUW]"
    r"|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY]"
)
_INWARD = r"[0-9][ABD-HJLNP-UW-Z]{2}"
_POSTCODE = re.compile(rf"^(?P<out>{_OUTWARD})(?P<in>{_INWARD})$")
_BFPO = re.compile(r"^BFPO(?P<number>[0-9]{1,4})$")
# Ascension, British Antarctic Territory, British Indian Ocean Territory, Falklands, Pitcairn, South Georgia,
# St Helena, Tristan da Cunha, Turks and Caicos (Gibraltar's GX11 1AA fits the ordinary format).
OVERSEAS_TERRITORY_POSTCODES = frozenset(
    {"ASCN 1ZZ", "BBND 1ZZ", "BIQQ 1ZZ", "FIQQ 1ZZ", "PCRN 1ZZ", "SIQQ 1ZZ", "STHL 1ZZ", "TDCU 1ZZ", "TKCA 1ZZ"}
)
POSTCODE_INPUT_MAX = 16
_LOOKALIKES = {"O": "0", "0": "O", "I": "1", "1": "I"}


def _postcode_of(compact: str) -> str | None:
    """The normalised postcode when `compact` (upper case, no spaces) is one, else None."""
    if compact == "GIR0AA":
        return "GIR 0AA"
    if match := _BFPO.match(compact):
        return f"BFPO {int(match['number'])}" if int(match["number"]) else None
    if len(compact) > 4 and f"{compact[:-3]} {compact[-3:]}" in OVERSEAS_TERRITORY_POSTCODES:
        return f"{compact[:-3]} {compact[-3:]}"
    if match := _POSTCODE.match(compact):
        return f"{match['out']} {match['in']}"
    return None


def postcode_normalised(value: str) -> str:
    """A UK postcode in upper case with one space before the inward code ("sw1a1aa" -> "SW1A 1AA"), or
    RuleError; when swapping the letter O and zero, or I and one, would make it valid, the error suggests it
    ("EC1V OBW": did you mean EC1V 0BW?)."""
    if not isinstance(value, str) or len(value) > POSTCODE_INPUT_MAX or has_nul(value):
        raise RuleError("Enter a real postcode, like SW1A 1AA.")
    compact = re.sub(r"\s+", "", value).upper()
    if not compact:
        raise RuleError("Enter the postcode.")
    if not compact.isascii() or not compact.isalnum():
        raise RuleError("A postcode has only letters and numbers, like SW1A 1AA.")
    found = _postcode_of(compact)
    if found is not None:
        return found
    suggestion = _lookalike_postcode(compact)
    if suggestion:
        raise RuleError(f"Enter a real postcode: did you mean {suggestion}?", suggestion=suggestion)
    raise RuleError("Enter a real postcode, like SW1A 1AA.")


def _lookalike_postcode(compact: str) -> str | None:
    """The valid postcode reached by changing the fewest O/0 and I/1 look-alikes, if exactly one is closest."""
    positions = [index for index, char in enumerate(compact) if char in _LOOKALIKES]
    best: tuple[int, set[str]] | None = None
    for swaps in product((False, True), repeat=len(positions)):
        changed = sum(swaps)
        if not changed:
            continue
        chars = list(compact)
        for index, swap in zip(positions, swaps, strict=True):
            if swap:
                chars[index] = _LOOKALIKES[chars[index]]
        found = _postcode_of("".join(chars))
        if found is None:
            continue
        if best is None or changed < best[0]:
            best = (changed, {found})
        elif changed == best[0]:
            best[1].add(found)
    if best is None or len(best[1]) != 1:
        return None
    return next(iter(best[1]))


# --- Ages and the protocol's scope ----------------------------------------------------------------------------


def age_on(born: date, on: date) -> int:
    """Completed years of age on the day `on` of someone born on `born`.

    A birthday counts from the start of its anniversary; someone born on 29 February has no anniversary in a
    common year and so turns a year older on 1 March (born 2008-02-29: 17 on 2026-02-28, 18 on 2026-03-01).
    Negative before birth."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def age_reference_day(on: date) -> date:
    """The day the aggregate tier counts ages on for tables of the day `on`: the most recent 31 August before
    `on`, the school-year age children's services count by. On 31 August itself, the 31 August a year before: the
    school year still running is counted by it, and the tables of that day are not of next year's ages (break11h
    finding 10); the new reference day counts from 1 September.

    Not the day itself: ages counted on each day's own date move a child into the next band on their birthday,
    so two days' tables a reader compares (a band's cell going from 0 to hidden between 14 and 15 December, with
    nothing recorded) date that birthday in an area: a date of birth deduced from "anonymised" counts
    (Southampton 12: "a person's identity cannot be deduced from the data shared"; break11e finding 4). On a
    fixed day a year, the bands change for every child at once, on 1 September, and never date anyone's birthday."""
    this_year = date(on.year, 8, 31)
    return this_year if on > this_year else date(on.year - 1, 8, 31)


class AgeCondition(StrEnum):
    """What extends a protocol's age scope (Haringey 2.1; Southampton 5: care leavers and young people with
    significant learning difficulties or disabilities to 25). The values are protocols.models.AgeCondition's."""

    ADDITIONAL_NEEDS = "additional_needs"
    CARE_LEAVER = "care_leaver"


_CONDITIONS = frozenset(condition.value for condition in AgeCondition)
_CONDITION_WORDS = {AgeCondition.ADDITIONAL_NEEDS: "has additional needs", AgeCondition.CARE_LEAVER: "is a care leaver"}


@dataclass(frozen=True)
class AgeScope:
    """A protocol version's scope: ages `age_min` to `age_max` inclusive, or to `extended_age_max` for a child
    meeting one of `extended_conditions`."""

    age_min: int
    age_max: int
    extended_age_max: int | None = None
    extended_conditions: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ScopeRefusal:
    """Why a child is outside a protocol's scope: the bound that refused (`age_min`, `age_max` or
    `extended_age_max`), the child's age and the date it was worked out for, and the sentence to show."""

    rule: str
    age: int
    on: date
    message: str


def age_scope_refusal(
    scope: AgeScope, born: date, on: date, *, additional_needs: bool, care_leaver: bool
) -> ScopeRefusal | None:
    """None when a child born on `born` is within `scope` on the day `on`; else the refusal naming the bound.

    The ranges are inclusive ("0-18" covers an 18-year-old until their 19th birthday; Southampton 5 continues
    "and young people aged 19-25"). A child meets the extension when it has one of the conditions the version
    lists: additional needs, or having left care."""
    age = age_on(born, on)
    if age < scope.age_min:
        return ScopeRefusal(
            "age_min",
            age,
            on,
            f"This protocol covers children from age {scope.age_min}; this child is {_years(age)} on {long_date(on)}.",
        )
    if age <= scope.age_max:
        return None
    met = {AgeCondition.ADDITIONAL_NEEDS} if additional_needs else set()
    if care_leaver:
        met.add(AgeCondition.CARE_LEAVER)
    conditions = [AgeCondition(value) for value in sorted(scope.extended_conditions) if value in _CONDITIONS]
    if scope.extended_age_max is None or not conditions:
        return ScopeRefusal(
            "age_max",
            age,
            on,
            f"This protocol covers young people up to age {scope.age_max}; this young person is {age} "
            f"on {long_date(on)}.",
        )
    words = " or ".join(_CONDITION_WORDS[condition] for condition in conditions)
    if not met & set(conditions):
        return ScopeRefusal(
            "age_max",
            age,
            on,
            f"This protocol covers young people up to age {scope.age_max}, and to {scope.extended_age_max} for one "
            f"who {words}; this young person is {age} on {long_date(on)} and is not recorded as one.",
        )
    if age > scope.extended_age_max:
        return ScopeRefusal(
            "extended_age_max",
            age,
            on,
            f"This protocol covers a young person who {words} up to age {scope.extended_age_max}; this young "
            f"person is {age} on {long_date(on)}.",
        )
    return None


def _years(age: int) -> str:
    return "not born yet" if age < 0 else f"{age}"


def birth_date_example(today: date) -> str:
    """The example a date-of-birth field gives, as its boxes are typed ("27 3 2019"): always a past date (seven
    years ago, so a child of school age), never a fixed year that will one day be in the future."""
    return f"27 3 {today.year - 7}"


def before_birth_error(day: date, born: date, what: str) -> str | None:
    """Why `day` (the start of an involvement, of an address: `what`, as "The start date") cannot be right for a
    child born on `born`: nothing about a child begins before it is born. None when it is on or after."""
    if day < born:
        return f"{what} must be on or after the child's date of birth, {long_date(born)}."
    return None


def birth_date_error(born: date, today: date) -> str | None:
    """Why a date of birth cannot be right (in the future), or None."""
    if born > today:
        return "The date of birth must be today or in the past."
    return None


# --- Names: the keys a search is made of ----------------------------------------------------------------------
# The embedded PostgreSQL has no pg_trgm or fuzzystrmatch, and production must behave the same (STACK-NOTES),
# so fuzzy matching rests on keys the portal computes itself and keeps in a btree-indexed table.
#
# A name (given names, family name) is cut into *units*: its words, and the joins of neighbouring words within
# the given names or within the family name (so "O Brien" and "OBrien", "Smith Jones" and "SmithJones" meet).
# Each unit has an exact key and a phonetic one (Metaphone: "Smyth" finds "Smith"); each word its initial; and
# every two units that share no word have a *pair* key, exact and phonetic, in alphabetical order (so the order
# of the words never matters). A query is cut the same way, each key marked with the query words it covers; a
# name matches when its keys cover every word of the query.
#
# A query of two or more words is looked up by its pair keys (and the keys of its joins, which already cover two
# words): "Sam Smith" reads the few names holding both, not every Sam and every Smith, so one search is a few
# selective index lookups whatever the size of the index. An initial is paired with the other units too ("J Smith"
# finds John Smith through the key of J and Smith). A one-word query is looked up by its single keys.

NAME_TOKEN_MAX = 40  # longer "words" are cut: no name has one
UNIT_MAX = NAME_TOKEN_MAX * 2  # a join of two words
NAME_KEY_MAX = UNIT_MAX * 2 + 4  # a prefix and two units
QUERY_WORDS_MAX = 8
EXACT_KEY_MAX = 400
PAIR_SEPARATOR = "|"


class KeyKind(StrEnum):
    EXACT = "t"  # a unit as written (transliterated, lower case)
    PHONETIC = "p"  # its Metaphone code
    INITIAL = "i"  # a word's first letter
    EXACT_PAIR = "tt"  # two units
    PHONETIC_PAIR = "pp"  # their Metaphone codes
    INITIAL_PAIR = "ti"  # a given name's initial and a unit of the family name ("J Smith")
    PHONETIC_INITIAL_PAIR = "pi"  # the initial and the unit's Metaphone code ("J Smyth")


EXACT_KINDS = frozenset({KeyKind.EXACT, KeyKind.EXACT_PAIR})


def name_tokens(text: str) -> list[str]:
    """The words of a name, transliterated to lower-case ASCII: "O'Brien" (either apostrophe) -> ["obrien"],
    "Smith-Jones" -> ["smith", "jones"], "Łukasz" -> ["lukasz"], "Strauß" -> ["strauss"], "Søren" -> ["soren"].

    Apostrophes (straight or curly) join the letters around them, as people drop them; hyphens, dots and every
    other mark separate words. Transliteration (anyascii) writes ß as ss and Ł as L, which stripping accents
    does not."""
    ascii_text = anyascii(text).lower()
    ascii_text = re.sub(r"['`]", "", ascii_text)
    return [token[:NAME_TOKEN_MAX] for token in re.findall(r"[a-z0-9]+", ascii_text)]


def _phonetic(unit: str) -> str:
    """The Metaphone code of a unit of two letters or more ("" for a single letter or no code)."""
    return jellyfish.metaphone(unit).upper()[:UNIT_MAX] if len(unit) > 1 else ""


@dataclass(frozen=True)
class _Unit:
    text: str
    words: int  # bit mask of the words it covers


def _units(parts: list[list[str]]) -> list[_Unit]:
    """The words of each part with the joins of neighbouring words in the same part (and a part's whole join
    when it has more than two words); masks count words across the parts in order."""
    units: list[_Unit] = []
    offset = 0
    for tokens in parts:
        for index, token in enumerate(tokens):
            units.append(_Unit(token, 1 << (offset + index)))
        for index in range(len(tokens) - 1):
            units.append(_Unit(tokens[index] + tokens[index + 1], 0b11 << (offset + index)))
        if len(tokens) > 2:
            units.append(_Unit("".join(tokens)[:UNIT_MAX], ((1 << len(tokens)) - 1) << offset))
        offset += len(tokens)
    return units


def _unit_keys(unit: _Unit) -> dict[str, int]:
    keys = {f"{KeyKind.EXACT}:{unit.text[:UNIT_MAX]}": unit.words}
    if code := _phonetic(unit.text):
        keys[f"{KeyKind.PHONETIC}:{code}"] = unit.words
    return keys


def _pair_keys(first: _Unit, second: _Unit) -> dict[str, int]:
    """The exact and phonetic pair keys of two units sharing no word, in alphabetical order."""
    words = first.words | second.words
    texts = sorted((first.text[:UNIT_MAX], second.text[:UNIT_MAX]))
    keys = {f"{KeyKind.EXACT_PAIR}:{PAIR_SEPARATOR.join(texts)}": words}
    codes = sorted((_phonetic(first.text), _phonetic(second.text)))
    if all(codes):
        keys[f"{KeyKind.PHONETIC_PAIR}:{PAIR_SEPARATOR.join(codes)}"] = words
    return keys


def _pairs(units: list[_Unit]) -> dict[str, int]:
    keys: dict[str, int] = {}
    for index, first in enumerate(units):
        for second in units[index + 1 :]:
            if not first.words & second.words:
                for key, mask in _pair_keys(first, second).items():
                    keys[key] = keys.get(key, 0) | mask
    return keys


def _initial_pair_keys(letter: str, unit: _Unit, words: int) -> dict[str, int]:
    keys = {f"{KeyKind.INITIAL_PAIR}:{letter}{PAIR_SEPARATOR}{unit.text[:UNIT_MAX]}": words}
    if code := _phonetic(unit.text):
        keys[f"{KeyKind.PHONETIC_INITIAL_PAIR}:{letter}{PAIR_SEPARATOR}{code}"] = words
    return keys


def name_index_keys(given: str, family: str) -> frozenset[str]:
    """Every key under which a name (given names, family name) is found: its units' exact and phonetic keys, its
    words' initials, the pair keys of every two units that share no word, and each given name's initial with
    each unit of the family name. Joins stay within the given names or within the family name: "Mary O Brien"
    is found as "Mary OBrien" but "Mary O" is not a join."""
    parts = [name_tokens(given), name_tokens(family)]
    units = _units(parts)
    keys: set[str] = set(_pairs(units))
    for unit in units:
        keys |= set(_unit_keys(unit))
    keys |= {f"{KeyKind.INITIAL}:{token[0]}" for part in parts for token in part}
    for unit in _units([[], parts[1]]):
        for token in parts[0]:
            keys |= set(_initial_pair_keys(token[0], unit, 0))
    return frozenset(key[:NAME_KEY_MAX] for key in keys)


def alias_index_keys(given: str, family: str, legal_family: str) -> frozenset[str]:
    """The keys of a child's previous name or a name it is known by: its own (`name_index_keys`), and those of
    its given names with the child's legal family name, when that differs from the alias's own.

    People give the name a child goes by with the family name they know: a child known as "Effie" whose legal
    name is "Euphemia O'Brien" is searched as "Effie O'Brien" (issue 10, finding 13). Only fuzzy keys gain the
    combination: a shielded child is still found only by one of its recorded names exactly (name_exact_key),
    as the ContactPoint shield requires."""
    keys = name_index_keys(given, family)
    if name_tokens(given) and name_tokens(legal_family) and name_tokens(family) != name_tokens(legal_family):
        keys |= name_index_keys(given, legal_family)
    return keys


def name_exact_key(given: str, family: str) -> str:
    """A name's words in alphabetical order: equal for the same words in any order, with any apostrophes or
    accents ("Søren O'Brien" and "OBrien Soren"), and different for anything else. Shielded children are found
    only by an exact name (with the date of birth), so this is deliberately strict: "O Brien" is not "OBrien"."""
    return " ".join(sorted(name_tokens(given) + name_tokens(family)))[:EXACT_KEY_MAX]


def alias_repeat_error(kind: str, exact_key: str, names: Iterable[tuple[str, str]]) -> str | None:
    """Why a previous or known-as name with `exact_key` (name_exact_key) adds nothing to a child whose names are
    `names` (kind, exact key): the child already has it as a name of that kind, or it is the child's legal name
    (a name is not a previous name of itself). None when it is a new name. Compared by the exact key, so
    capitals, accents, apostrophes and spacing do not make a second name ("maisy" is "Maisy")."""
    for other_kind, other_key in names:
        if other_key != exact_key:
            continue
        if other_kind == "legal":
            return "This is the child's legal name: a previous name or a name the child is known by is another name."
        if other_kind == kind:
            return "The child already has this name: it is recorded once."
    return None


@dataclass(frozen=True)
class NameQuery:
    """A name typed into the search, as the keys to look up: each with the bit mask of the query words it
    covers. A name matches when the OR of the masks of its matching keys is `full_mask`; it matches exactly
    (every word as written) when its exact keys alone cover it."""

    keys: Mapping[str, int]
    full_mask: int
    exact_key: str
    # "Zara Q": a name followed by an initial may be a given name with the family name's initial (issue 10). Such
    # a name is found when one of its `ti` keys begins with one of `family_initials` (a given name's initial,
    # then a family name unit beginning with the letter: prefixes of the existing btree index, no new key) and it
    # has one of `given_keys` (the given name's own keys, as written and by sound). The given name's initial is
    # each first letter a spelling that sounds alike may have ("Sara Q" finds Zara Quinn, as "Sara Quinn" does:
    # break10f finding 1). Empty when the query is not a name and an initial.
    family_initials: tuple[str, ...] = ()
    given_keys: frozenset[str] = frozenset()

    @property
    def words(self) -> int:
        return self.full_mask.bit_length()


# What a search must give to find a child rather than list the index (issue 10: 25 one-letter searches listed
# 245 of 247 children). A word of fewer than NAME_SOUNDS_ALIKE_MIN letters is matched only as written: the
# Metaphone code of "Jo" or "Al" is shared by many names, so a short word read as a sound is close to a prefix.
# A single letter is an initial, which finds nothing by itself. A name searched alone (no date of birth, NHS
# number or postcode) needs a whole name of at least NAME_ALONE_MIN letters: a family name, or a given name with
# an initial or another name ("Smith", "Li", "J Smith", "Sam Smith"; not "a" or "J S").
NAME_SOUNDS_ALIKE_MIN = 3
NAME_ALONE_MIN = 2
PHONETIC_KINDS = frozenset({KeyKind.PHONETIC, KeyKind.PHONETIC_PAIR, KeyKind.PHONETIC_INITIAL_PAIR})
SEARCH_CRITERIA_HINT = (
    "Search by a name with the date of birth, the NHS number or the postcode; a name alone must include a whole "
    f"name of at least {NAME_ALONE_MIN} letters (a family name, or two names). A single letter is an initial: "
    "it finds nothing by itself, nor with a date of birth. A date of birth needs a name, the NHS number or the "
    "postcode with it."
)
# A date of birth is shared by about 1 in 6,500 children (365 days over 18 years): at 1,000,000 children one
# date alone lists some 150 of them, a fishing search rather than finding a child (ContactPoint searched on
# specific identifiers). A postcode alone stays a search: it is a household check, and a shielded child never
# matches it (only its exact NHS number, or exact legal name with date of birth, finds one).
BIRTH_DATE_ALONE = (
    "A date of birth alone would list many children: add the child's name, NHS number or postcode to the date."
)
# An initial adds nothing to a date of birth: the 26 letters list every child born that day (about 150 in
# 1,000,000), the fishing search BIRTH_DATE_ALONE refuses. The shortest real names have two letters (Al, Jo, Li,
# Ng, Wu), so a name given with the date needs one word of NAME_ALONE_MIN letters, as a name alone does.
INITIAL_WITH_BIRTH_DATE = (
    f"Enter at least {NAME_ALONE_MIN} letters of a name: an initial with a date of birth would list many children."
)


def _as_written_if_short(keys: dict[str, int], *units: _Unit) -> dict[str, int]:
    """`keys` without their sounds-alike ones when a unit has fewer than NAME_SOUNDS_ALIKE_MIN letters."""
    if all(len(unit.text) >= NAME_SOUNDS_ALIKE_MIN for unit in units):
        return keys
    return {key: mask for key, mask in keys.items() if key.split(":", 1)[0] not in PHONETIC_KINDS}


def search_criteria_refusal(
    query: NameQuery | None, *, born_on: bool, nhs_number: bool, postcode: bool
) -> tuple[str, str] | None:
    """Why a search's criteria would list the index rather than find a child, as (field, message); None when
    they are enough. No criterion at all; a date of birth with no name, NHS number or postcode
    (BIRTH_DATE_ALONE, on `born_on`); or a name with no whole name of NAME_ALONE_MIN letters or more (initials
    only; the name's words are the query's exact key's), alone (SEARCH_CRITERIA_HINT) or with only a date of
    birth (INITIAL_WITH_BIRTH_DATE), both on `name`: the NHS number or the postcode is specific enough."""
    if query is None and not (born_on or nhs_number or postcode):
        return "name", "Search by name, date of birth, NHS number or postcode."
    if born_on and query is None and not (nhs_number or postcode):
        return "born_on", BIRTH_DATE_ALONE
    initials_only = query is not None and max(len(word) for word in query.exact_key.split()) < NAME_ALONE_MIN
    if initials_only and not (nhs_number or postcode):
        return "name", INITIAL_WITH_BIRTH_DATE if born_on else SEARCH_CRITERIA_HINT
    return None


def name_query(text: str) -> NameQuery:
    """The keys to look a searched name up by (pairs for two words or more; single keys for one word), or
    RuleError when it has no letters or too many words."""
    tokens = name_tokens(text)
    if not tokens:
        raise RuleError("Enter a name with at least one letter.")
    if len(tokens) > QUERY_WORDS_MAX:
        raise RuleError(f"Enter at most {QUERY_WORDS_MAX} names.")
    units = [unit for unit in _units([tokens]) if unit.text]
    keys: dict[str, int] = {}

    def add(found: dict[str, int]) -> None:
        for key, mask in found.items():
            keys[key[:NAME_KEY_MAX]] = keys.get(key[:NAME_KEY_MAX], 0) | mask

    if len(tokens) == 1:
        for unit in units:
            add(_as_written_if_short(_unit_keys(unit), unit))
        if len(tokens[0]) == 1:
            add({f"{KeyKind.INITIAL}:{tokens[0]}": 1})
    else:
        for index, first in enumerate(units):
            for second in units[index + 1 :]:
                if not first.words & second.words:
                    add(_as_written_if_short(_pair_keys(first, second), first, second))
        for unit in units:
            if unit.words & (unit.words - 1):  # a join: it covers two words or more by itself
                add(_as_written_if_short(_unit_keys(unit), unit))
        for index, token in enumerate(tokens):
            if len(token) == 1:
                # An initial: "J Smith" finds John Smith ("O Brien" is also read as O'Brien, through the join).
                for unit in units:
                    if not unit.words & (1 << index) and len(unit.text) > 1:
                        add(_as_written_if_short(_initial_pair_keys(token, unit, unit.words | 1 << index), unit))
    family_initials, given_keys = _family_initial_reading(tokens)
    return NameQuery(
        keys=keys,
        full_mask=(1 << len(tokens)) - 1,
        exact_key=" ".join(sorted(tokens)),
        family_initials=family_initials,
        given_keys=given_keys,
    )


# Spellings that begin a name with two letters for one sound (Philip/Filip, Christopher/Kristopher, Wren/Ren),
# among them every initial pair Metaphone itself rewrites (it drops the first letter of an initial "ae", "gn", "kn",
# "pn" and "wr", and reads "wh" as "w"; an initial "x" as "s" is a single letter): the full name is read by
# Metaphone, so its initial must be read the same way (break10g finding 2: "Eron Q" finds Aeron Quinn as "Eron
# Quinn" does; tests/sharing/test_fix10h.py checks the list against Metaphone).
_INITIAL_DIGRAPHS = ("ae", "ch", "gh", "gn", "kh", "kn", "ph", "pn", "ps", "rh", "sh", "th", "wh", "wr")


def sounds_alike_initials(given: str) -> tuple[str, ...]:
    """The first letters a given name spelt to sound alike may have: its own, and each letter (or two-letter
    spelling, _INITIAL_DIGRAPHS) that, put in place of its first letter or two, leaves its Metaphone code as it
    is ("sara": s, x, z; "philip": f, p). Its own letter alone under NAME_SOUNDS_ALIKE_MIN letters (matched only
    as written) or when it has no code. At most 26, in alphabetical order."""
    letters = {given[0]}
    code = _phonetic(given)
    if len(given) < NAME_SOUNDS_ALIKE_MIN or not code:
        return tuple(letters)
    starts = [chr(letter) for letter in range(ord("a"), ord("z") + 1)] + list(_INITIAL_DIGRAPHS)
    for start in starts:
        for rest in (given[1:], given[2:]):
            if start[0] not in letters and rest and _phonetic(start + rest) == code:
                letters.add(start[0])
    return tuple(sorted(letters))


def _family_initial_reading(tokens: list[str]) -> tuple[tuple[str, ...], frozenset[str]]:
    """For a name typed as a given name then an initial ("Zara Q", issue 10), the prefixes of the `ti` keys of a
    name whose given name begins like it, or like a spelling that sounds alike (sounds_alike_initials: "Sara Q"
    finds Zara Quinn, break10f finding 1), and whose family name begins with the initial, and the given name's
    keys (as written, and by sound from NAME_SOUNDS_ALIKE_MIN letters).

    The given name may have several words, hyphenated or not ("Mary-Ann Q", "Mary Ann Q", "Zara Mary Q": break10g
    finding 1): its keys are then those of the words' join, which a name keeps for its given names as it does for
    "Maryann" (name_index_keys), so "Mary Ann Q" finds Mary-Ann and Maryann Quinn alike; still at most two keys
    and 26 prefixes, whatever the words. Every given word has NAME_ALONE_MIN letters or more: an initial among
    them ("J Smith", "Mary J Q") is a given name's initial, which the `ti` keys find in full, and initials alone
    are not a name. An initial never finds a shielded child: that needs its exact name (shielded_child_found)."""
    given_words, initial = tokens[:-1], tokens[-1]
    if not given_words or len(initial) != 1 or any(len(word) < NAME_ALONE_MIN for word in given_words):
        return (), frozenset()
    given = _Unit("".join(given_words)[:UNIT_MAX], (1 << len(given_words)) - 1)
    prefixes = tuple(
        f"{KeyKind.INITIAL_PAIR}:{letter}{PAIR_SEPARATOR}{initial}" for letter in sounds_alike_initials(given.text)
    )
    return prefixes, frozenset(key[:NAME_KEY_MAX] for key in _as_written_if_short(_unit_keys(given), given))


def merged_refusal(merged_into_id: int) -> str:
    """Why nothing is recorded against an entry merged into another (the policy's refusal, and a write's that
    found the entry merged while it waited: sharing.services.children.refuse_merged)."""
    return f"This entry was merged into child {merged_into_id}: record against that one."


def is_exact_key(key: str) -> bool:
    return key.split(":", 1)[0] in EXACT_KINDS


def shielded_child_found(*, nhs_number: bool, exact_name_with_born_on: bool, postcode: bool) -> bool:
    """Whether a search finds a shielded child (the ContactPoint shield, DESIGN 2.3): only by its exact NHS number,
    or its exact current legal name with its date of birth; and never by a search that gives a postcode, whatever
    else it gives. The shield withholds the address: were a postcode applied to a shielded child found on exact
    terms, each postcode tried would answer yes or no to "does the child live (or did it live) here?". Not
    applying it instead (finding the child whatever the postcode) would answer with results that do not meet the
    criteria; never finding it with one tells nothing either way, the same for every postcode, right or wrong."""
    return not postcode and (nhs_number or exact_name_with_born_on)


# --- Record entries: categories and their structured fields (DESIGN 2.3; Haringey 3.9; WYCPS) ---------------


class Category(StrEnum):
    CONTACT = "contact"
    SEN_STATEMENT = "sen_statement"
    SUPPORT = "support"
    HEALTH = "health"
    LEGAL_STATUS = "legal_status"
    CASE_NOTE = "case_note"
    CONCERN = "concern"
    FAMILY_RELATIONSHIP = "family_relationship"
    CP_REGISTRATION = "cp_registration"
    CP_MEETING = "cp_meeting"
    LOOKED_AFTER_HISTORY = "looked_after_history"
    SCHEDULE_ONE = "schedule_one"


CATEGORY_LABELS: dict[Category, str] = {
    Category.CONTACT: "Contact",
    Category.SEN_STATEMENT: "Special educational needs statement",
    Category.SUPPORT: "Level of support and social circumstances",
    Category.HEALTH: "Health information",
    Category.LEGAL_STATUS: "Legal status",
    Category.CASE_NOTE: "Case note",
    Category.CONCERN: "Reason for concern",
    Category.FAMILY_RELATIONSHIP: "Family relationship",
    Category.CP_REGISTRATION: "Child protection registration",
    Category.CP_MEETING: "Child protection meeting",
    Category.LOOKED_AFTER_HISTORY: "Looked-after history indicator",
    Category.SCHEDULE_ONE: "Schedule One offender indicator",
}

# WYCPS: "Only authorised Social Services personnel may access this information" (the Schedule One offender
# indicator). Entries of these categories are always restricted, whatever the author marks.
ALWAYS_RESTRICTED = frozenset({Category.SCHEDULE_ONE})


class FieldKind(StrEnum):
    TEXT = "text"
    DATE = "date"
    MINUTES = "minutes"
    FLAG = "flag"
    CHOICE = "choice"
    NAMES = "names"


@dataclass(frozen=True)
class EntryField:
    """One structured field of an entry category."""

    name: str
    label: str
    kind: FieldKind
    required: bool = True
    choices: tuple[str, ...] = ()
    max_length: int = 200


FIELD_NAMES_MAX = 20  # people present at a contact
MINUTES_MAX = 24 * 60

# Haringey 3.9: type, date and duration of contact and the people in contact; WYCPS: registration and its
# history, meetings, indicators that say only that a history exists.
CATEGORY_FIELDS: dict[Category, tuple[EntryField, ...]] = {
    Category.CONTACT: (
        EntryField(
            "contact_type",
            "Type of contact",
            FieldKind.CHOICE,
            choices=("face_to_face", "home_visit", "phone", "video", "letter_or_email", "other"),
        ),
        EntryField("contact_date", "Date of contact", FieldKind.DATE),
        EntryField("duration_minutes", "Duration in minutes", FieldKind.MINUTES, required=False),
        EntryField("people_present", "People in contact", FieldKind.NAMES, required=False),
    ),
    Category.SEN_STATEMENT: (
        EntryField("provision", "Provision", FieldKind.CHOICE, choices=("sen_support", "statement", "ehc_plan")),
        EntryField("issued_on", "Issued on", FieldKind.DATE, required=False),
    ),
    Category.SUPPORT: (
        EntryField(
            "level", "Level of support", FieldKind.CHOICE, choices=("universal", "targeted", "specialist", "statutory")
        ),
    ),
    Category.HEALTH: (EntryField("topic", "Topic", FieldKind.TEXT),),
    Category.LEGAL_STATUS: (
        EntryField(
            "status",
            "Legal status",
            FieldKind.CHOICE,
            choices=("looked_after", "child_in_need", "child_protection_plan", "offending", "remanded", "none"),
        ),
        EntryField("since", "Since", FieldKind.DATE, required=False),
    ),
    Category.CASE_NOTE: (),
    Category.CONCERN: (
        EntryField(
            "concern",
            "Concern",
            FieldKind.CHOICE,
            choices=("neglect", "physical_abuse", "emotional_abuse", "sexual_abuse", "exploitation", "other"),
        ),
    ),
    Category.FAMILY_RELATIONSHIP: (
        EntryField("person_name", "Name of the person", FieldKind.TEXT),
        EntryField("relationship", "Relationship to the child", FieldKind.TEXT, max_length=100),
        EntryField("concern_indicator", "There is a concern about this relationship", FieldKind.FLAG),
    ),
    Category.CP_REGISTRATION: (
        EntryField("registered_on", "Registered on", FieldKind.DATE),
        EntryField("deregistered_on", "Deregistered on", FieldKind.DATE, required=False),
        EntryField(
            "category",
            "Category of registration",
            FieldKind.CHOICE,
            choices=("neglect", "physical_abuse", "emotional_abuse", "sexual_abuse", "multiple"),
        ),
    ),
    Category.CP_MEETING: (
        EntryField(
            "meeting_type",
            "Type of meeting",
            FieldKind.CHOICE,
            choices=("strategy", "initial_conference", "review_conference", "core_group"),
        ),
        EntryField("held_on", "Held on", FieldKind.DATE),
    ),
    Category.LOOKED_AFTER_HISTORY: (EntryField("has_history", "Has been looked after", FieldKind.FLAG),),
    Category.SCHEDULE_ONE: (EntryField("indicated", "A Schedule One offender is linked to the child", FieldKind.FLAG),),
}


def entry_fields_cleaned(
    category: str, values: Mapping[str, object], today: date, *, born_on: date | None = None
) -> dict[str, object]:
    """The structured fields of an entry of `category`, checked and in the form they are stored (dates as ISO
    text), or EntryFieldsError with a message per field (unknown fields named too). With the child's date of
    birth `born_on`, a date before it is refused (entry_date_before_birth_error). A wrong category or fields that
    are not a mapping are the entry's own errors (EntryFieldsError.entry_errors), never a structured field's: a
    category's structured field may itself be called `category` (a registration's)."""
    try:
        fields = CATEGORY_FIELDS[Category(category)]
    except ValueError:
        raise EntryFieldsError({}, entry_errors={"category": "Choose a category."}) from None
    if not isinstance(values, Mapping):
        raise EntryFieldsError({}, entry_errors={"fields": "Give the fields as a mapping of name to value."})
    errors: dict[str, str] = {}
    known = {field.name for field in fields}
    for name in values:
        if name not in known:
            errors[str(name)[:60]] = f"{CATEGORY_LABELS[Category(category)]} entries have no field “{str(name)[:60]}”."
    cleaned: dict[str, object] = {}
    for field in fields:
        raw = values.get(field.name)
        if raw is None or raw == "" or raw == []:
            if field.required:
                errors[field.name] = (
                    f"Say yes or no: {field.label.lower()}."
                    if field.kind == FieldKind.FLAG
                    else f"Enter {field.label.lower()}."
                )
            continue
        try:
            cleaned[field.name] = _field_value(field, raw, today)
        except RuleError as error:
            errors[field.name] = str(error)
            continue
        if field.kind == FieldKind.DATE and born_on is not None:
            day = date.fromisoformat(str(cleaned[field.name]))
            if problem := entry_date_before_birth_error(category, field.label, day, born_on):
                errors[field.name] = problem
    if (
        category == Category.CP_REGISTRATION
        and not errors
        and str(cleaned.get("deregistered_on", "9999")) < str(cleaned["registered_on"])
    ):
        errors["deregistered_on"] = "Deregistration must be on or after the registration."
    if errors:
        raise EntryFieldsError(errors)
    return cleaned


# Work that really begins before a child is born: a pre-birth child protection conference (Working Together to
# Safeguard Children: an initial conference may be held for an unborn child) and the registration it decides
# (an unborn child may be registered, the plan starting before the birth). Reasons for concern, case notes and
# family relationships may be recorded before birth too, but they carry no date of their own (they are dated
# when recorded), so only these two categories' dates may precede the birth. A contact, an SEN provision, a
# legal status or a looked-after history is about the child itself, which has none of them before it is born.
# The window is a pregnancy's length (PRE_BIRTH_WINDOW): an earlier date is a mistyped year, not pre-birth work.
PRE_BIRTH_CATEGORIES = frozenset({Category.CP_MEETING, Category.CP_REGISTRATION})
PRE_BIRTH_WINDOW = timedelta(weeks=40)


def entry_date_before_birth_error(category: str, label: str, day: date, born: date) -> str | None:
    """Why a date in an entry (`label`, as "Date of contact") cannot be right for a child born on `born`: nothing
    about a child happens before its birth, except the pre-birth child protection work of PRE_BIRTH_CATEGORIES
    within PRE_BIRTH_WINDOW of it. None when the date may stand."""
    if day >= born:
        return None
    if category in PRE_BIRTH_CATEGORIES:
        earliest = born - PRE_BIRTH_WINDOW
        if day >= earliest:
            return None
        return (
            f"{label} must be on or after {long_date(earliest)}: pre-birth child protection work begins at most "
            f"40 weeks before the child's date of birth, {long_date(born)}."
        )
    return f"{label} must be on or after the child's date of birth, {long_date(born)}."


def entries_dated_before_birth(born: date, entries: Iterable[tuple[int, str, Mapping[str, object]]]) -> dict[int, date]:
    """The entries (id, category, the latest revision's fields) that a child born on `born` would have dated
    before its birth, by entry_date_before_birth_error (so pre-birth child protection work within its window may
    stand), each with its earliest such date. The same rule a recorded or corrected entry meets, applied when the
    date of birth changes (break10d finding 8)."""
    before: dict[int, date] = {}
    for entry_id, category, fields in entries:
        try:
            specs = CATEGORY_FIELDS[Category(category)]
        except ValueError:
            continue
        for spec in specs:
            raw = fields.get(spec.name) if isinstance(fields, Mapping) else None
            if spec.kind != FieldKind.DATE or not isinstance(raw, str):
                continue
            try:
                day = date.fromisoformat(raw)
            except ValueError:
                continue
            if entry_date_before_birth_error(category, spec.label, day, born) is not None:
                before[entry_id] = min(day, before.get(entry_id, day))
    return before


def born_on_change_error(born: date, *, shown: Iterable[date], hidden: int, begun: Iterable[date]) -> str | None:
    """Why a child's date of birth cannot be changed to `born`: what is recorded about the child would then be
    dated before its birth (entry_date_before_birth_error, before_birth_error). `shown`: the earliest such date of
    each entry the person changing it may know of (entries_dated_before_birth), named by their count and the
    earliest; `hidden`: how many others (restricted entries they may not know of: not counted nor dated, so the
    refusal does not tell of them); `begun`: the start dates of involvements and addresses (nothing about a child
    begins before its birth). None when nothing would precede the birth."""
    shown, begun = sorted(shown), sorted(day for day in begun if day < born)
    problems: list[str] = []
    if shown:
        count = len(shown)
        which = "1 entry" if count == 1 else f"{count} entries"
        problems.append(
            f"{which} recorded about the child would then be dated before its birth (the earliest "
            f"on {long_date(shown[0])})"
        )
    elif hidden:
        problems.append("information recorded about the child would then be dated before its birth")
    if begun:
        problems.append(
            f"an involvement or address would then begin before its birth (the earliest on {long_date(begun[0])})"
        )
    if not problems:
        return None
    said = " and ".join(problems)
    return (
        f"The date of birth cannot be {long_date(born)}: {said}. Check the date of birth, or correct those dates first."
    )


class EntryFieldsError(ValueError):
    """An entry's structured fields were left out or wrong: `errors` maps each structured field to its message,
    `entry_errors` each of the entry's own inputs (its `category`, its `fields` as a whole) to its message. Kept
    apart because a structured field may share a name with an entry input (a registration's `category`)."""

    def __init__(self, errors: dict[str, str], *, entry_errors: dict[str, str] | None = None) -> None:
        every = {**(entry_errors or {}), **errors}
        super().__init__("; ".join(f"{name}: {message}" for name, message in every.items()))
        self.errors = errors
        self.entry_errors = entry_errors or {}


def _field_value(field: EntryField, raw: object, today: date) -> object:
    if field.kind == FieldKind.TEXT:
        if not isinstance(raw, str) or not raw.strip() or has_nul(raw):
            raise RuleError(f"Enter {field.label.lower()} as text.")
        if len(raw.strip()) > field.max_length:
            raise RuleError(f"{field.label} must be {field.max_length} characters or fewer.")
        return raw.strip()
    if field.kind == FieldKind.CHOICE:
        if raw not in field.choices:
            raise RuleError(f"Choose {field.label.lower()} from the list.")
        return raw
    if field.kind == FieldKind.FLAG:
        if not isinstance(raw, bool):
            raise RuleError(f"Say yes or no: {field.label.lower()}.")
        return raw
    if field.kind == FieldKind.MINUTES:
        if isinstance(raw, bool) or not isinstance(raw, int) or not 0 < raw <= MINUTES_MAX:
            raise RuleError(f"{field.label} must be a whole number from 1 to {MINUTES_MAX}.")
        return raw
    if field.kind == FieldKind.DATE:
        if isinstance(raw, str):
            try:
                raw = date.fromisoformat(raw)
            except ValueError:
                raise RuleError(f"{field.label} must be a real date.") from None
        if not isinstance(raw, date):
            raise RuleError(f"{field.label} must be a real date.")
        if raw > today:
            raise RuleError(f"{field.label} must be today or in the past.")
        if raw.year < 1900:
            raise RuleError(f"{field.label} must be after 1900.")
        return raw.isoformat()
    # FieldKind.NAMES: a short list of people's names.
    if not isinstance(raw, list | tuple) or not all(isinstance(item, str) and item.strip() for item in raw):
        raise RuleError(f"Give {field.label.lower()} as a list of names.")
    if len(raw) > FIELD_NAMES_MAX or any(len(item) > field.max_length or has_nul(item) for item in raw):
        raise RuleError(f"Give at most {FIELD_NAMES_MAX} names of {field.max_length} characters or fewer.")
    return [item.strip() for item in raw]


def entry_is_restricted(category: str, marked: bool) -> bool:
    """Whether an entry is restricted to authorised social-care staff: when its author marks it (Barnet: victim
    information kept apart from anything a perpetrator could reach), and always for ALWAYS_RESTRICTED."""
    return marked or category in ALWAYS_RESTRICTED


# --- Merging two entries ---------------------------------------------------------------------------------------


def merge_warning(kept_born: date, merged_born: date) -> str | None:
    """What the person merging two entries must confirm they have checked, or None: entries for the same child
    have the same date of birth, so different ones (a typo, or two children) are named before the merge. Different
    NHS numbers are refused outright (sharing.services.children.child_merge): they are two children."""
    if kept_born != merged_born:
        return (
            f"The dates of birth differ: {long_date(kept_born)} on the entry kept, {long_date(merged_born)} on the "
            "entry merged into it. Merge only if they are the same child, and say in the reason which date is right."
        )
    return None


# --- Languages -------------------------------------------------------------------------------------------------


def languages_distinct(languages: list[str]) -> list[str]:
    """The languages with repeats removed (the same letters in any case, or with other spacing, are one language),
    the first spelling kept, in the order given: "Polish, polish" is one language, so it is stored once rather
    than refused (a repeat says nothing new and is an easy slip in a comma-separated list)."""
    seen: set[str] = set()
    kept: list[str] = []
    for language in languages:
        folded = " ".join(language.split()).casefold()
        if folded and folded not in seen:
            seen.add(folded)
            kept.append(" ".join(language.split()))
    return kept


# --- Involvements -----------------------------------------------------------------------------------------------


def without_invisible(text: str) -> str:
    """The text without Unicode format characters (category Cf: zero-width spaces and joiners, the byte-order
    mark, soft hyphens), which show as nothing, so that two texts that look the same compare the same."""
    return "".join(character for character in text if unicodedata.category(character) != "Cf")


def service_normalised(text: str) -> str:
    """An involvement's service as stored: its words with one space between them and no invisible characters
    ("Public  protection " -> "Public protection"), so the same service typed twice is stored the same way."""
    return " ".join(without_invisible(text).split())


def service_key(text: str) -> str:
    """What makes two services of one agency the same for "one open involvement per service": the stored text
    without regard to capitals ("public protection" is "Public protection"). The database applies the same key
    (sharing.models.Involvement: involvement_one_open_per_service, on Lower(service))."""
    return service_normalised(text).lower()


LEAD_PROFESSIONAL_ROLES = frozenset({"practitioner", "designated_manager"})


def may_be_lead_professional(roles: Iterable[str], *, is_active: bool, is_system: bool) -> bool:
    """Whether a membership may be named lead professional or key contact of its agency's involvement: an active
    person who works with children through the index there, a practitioner or designated manager (Haringey 3.8a:
    the professional working with the child, whom other agencies contact). Not an agency admin without those
    roles (who cannot open the child's record), nor a system account (nobody to contact)."""
    return is_active and not is_system and bool(LEAD_PROFESSIONAL_ROLES & set(roles))


def address_ends_on(current_from: date, moved_on: date) -> date | None:
    """The last day (inclusive) at the current address when the child moves on `moved_on`, or None when the move
    cannot follow it (a move before the current address began: the history would run backwards).

    Addresses are kept as periods with an inclusive last day, so a move ends the current address the day before.
    A move on the very day the current address began (an emergency placement left the same day, or an address
    recorded this morning that was already out of date) keeps the earlier address in the history as a one-day
    period ending that day, sharing the day with the new one: the child was at both that day. Nothing is
    overwritten (WYCPS address history), and the table's check that a period does not end before it begins holds
    (sharing.models.ChildAddress: child_address_period_ordered)."""
    if moved_on < current_from:
        return None
    return max(moved_on - timedelta(days=1), current_from)


def address_lines_key(address: str) -> str:
    """An address's lines compared without regard to capitals, spacing or the commas, full stops and line breaks
    between lines: "1 Test Street, Northbridge" is "1 test street\nNorthbridge."."""
    return " ".join(re.sub(r"[,.;\s]+", " ", without_invisible(address)).split()).casefold()


def same_address(address: str, postcode: str, other_address: str, other_postcode: str) -> bool:
    """Whether two addresses are the same place as recorded: the same postcode (both already normalised, or both
    empty) and the same lines (address_lines_key). A move to the address the child lives at is no move: it would
    end the current period and begin an identical one, and the history (WYCPS address history) would no longer
    say when the child actually moved."""
    return postcode == other_postcode and address_lines_key(address) == address_lines_key(other_address)


def period_error(started_on: date, ended_on: date | None, today: date) -> str | None:
    """Why an involvement's or an address's period cannot be right, or None."""
    if started_on > today:
        return "The start date must be today or in the past."
    if ended_on is not None and ended_on < started_on:
        return "The end date must be on or after the start date."
    if ended_on is not None and ended_on > today:
        return "The end date must be today or in the past."
    return None


def name_match(query: NameQuery, index_keys: frozenset[str]) -> tuple[bool, bool]:
    """(matches, exactly) for a name with `index_keys`: the rule the search's SQL applies in the database
    (sharing.selectors.children), written out so it can be tested on its own."""
    covered = exact = 0
    for key, mask in query.keys.items():
        if key in index_keys:
            covered |= mask
            if is_exact_key(key):
                exact |= mask
    if (
        query.family_initials
        and query.given_keys & index_keys
        and any(key.startswith(query.family_initials) for key in index_keys)
    ):
        covered = query.full_mask  # the given name and the family name's initial: never an exact match
    return covered == query.full_mask, exact == query.full_mask


# --- The purpose of a look at the index ------------------------------------------------------------------------
# WYCPS ("history of enquiries to the register") and DPA 2018 s62 ask that every consultation is logged with its
# justification: words an auditor can judge. "x", "." or "ok" justify nothing, so a purpose has at least
# PURPOSE_MIN characters with letters in it (enough for "Section 47" or "CP enquiry"), at most bounds.REASON, and
# no control characters (nobody types one; PostgreSQL cannot store a NUL). The one rule for the search and record
# pages' purpose, the API's X-Purpose header and every selector that records a purpose.

PURPOSE_MIN = 10
PURPOSE_MAX = REASON
PURPOSE_HINT = (
    f"Say why you are looking in at least {PURPOSE_MIN} characters, in words an auditor can judge, for example "
    "“Section 47 enquiry: which agencies know the child”."
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def purpose_cleaned(text: str | None) -> str:
    """The purpose as recorded (outer spaces removed), or RuleError saying what is wrong with it: empty, too
    short, no letters, longer than PURPOSE_MAX, or a control character (tabs and new lines are allowed)."""
    cleaned = (text or "").strip()
    if _CONTROL.search(cleaned) or has_nul(cleaned):
        raise RuleError("Remove the control characters from the purpose: use letters, digits and punctuation.")
    if not cleaned:
        raise RuleError("Say why you are looking: the purpose is recorded with every look at a child.")
    if len(cleaned) > PURPOSE_MAX:
        raise RuleError(f"Give the purpose in at most {PURPOSE_MAX} characters.")
    if len(cleaned) < PURPOSE_MIN or not re.search(r"[^\W\d_]", cleaned):
        raise RuleError(PURPOSE_HINT)
    return cleaned
