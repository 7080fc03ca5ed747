"""Pure rules of the agencies app: ICO registration, training validity, the signatory checklist, CSV rows.

No ORM, no I/O: dates and plain values in, plain values out, so each can be tested in microseconds.
"""

from __future__ import annotations

import calendar
import csv
import functools
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

import phonenumbers

from isp_portal import bounds
from isp_portal.wording import possessive

# Haringey 4.1-4.2: the ICO notification is renewed yearly; reminders go out this many days before expiry.
REMINDER_DAYS = (60, 30, 7)
# Southampton 18: each requirement is confirmed by the agency and renewed every year.
CHECKLIST_VALIDITY_MONTHS = 12
CHECKLIST_RENEWAL_WARNING_DAYS = 30

# ICO registration numbers (the register of fee payers, Data Protection (Charges and Information) Regulations
# 2018): eight characters beginning with Z, either Z and seven digits (Z1234567, the older form) or Z, a second
# letter and six digits (ZA123456, ZB654321: the newer form, used since the Z9999999 numbers ran out).
# Nothing else is an ICO number: A1234567 is not, nor is ZA1234567.
ICO_NUMBER = re.compile(r"^Z(?:\d{7}|[A-Z]\d{6})$")
# Phone numbers are read as people write them ("(020) 7946 0958", "+44 (0)20 7946 0958", "020-7946-0958")
# by Google's libphonenumber, in the UK when no country code is given; stored in E.164 ("+442079460958");
# shown in the national format ("020 7946 0958").
PHONE_REGION = "GB"


class IcoStatus(StrEnum):
    MISSING = "missing"
    VALID = "valid"
    EXPIRING = "expiring"
    LAPSED = "lapsed"


def add_months(start: date, months: int) -> date:
    """The same day `months` calendar months later (the last day of the month when it has no such day)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def normalise_ico_number(value: str) -> str:
    return value.strip().upper().replace(" ", "")


def ico_number_is_valid(value: str) -> bool:
    return bool(ICO_NUMBER.match(normalise_ico_number(value)))


PHONE_INVALID = "Enter a phone number that can be dialled, like 020 7946 0958 or +44 20 7946 0958."
# The register keeps one dialable number per agency, in E.164, which has no place for an extension; rather than
# drop one silently (the number saved would not reach the person meant), it is refused (issue 8).
PHONE_EXTENSION = (
    "Enter the main number without an extension (remove “ext. {extension}”): the register keeps one number that "
    "can be dialled directly. Put an extension or direct line in the contact address instead."
)


def phone_error(value: str, region: str = PHONE_REGION) -> str | None:
    """Why `value` cannot be stored as a phone number, in words for the person who typed it, or None."""
    number = _phone_parsed(value, region)
    if number is None:
        return PHONE_INVALID
    if number.extension:
        return PHONE_EXTENSION.format(extension=number.extension[:10])
    return None


def _phone_parsed(value: str, region: str) -> phonenumbers.PhoneNumber | None:
    if len(value) > 40:
        return None
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def phone_normalised(value: str, region: str = PHONE_REGION) -> str | None:
    """The number in E.164 ("+442079460958"), or None when it is not a real, dialable number or carries an
    extension, which E.164 cannot hold (phone_error says which)."""
    number = _phone_parsed(value, region)
    if number is None or number.extension:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_is_valid(value: str) -> bool:
    return phone_normalised(value) is not None


@functools.lru_cache(maxsize=1024)  # parsing costs about 40 µs, on every agency page (issue 9)
def phone_display(value: str, region: str = PHONE_REGION) -> str:
    """A stored number as people read it: national format at home ("020 7946 0958"), international abroad."""
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return value
    same_country = phonenumbers.region_code_for_number(number) == region
    style = phonenumbers.PhoneNumberFormat.NATIONAL if same_country else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(number, style)


# Haringey 4.1-4.2: the registration is renewed every year, so its expiry is at most a year ahead; a month more
# leaves room for a renewal recorded early. Anything later (9999-12-31) would keep an agency sharing for ever.
ICO_EXPIRY_MAX_MONTHS = 13


def ico_expiry_latest(today: date) -> date:
    return add_months(today, ICO_EXPIRY_MAX_MONTHS)


def ico_status(expires_on: date | None, today: date) -> IcoStatus:
    """Whether an agency's ICO registration is in force (an agency that has lapsed cannot share)."""
    if expires_on is None:
        return IcoStatus.MISSING
    if expires_on < today:
        return IcoStatus.LAPSED
    if (expires_on - today).days <= REMINDER_DAYS[0]:
        return IcoStatus.EXPIRING
    return IcoStatus.VALID


def agency_may_share(status: str, ico_expires_on: date | None, today: date) -> bool:
    """Whether an agency may send or receive information today: it must be active (not suspended, not
    left) and its ICO registration must be in force (Haringey 4.1-4.2; DESIGN 2.1)."""
    return status == "active" and ico_status(ico_expires_on, today) in {IcoStatus.VALID, IcoStatus.EXPIRING}


