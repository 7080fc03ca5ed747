"""Pure rules of the agencies app: ICO registration, training validity, the signatory checklist, CSV rows.

No ORM, no I/O: dates and plain values in, plain values out, so each can be tested in microseconds.
"""

from __future__ import annotations

import calendar
import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

# Haringey 4.1-4.2: the ICO notification is renewed yearly; reminders go out this many days before expiry.
REMINDER_DAYS = (60, 30, 7)
# Southampton 18: each requirement is confirmed by the agency and renewed every year.
CHECKLIST_VALIDITY_MONTHS = 12
CHECKLIST_RENEWAL_WARNING_DAYS = 30

# ICO registration numbers: one or two letters then six or seven digits (e.g. Z1234567, ZA123456).
ICO_NUMBER = re.compile(r"^[A-Z]{1,2}\d{6,7}$")
# A UK phone number: 10 or 11 digits, starting 0 (or +44 in place of the 0), spaces allowed.
UK_PHONE = re.compile(r"^(?:0|\+44\s?)(?:\d\s?){9,10}$")


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


def phone_is_valid(value: str) -> bool:
    return bool(UK_PHONE.match(value.strip()))


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


def training_expiry(completed_on: date, validity_months: int | None) -> date | None:
    return add_months(completed_on, validity_months) if validity_months else None


class ChecklistStatus(StrEnum):
    COMPLETE = "complete"
    DUE_FOR_RENEWAL = "due for renewal"
    INCOMPLETE = "incomplete"


def confirmation_expires_on(confirmed_on: date) -> date:
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


def parse_training_csv(text: str, today: date) -> tuple[list[TrainingRow], list[RowError]]:
    """Parse a training-records CSV (header: email, course, completed_on, expires_on, evidence).

    Returns the rows and every problem found, each with its line number. Callers import nothing unless
    the error list is empty (all or nothing)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")), restkey=_EXTRA)
    header = [name.strip().lower() for name in (reader.fieldnames or [])]
    missing = [column for column in TRAINING_CSV_COLUMNS[:3] if column not in header]
    if missing:
        return [], [RowError(1, f"the header must include {', '.join(missing)}")]
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
        if completed and completed > today:
            problems.append("completed_on is in the future")
        if completed and expires and expires <= completed:
            problems.append("expires_on must be after completed_on")
        if problems:
            errors.append(RowError(index, "; ".join(problems)))
            continue
        assert completed is not None
        rows.append(TrainingRow(index, email, course, completed, expires, record.get("evidence", "")[:200]))
    if not rows and not errors:
        errors.append(RowError(1, "the file has no rows"))
    return rows, errors