def reminder_band(expires_on: date, today: date) -> int | None:
    """Which reminder (60, 30 or 7 days) is due for an expiry, or 0 once it has lapsed, else None.

    The band is the smallest reminder whose window has been reached, so a sweep that missed a day still
    sends the reminder that matters now, and never the earlier ones late."""
    days_left = (expires_on - today).days
    if days_left < 0:
        return 0
    due = [days for days in REMINDER_DAYS if days_left <= days]
    return min(due) if due else None


def training_is_valid(completed_on: date, expires_on: date | None, today: date) -> bool:
    """Buckinghamshire 4: training counts from completion until its expiry (if it has one)."""
    return completed_on <= today and (expires_on is None or expires_on >= today)


class TrainingStatus(StrEnum):
    """Where a person stands with their information-sharing training (Buckinghamshire 4), as a page shows it."""

    VALID = "valid"
    EXPIRED = "expired"
    NONE = "none"


def training_status(records: Iterable[tuple[date, date | None]], today: date) -> TrainingStatus:
    """From a person's information-sharing records (completed on, expires on): valid when one counts today;
    expired when there are records but none counts now; none when there is no record."""
    seen = False
    for completed_on, expires_on in records:
        if training_is_valid(completed_on, expires_on, today):
            return TrainingStatus.VALID
        seen = True
    return TrainingStatus.EXPIRED if seen else TrainingStatus.NONE


def training_expiry(completed_on: date, validity_months: int | None) -> date | None:
    return add_months(completed_on, validity_months) if validity_months else None


# Plausible training dates: completed in the portal's era (not before 2000) and not in the future; counting for
# at most ten years (the recognised courses count for one to three).
TRAINING_VALIDITY_MAX_MONTHS = 120


class TrainingDateProblem(StrEnum):
    FUTURE = "completed_on is in the future"
    TOO_EARLY = f"completed_on is before {bounds.long_date(bounds.EARLIEST_DATE)}"
    NOT_AFTER = "expires_on must be after completed_on"
    TOO_LONG = "expires_on is more than ten years after completed_on"


TRAINING_DATE_MESSAGES = {
    TrainingDateProblem.FUTURE: "The completion date must be today or in the past.",
    TrainingDateProblem.TOO_EARLY: f"The completion date must be on or after {bounds.long_date(bounds.EARLIEST_DATE)}.",
    TrainingDateProblem.NOT_AFTER: "The expiry date must be after the completion date.",
    TrainingDateProblem.TOO_LONG: "Training counts for at most ten years: check the expiry date.",
}


def training_date_problems(completed_on: date, expires_on: date | None, today: date) -> list[TrainingDateProblem]:
    """What is implausible about a training record's dates (empty when they are plausible). The value of each
    problem is how a CSV row error says it; TRAINING_DATE_MESSAGES says it on a form."""
    problems: list[TrainingDateProblem] = []
    if completed_on > today:
        problems.append(TrainingDateProblem.FUTURE)
    elif completed_on < bounds.EARLIEST_DATE:
        problems.append(TrainingDateProblem.TOO_EARLY)
    if expires_on is not None:
        if expires_on <= completed_on:
            problems.append(TrainingDateProblem.NOT_AFTER)
        elif expires_on > add_months(completed_on, TRAINING_VALIDITY_MAX_MONTHS):
            problems.append(TrainingDateProblem.TOO_LONG)
    return problems


class ChecklistStatus(StrEnum):
    COMPLETE = "complete"
    DUE_FOR_RENEWAL = "due for renewal"
    INCOMPLETE = "incomplete"


@functools.lru_cache(maxsize=4096)
def confirmation_expires_on(confirmed_on: date) -> date:
    # Pure, and asked for every confirmation on every agency page (issue 9): each date worked out once.
    return add_months(confirmed_on, CHECKLIST_VALIDITY_MONTHS)


def checklist_status(
    requirements: Iterable[int], confirmed_on: Mapping[int, date | None], today: date
) -> ChecklistStatus:
    """Southampton 18: complete when every requirement has a confirmation less than a year old; due for
    renewal when one of them runs out within 30 days; otherwise incomplete (an agency's signature is not
    complete until its checklist is)."""
    soon = False
    for requirement in requirements:
        confirmed = confirmed_on.get(requirement)
        if confirmed is None or confirmed > today:
            return ChecklistStatus.INCOMPLETE
        expires = confirmation_expires_on(confirmed)
        if expires <= today:
            return ChecklistStatus.INCOMPLETE
        if (expires - today).days <= CHECKLIST_RENEWAL_WARNING_DAYS:
            soon = True
    return ChecklistStatus.DUE_FOR_RENEWAL if soon else ChecklistStatus.COMPLETE


# --- Training records from CSV -----------------------------------------------------------------------------

TRAINING_CSV_COLUMNS = ("email", "course", "completed_on", "expires_on", "evidence")


@dataclass(frozen=True)
class TrainingRow:
    line: int
    email: str
    course: str
    completed_on: date
    expires_on: date | None
    evidence: str


@dataclass(frozen=True)
class RowError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"Line {self.line}: {self.message}"


def _parse_date(text: str) -> date:
    """Accept 2026-03-27 (ISO) or 27/03/2026 (UK), nothing ambiguous."""
    text = text.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return date.fromisoformat(text)
    match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
    if match:
        day, month, year = (int(part) for part in match.groups())
        return date(year, month, day)
    raise ValueError(text)


_EXTRA = "\x00extra"  # where csv puts values beyond the header's columns

# Spreadsheets save CSV with the separator of their locale: a comma, a semicolon (where the comma is the
# decimal mark) or a tab. The header line tells which.
CSV_SEPARATORS = ",;\t"
SEPARATOR_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs"}
# Longest values the database holds (agencies.models: User.email, TrainingCourse.name, TrainingRecord.evidence).
CSV_VALUE_LIMITS = {"email": 254, "course": 200, "evidence": 200}


def csv_separator(text: str) -> str:
    """The separator of a CSV file, judged from its first line (a comma when it cannot tell)."""
    first_line = text.split("\n", 1)[0]
    try:
        return csv.Sniffer().sniff(first_line, delimiters=CSV_SEPARATORS).delimiter
    except csv.Error:
        return ","


def parse_training_csv(text: str, today: date) -> tuple[list[TrainingRow], list[RowError]]:
    """Parse a training-records CSV (header: email, course, completed_on, expires_on, evidence), separated by
    commas, semicolons or tabs.

    Returns the rows and every problem found, each with its line number. Callers import nothing unless
    the error list is empty (all or nothing)."""
    text = text.lstrip("\ufeff")
    if bounds.has_nul(text):
        # PostgreSQL cannot store a NUL, and no spreadsheet writes one into a CSV: the file is something else.
        lines = [str(number) for number, line in enumerate(text.splitlines(), start=1) if bounds.has_nul(line)]
        return [], [
            RowError(
                int(lines[0]),
                f"the file contains NUL characters (on line {', '.join(lines[:10])}); save it from the spreadsheet "
                "as CSV (UTF-8)",
            )
        ]
    separator = csv_separator(text)
    reader = csv.DictReader(io.StringIO(text), restkey=_EXTRA, delimiter=separator)
    header = [name.strip().lower() for name in (reader.fieldnames or [])]
    missing = [column for column in TRAINING_CSV_COLUMNS[:3] if column not in header]
    if missing:
        found = ", ".join(repr(name[:40]) for name in header[:8]) or "nothing"
        return [], [
            RowError(
                1,
                f"the header must include {', '.join(missing)}; the first line, read as values separated by "
                f"{SEPARATOR_NAMES[separator]}, has {found}",
            )
        ]
    rows: list[TrainingRow] = []
    errors: list[RowError] = []
    for raw in reader:
        # The physical line in the file (DictReader skips blank lines, so counting records would drift).
        index = reader.line_num
        extra = [value for value in raw.pop(_EXTRA, None) or [] if value.strip()]
        record = {(key or "").strip().lower(): (value or "").strip() for key, value in raw.items()}
        if not any(record.values()) and not extra:
            continue
        problems = []
        if extra:
            problems.append("the row has more values than the header has columns (put a value with a comma in quotes)")
        email = record.get("email", "").lower()
        if "@" not in email:
            problems.append("email address is missing or not valid")
        course = record.get("course", "")
        if not course:
            problems.append("course is missing")
        completed: date | None = None
        try:
            completed = _parse_date(record.get("completed_on", ""))
        except ValueError:
            problems.append(f"completed_on {record.get('completed_on', '')!r} is not a date (use 2026-03-27)")
        expires: date | None = None
        if record.get("expires_on"):
            try:
                expires = _parse_date(record["expires_on"])
            except ValueError:
                problems.append(f"expires_on {record['expires_on']!r} is not a date (use 2026-03-27)")
        if completed:
            problems.extend(problem.value for problem in training_date_problems(completed, expires, today))
        problems.extend(
            f"{column} is longer than {limit} characters"
            for column, limit in CSV_VALUE_LIMITS.items()
            if len(record.get(column, "")) > limit
        )
        if problems:
            errors.append(RowError(index, "; ".join(problems)))
            continue
        assert completed is not None
        rows.append(TrainingRow(index, email, course, completed, expires, record.get("evidence", "")))
    if not rows and not errors:
        errors.append(RowError(1, "the file has no rows"))
    return rows, errors


# --- Who may widen whose access (DESIGN 4: nobody widens their own access) ----------------------------------

# Flags on a membership that widen what its holder may see or do: the Caldicott guardian and the DPO read
# their agency's audit trail and are told of breaches (DESIGN 1, 2.6); restricted information is for
# authorised social-care staff only (WYCPS); the nominated representative answers consultations for the
# agency (Buckinghamshire 1-2).
WIDENING_FLAGS: dict[str, str] = {
    "is_caldicott_guardian": "Caldicott guardian",
    "is_data_protection_officer": "data protection officer",
    "authorised_for_restricted": "authorised for restricted information",
    "is_nominated_representative": "nominated representative",
    # Southampton 13: a head of service decides disputes at stage 2 for the agency.
    "is_head_of_service": "head of service",
}


# Roles that include another: a designated manager does everything a practitioner does (DESIGN 1), so keeping
# only the practitioner role narrows a designated manager's access and is no widening. (An agency admin's role
# does not include the practitioner's: a practitioner opens child records, an agency admin does not.)
ROLE_INCLUDES: dict[str, frozenset[str]] = {"designated_manager": frozenset({"practitioner"})}

# Facts about a member that widen what they may see once sharing reads them (DESIGN 2.1: the enhanced vetting
# check), given like the widening flags: nobody sets them on their own membership (issue 8, item 2).
WIDENING_FACTS: dict[str, str] = {"vetting_checked_on": "vetting check date"}

# Separation of duties (issue 8, item 2): an auditor checks the admins' work, so the auditor role is never held
# with an admin role on the same membership (nobody audits their own administration). The database holds this
# too (membership_auditor_not_admin).
AUDITOR_ROLE = "auditor"
ROLES_AN_AUDITOR_CHECKS: frozenset[str] = frozenset({"partnership_admin", "agency_admin"})


def role_combination_problem(roles: Iterable[str], role_labels: Mapping[str, str]) -> str | None:
    """Why these roles cannot be held together on one membership (separation of duties), or None."""
    held = set(roles)
    if AUDITOR_ROLE not in held:
        return None
    clashes = sorted(held & ROLES_AN_AUDITOR_CHECKS)
    if not clashes:
        return None
    label = role_labels.get(clashes[0], clashes[0]).lower()
    return (
        f"The auditor role cannot be held with the {label} role: an auditor checks the admins' work, so nobody "
        "audits their own administration (separation of duties). Give one or the other."
    )


@dataclass(frozen=True)
class Grants:
    """What one person may change on one membership: the roles they may add and remove, the flags they may
    set and clear. Decided by agencies.policy.grants (standing, self, tokens); applied here.

    On their own membership (`is_self`) nobody adds anything; `roles_for_others` and `flags_for_others` are
    what they could give someone else there, so that a refusal can say who may give it to them instead."""

    roles_add: frozenset[str] = frozenset()
    roles_remove: frozenset[str] = frozenset()
    flags_set: frozenset[str] = frozenset()
    flags_clear: frozenset[str] = frozenset()
    is_self: bool = False
    is_token: bool = False
    roles_for_others: frozenset[str] = frozenset()
    flags_for_others: frozenset[str] = frozenset()
    # Why nothing may be added, nor details changed, whoever asks: the agency's standing (agencies.policy.grants).
    standing_refusal: str | None = None

    def narrows(
        self,
        *,
        roles_before: Iterable[str],
        roles_after: Iterable[str],
        flags_before: Mapping[str, bool],
        flags_after: Mapping[str, bool],
    ) -> bool:
        """Whether a change only takes away: no role added (but one a held role includes, ROLE_INCLUDES), no
        flag set. Removing access is always allowed, whatever the agency's standing (STANDING_ALLOWS)."""
        before, after = set(roles_before), set(roles_after)
        included = {role for held in before for role in ROLE_INCLUDES.get(held, frozenset())}
        return after <= before | included and not any(
            value and not flags_before.get(field, False) for field, value in flags_after.items()
        )


def _self_grant_problem(role: str, label: str, grants: Grants) -> str:
    """Why someone may not give themselves `role`, naming who can give it to them (DESIGN 4)."""
    if role in grants.roles_for_others:
        # They have the standing to give it, only not to themselves.
        if role == "auditor":
            return (
                "You cannot give yourself the auditor role: auditors check the admins' work, so another "
                "partnership admin must give it to you."
            )
        if role == "partnership_admin":
            return "You cannot give yourself the partnership admin role: another partnership admin must give it to you."
        return f"You cannot give yourself the {label} role: another admin must give it to you."
    if role == "auditor":
        return "You cannot give yourself the auditor role: only a partnership admin can give it."
    return f"You cannot give yourself the {label} role: only someone with the standing to grant it can give it to you."


def privilege_change_problems(
    *,
    grants: Grants,
    roles_before: Iterable[str],
    roles_after: Iterable[str],
    flags_before: Mapping[str, bool],
    flags_after: Mapping[str, bool],
    role_labels: Mapping[str, str],
    facts_set: Iterable[str] = (),
) -> dict[str, str]:
    """Which of the requested changes to roles and widening flags the person may not make, as {field:
    message}; empty when every change is theirs to make (DESIGN 4: nobody widens their own access; a role
    or flag that widens access is given, and taken away, only by someone with the standing to give it).

    Removing roles and clearing flags on one's own membership narrows it and is allowed; so is keeping a
    role that a held one includes (ROLE_INCLUDES: a designated manager stepping back to practitioner). The
    message names the rule that refused: giving oneself something (and who can give it instead), or lacking
    the standing to give or take it away. `facts_set` names the widening facts (WIDENING_FACTS) being given a
    value: set like a flag (clearing one only narrows access). A combination of roles separation of duties
    forbids (role_combination_problem) is refused whoever asks."""
    problems: dict[str, str] = {}
    before, after = set(roles_before), set(roles_after)
    included = {role for held in before for role in ROLE_INCLUDES.get(held, frozenset())}
    for role in sorted(after - before):
        if role in grants.roles_add or (role in included and role in grants.roles_remove):
            continue
        label = role_labels.get(role, role).lower()
        if grants.is_self:
            problems["roles"] = _self_grant_problem(role, label, grants)
        elif role == "auditor":
            problems["roles"] = (
                "Only a partnership admin can give the auditor role: auditors check the agency's admins."
            )
        elif grants.is_token:
            problems["roles"] = (
                f"An API token cannot give the {label} role: a person with the standing to grant it must."
            )
        else:
            problems["roles"] = f"You cannot give the {label} role."
    for role in sorted(before - after):
        if role in grants.roles_remove:
            continue
        label = role_labels.get(role, role).lower()
        if role == "auditor":
            problems["roles"] = "Only a partnership admin can remove the auditor role: a partnership admin gave it."
        elif grants.is_token:
            problems["roles"] = f"An API token cannot remove the {label} role: a person with the standing to must."
        else:
            problems["roles"] = f"You cannot remove the {label} role."
    if after != before and (combination := role_combination_problem(after, role_labels)):
        # Refused whoever asks; a refusal above (giving it to oneself) already says why not.
        problems.setdefault("roles", combination)
    for field, label in WIDENING_FLAGS.items():
        if field not in flags_after or flags_after[field] == flags_before.get(field, False):
            continue
        if flags_after[field] and field not in grants.flags_set:
            if grants.is_self and field in grants.flags_for_others:
                problems[field] = f"You cannot mark yourself {label}: another admin must do so."
            elif grants.is_self:
                problems[field] = f"You cannot mark yourself {label}: only an admin of the agency can."
            elif grants.is_token:
                problems[field] = f"An API token cannot mark someone {label}: a person must."
            else:
                problems[field] = f"You cannot mark someone {label}."
        elif not flags_after[field] and field not in grants.flags_clear:
            problems[field] = f"You cannot remove the {label} mark."
    for field in facts_set:
        if field in grants.flags_set:
            continue
        label = WIDENING_FACTS.get(field, field)
        if grants.is_self:
            problems[field] = (
                f"You cannot set your own {label}: it widens what you may see, so another admin of your agency "
                "or a partnership admin must set it."
            )
        elif grants.is_token:
            problems[field] = f"An API token cannot set someone's {label}: a person must."
        else:
            problems[field] = f"You cannot set someone's {label}."
    return problems


def last_admin_problem(*, holds_admin_now: bool, keeps_admin: bool, other_human_admins: int, scope: str) -> str | None:
    """The partnership and each agency always keep at least one active human administrator (DESIGN 4): an
    admin role is never removed, and an admin's membership never ended, when no other active person (not
    a system account) holds it. `scope` names the place ("the partnership", an agency's name)."""
    if holds_admin_now and not keeps_admin and other_human_admins == 0:
        return (
            f"This is the only active admin of {scope}: give someone else the admin role first, so that "
            f"{scope} always has an administrator."
        )
    return None


# --- What an agency that may not share may still do (DESIGN 2.1; Haringey 4.1) --------------------------------


class AgencyStanding(StrEnum):
    """Where an agency stands, as far as acting in the portal goes."""

    ACTIVE = "active"  # active, ICO registration in force: may share
    ICO_MISSING = "ico missing"  # active, no ICO registration recorded yet (a new partner joining): acts, cannot share
    ICO_LAPSED = "ico lapsed"  # active, but its ICO registration has run out (Haringey 4.1-4.2)
    SUSPENDED = "suspended"  # suspended by the partnership (e.g. a breach sanction, Haringey 6)
    LEFT = "left"  # left the partnership


class AgencyAct(StrEnum):
    """The kinds of thing an agency does in the portal, by what they mean for its standing."""

    READ = "read its own records"
    REMOVE_ACCESS = "remove access (end memberships, withdraw invitations, revoke API tokens, withdraw signatures)"
    KEEP_TRAINING = "keep its training records current"
    KEEP_DETAILS = "keep its contact and ICO registration details current"
    MANAGE_PEOPLE = "take on people or change their roles and details"
    COMPLIANCE = "confirm its signatory checklist or upload its security document"
    TAKE_PART = "take part in the protocol (sign, answer consultations, audits and requests)"


# The one table of what each standing allows. Reading and removing access are always allowed (removing
# access only narrows it, and must never wait for reinstatement). A suspended agency, or one whose ICO
# registration has lapsed, keeps its training and its contact and ICO details current, so that it can be
# reinstated, and does nothing else. A new partner that has not recorded an ICO registration yet acts as
# usual while it joins (takes on its people, prepares its checklist, signs); the sharing gate
# (agency_may_share) still keeps it from sending or receiving anything until it has one. Taking a member's roles
# or flags away is removing access; giving them, or changing a member's details, is managing people, refused
# in a suspended or lapsed agency to everyone, partnership admins included: the partnership acts on the
# agency's status instead (agencies.policy.grants).
_ALWAYS = frozenset({AgencyAct.READ, AgencyAct.REMOVE_ACCESS})
STANDING_ALLOWS: dict[AgencyStanding, frozenset[AgencyAct]] = {
    AgencyStanding.ACTIVE: frozenset(AgencyAct),
    AgencyStanding.ICO_MISSING: frozenset(AgencyAct),
    AgencyStanding.ICO_LAPSED: _ALWAYS | {AgencyAct.KEEP_TRAINING, AgencyAct.KEEP_DETAILS},
    AgencyStanding.SUSPENDED: _ALWAYS | {AgencyAct.KEEP_TRAINING, AgencyAct.KEEP_DETAILS},
    AgencyStanding.LEFT: _ALWAYS,
}


def agency_standing(status: str, ico_expires_on: date | None, today: date) -> AgencyStanding:
    if status == "left":
        return AgencyStanding.LEFT
    if status == "suspended":
        return AgencyStanding.SUSPENDED
    ico = ico_status(ico_expires_on, today)
    if ico == IcoStatus.MISSING:
        return AgencyStanding.ICO_MISSING
    if ico == IcoStatus.LAPSED:
        return AgencyStanding.ICO_LAPSED
    return AgencyStanding.ACTIVE


class StandingRefusal(str):
    """A refusal by the standing rule (STANDING_ALLOWS), in words; it is a str, and also says which agency and
    standing refused, so the 403 page can name who can lift it for the person refused
    (agencies.refusals.refusal_help)."""

    agency_name: str
    standing: AgencyStanding

    def __new__(cls, text: str, *, agency_name: str, standing: AgencyStanding) -> StandingRefusal:
        refusal = super().__new__(cls, text)
        refusal.agency_name = agency_name
        refusal.standing = standing
        return refusal


# What lifts each standing, for anyone reading the refusal (the page adds who, for the person refused).
STANDING_REMEDY: dict[AgencyStanding, str] = {
    AgencyStanding.ICO_MISSING: "It can once its ICO registration is recorded on its page.",
    AgencyStanding.ICO_LAPSED: "It can once its renewed ICO registration is recorded on its page.",
    AgencyStanding.SUSPENDED: "It can once a partnership admin reinstates it.",
    AgencyStanding.LEFT: "Its people can no longer act for it.",
    AgencyStanding.ACTIVE: "",
}


def standing_refusal(name: str, standing: AgencyStanding, act: AgencyAct) -> StandingRefusal | None:
    """Why an agency in `standing` may not do `act` (None when it may), in words for the person refused: the
    standing, what it can still do, and what lifts it."""
    if act in STANDING_ALLOWS[standing]:
        return None
    why = {
        AgencyStanding.ICO_MISSING: f"{name} has no ICO registration recorded",
        AgencyStanding.ICO_LAPSED: f"{possessive(name)} ICO registration has lapsed",
        AgencyStanding.SUSPENDED: f"{name} is suspended from the partnership",
        AgencyStanding.LEFT: f"{name} has left the partnership",
        AgencyStanding.ACTIVE: name,
    }[standing]
    allowed = [a.value for a in AgencyAct if a in STANDING_ALLOWS[standing] and a is not AgencyAct.READ]
    still = f" While it is, it can still {', '.join(allowed[:-1])} and {allowed[-1]}." if len(allowed) > 1 else ""
    if standing is AgencyStanding.LEFT:
        still = ""
    text = f"{why}, so it cannot {act.value}.{still} {STANDING_REMEDY[standing]}"
    return StandingRefusal(text, agency_name=name, standing=standing)


# --- API token scopes (DESIGN 4: least privilege, expiring, revocable) ----------------------------------------


class TokenScope(StrEnum):
    """What an agency system's API token may do, chosen when the token is made. Its allowed actions are its
    scopes intersected with what its agency's role would allow (agencies.policy)."""

    REGISTER_READ = "register:read"  # the partner register, requirements, courses, checklists, protocols
    PEOPLE_READ = "people:read"  # the agency's memberships, invitations and training records
    PEOPLE_ADMIN = "people:admin"  # invite people, change and end memberships (never an admin's)
    TRAINING_WRITE = "training:write"  # record and import training completions
    REQUESTS_WRITE = "requests:write"  # raise and answer information requests (the sharing app)
    CHILDREN_READ = "children:read"  # search the child index and read a child's minimum data (no entry content)
    CHILDREN_WRITE = "children:write"  # create children, add names, addresses and the agency's involvements
    RECORDS_READ = "records:read"  # read the content of the agency's own unrestricted entries
    RECORDS_WRITE = "records:write"  # record and correct the agency's own unrestricted entries


TOKEN_SCOPE_DESCRIPTIONS: dict[TokenScope, str] = {
    TokenScope.REGISTER_READ: "Read the partner register, signatory requirements, training courses and protocols",
    TokenScope.PEOPLE_READ: "Read the agency's memberships, invitations and training records",
    TokenScope.PEOPLE_ADMIN: "Invite people, and change or end memberships other than the agency admins'",
    TokenScope.TRAINING_WRITE: "Record and import training completions for the agency's people",
    TokenScope.REQUESTS_WRITE: "Raise and answer information requests for the agency",
    TokenScope.CHILDREN_READ: "Search the child index and read children's minimum data, never an entry's content",
    TokenScope.CHILDREN_WRITE: "Add children to the index, their names and addresses, and the agency's involvements",
    TokenScope.RECORDS_READ: "Read the content of the agency's own entries about children (never restricted ones)",
    TokenScope.RECORDS_WRITE: "Record and correct the agency's own entries about children (never restricted ones)",
}

# Scopes that need another to be useful: administering people or recording their training means seeing them.
TOKEN_SCOPE_IMPLIES: dict[TokenScope, frozenset[TokenScope]] = {
    TokenScope.PEOPLE_ADMIN: frozenset({TokenScope.PEOPLE_READ}),
    TokenScope.TRAINING_WRITE: frozenset({TokenScope.PEOPLE_READ}),
    # Changing the index or the records means finding the child first; recording means reading what it wrote.
    TokenScope.CHILDREN_WRITE: frozenset({TokenScope.CHILDREN_READ}),
    TokenScope.RECORDS_READ: frozenset({TokenScope.CHILDREN_READ}),
    TokenScope.RECORDS_WRITE: frozenset({TokenScope.CHILDREN_READ, TokenScope.RECORDS_READ}),
}

# A token expires at most this long after it is made; it is then replaced, not extended.
TOKEN_MAX_LIFETIME_DAYS = 366


def token_scopes_effective(scopes: Iterable[str]) -> frozenset[TokenScope]:
    chosen = {TokenScope(scope) for scope in scopes}
    for scope in list(chosen):
        chosen |= TOKEN_SCOPE_IMPLIES.get(scope, frozenset())
    return frozenset(chosen)


def token_roles(scopes: Iterable[str]) -> list[str]:
    """The agency roles a token's system account holds: the least its scopes need. Reading or administering
    the agency's people, or its training, is an agency admin's business (the scopes, not the role, then
    narrow it to what they list); raising and answering requests is a practitioner's; reading the register
    needs only some role, the practitioner's."""
    chosen = {TokenScope(scope) for scope in scopes}
    people = {TokenScope.PEOPLE_READ, TokenScope.PEOPLE_ADMIN, TokenScope.TRAINING_WRITE}
    roles = set()
    if chosen & people:
        roles.add("agency_admin")
    if chosen - people or not roles:
        roles.add("practitioner")
    return sorted(roles)


# --- Local-authority areas (WYCPS area-based access) -------------------------------------------------------------

# An ONS GSS code: E (England), W (Wales), S (Scotland) or N (Northern Ireland) and eight digits, E09000014 for
# Haringey. The database holds the same pattern (agencies.Area's area_code_gss constraint).
GSS_CODE = re.compile(r"^[EWSN][0-9]{8}$")
AREAS_HINT = "GET /api/v1/areas/ lists the valid codes."
# The ways a council's name wraps its area's, taken off by area_name_key: "London Borough of Haringey",
# "Haringey Council", "Haringey London Borough Council" and "Leeds City Council" are Haringey and Leeds.
_AREA_PREFIXES = ("london borough of ", "royal borough of ", "borough of ", "metropolitan borough of ")
_AREA_SUFFIXES = (
    " london borough council",
    " metropolitan borough council",
    " city council",
    " county council",
    " borough council",
    " district council",
    " council",
)
# Text that names more than one area ("Northbridge / Eastvale", "Eastvale or Westmoor"): a row can be in only one
# area, so these are refused. Not "and", "&" or ",": real areas have them ("Kensington and Chelsea", "Bristol,
# City of").
_AREA_SEPARATORS = re.compile(r"[/;+|]| or ")


def gss_code_normalised(value: str) -> str | None:
    """A GSS code as typed (any case, spaces around) in its stored form, or None when it is not one."""
    code = value.strip().upper()
    return code if GSS_CODE.fullmatch(code) else None


def area_name_key(value: str) -> str:
    """The key two spellings of one area share: trimmed, inner spaces collapsed, case-folded, and without the
    council's wrapping ("London Borough of X", "X Council", "X City Council" → "x"). "" when nothing is left."""
    # Padded with a space each side, so that "Council" alone (the wrapping and nothing else) leaves "".
    key = f" {' '.join(value.split()).casefold()} "
    changed = True
    while changed and key.strip():
        changed = False
        for prefix in _AREA_PREFIXES:
            if key.startswith(f" {prefix}"):
                key, changed = " " + key.removeprefix(f" {prefix}"), True
        for suffix in _AREA_SUFFIXES:
            if key.endswith(f"{suffix} "):
                key, changed = key.removesuffix(f"{suffix} ") + " ", True
    return key.strip()


def area_display_name(value: str) -> str:
    """The area's name as kept: the typed text without the council's wrapping, its own capitals kept
    ("London Borough of Haringey" → "Haringey")."""
    text = " ".join(value.split())
    key = area_name_key(text)
    start = text.casefold().find(key) if key else -1
    return text[start : start + len(key)] if start >= 0 else text


@dataclass(frozen=True)
class AreaMapping:
    """What the free-text areas become: `names` maps each area key to the name it is kept under, `keys` each
    typed value (as stored, untrimmed) to its key, and `refused` the values that cannot be mapped with their
    row counts (empty text excepted: no area)."""

    names: dict[str, str]
    keys: dict[str, str]
    refused: dict[str, int]


def area_mapping(counts: Mapping[str, int]) -> AreaMapping:
    """Map the distinct free-text areas (value → rows holding it) onto areas. Values naming no area once
    normalised ("Council"), or more than one ("Northbridge / Eastvale", "Eastvale or Westmoor"), are refused:
    a person must decide. Each key is kept under the name of its most used spelling (ties: the shortest, then
    alphabetical), so "Haringey" (40 rows) and "London Borough of Haringey" (2) become one area "Haringey"."""
    names: dict[str, str] = {}
    keys: dict[str, str] = {}
    refused: dict[str, int] = {}
    best: dict[str, tuple[int, int, str]] = {}
    for value, rows in counts.items():
        if not value.strip():
            continue
        key = area_name_key(value)
        if not key or _AREA_SEPARATORS.search(f" {key} "):
            refused[value] = refused.get(value, 0) + rows
            continue
        keys[value] = key
        name = area_display_name(value)
        rank = (-rows, len(name), name)
        if key not in best or rank < best[key]:
            best[key] = rank
            names[key] = name
    return AreaMapping(names=names, keys=keys, refused=refused)


def area_refusal_message(refused: Mapping[str, int]) -> str:
    """The migration's refusal: every value it cannot map, with how many rows hold it."""
    listed = "; ".join(f"{value!r} ({rows} rows)" for value, rows in sorted(refused.items()))
    return (
        "These local-authority areas cannot be mapped to one area each: "
        f"{listed}. Correct them to one area's name (docs/areas.md) and migrate again."
    )


# --- Sanctions after a breach (Haringey 6.6; DESIGN 2.5) --------------------------------------------------------
# Haringey 6.6: the partner organisations agree "action and/or sanction(s)" after a breach. DESIGN 2.5: a
# suspension "is enforced by the access policy, not just written down": agencies.policy.sharing_refusal reads
# these through sanction_refusal before anything is sent or received.


class SanctionScope(StrEnum):
    SENSITIVE_TIER = "sensitive_tier"  # the detailed and sensitive tier only; the minimum data still flows
    PROTOCOL = "protocol"  # the whole protocol: nothing is sent or received


class SanctionDirection(StrEnum):
    SEND = "send"
    RECEIVE = "receive"
    BOTH = "both"


# The tiers of information (protocols.models.Tier, disclosures.rules.Tier): only the sensitive one is reached by a
# sanction of the sensitive tier.
SHARING_TIERS = ("minimum", "sensitive")
SENSITIVE_TIER = "sensitive"

_SCOPE_WORDS = {
    SanctionScope.SENSITIVE_TIER: "detailed and sensitive information",
    SanctionScope.PROTOCOL: "any information under the protocol",
}
_DIRECTION_WORDS = {"send": "send", "receive": "receive"}


@dataclass(frozen=True)
class SanctionFacts:
    """One sanction, as the rule needs it (agencies.AgencySanction). In force from `from_on` until the day before
    `until_on` (the day it is lifted), or for as long as the partnership keeps it when `until_on` is None."""

    scope: str
    direction: str
    from_on: date
    until_on: date | None
    reason: str = ""
    breach_reference: str = ""


def sanction_in_force(sanction: SanctionFacts, on: date) -> bool:
    return sanction.from_on <= on and (sanction.until_on is None or on < sanction.until_on)


def sanction_reaches(sanction: SanctionFacts, *, tier: str, direction: str) -> bool:
    """Whether the sanction stops `direction` ("send" or "receive") of `tier` (in force or not)."""
    if sanction.direction not in {SanctionDirection.BOTH, direction}:
        return False
    return sanction.scope == SanctionScope.PROTOCOL or tier == SENSITIVE_TIER


def sanction_refusal(
    sanctions: Iterable[SanctionFacts], *, tier: str, direction: str, on: date, agency_name: str = "This agency"
) -> str | None:
    """Why an agency under `sanctions` may not `direction` ("send" or "receive") information of `tier` on the day
    `on` (None when none of them stops it), in words naming the sanction and when it is lifted (Haringey 6.6;
    DESIGN 2.5). When several stop it, the one that lasts longest is named (a suspension from the whole protocol
    before one from the sensitive tier): that is the one that decides when it may again."""
    if tier not in SHARING_TIERS:
        raise ValueError(f"Unknown tier {tier!r}")
    if direction not in _DIRECTION_WORDS:
        raise ValueError(f"Unknown direction {direction!r}")
    stopping = [
        s for s in sanctions if sanction_in_force(s, on) and sanction_reaches(s, tier=tier, direction=direction)
    ]
    if not stopping:
        return None
    sanction = max(
        stopping,
        key=lambda s: (s.until_on is None, s.until_on or on, s.scope == SanctionScope.PROTOCOL, s.from_on),
    )
    what = _SCOPE_WORDS[SanctionScope(sanction.scope)]
    until = (
        f"until {bounds.long_date(sanction.until_on)}"
        if sanction.until_on is not None
        else "until the partnership lifts the sanction"
    )
    breach = f" (breach {sanction.breach_reference})" if sanction.breach_reference else ""
    reason = f" The reason given: {sanction.reason.strip()}" if sanction.reason.strip() else ""
    if reason and not reason.endswith((".", "!", "?")):
        reason += "."
    return (
        f"{agency_name} is suspended by a sanction{breach} from {bounds.long_date(sanction.from_on)} {until}, so it "
        f"cannot {_DIRECTION_WORDS[direction]} {what}.{reason}"
    )
