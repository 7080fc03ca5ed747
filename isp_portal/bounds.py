"""The bounds of what the portal accepts: text lengths by purpose, numbers, and plausible dates (issue 8).

Pure and typed (no ORM, no I/O). Models take their database limits from here (a CharField's max_length, a
CheckConstraint on the length of a TextField, a plausible-date window on every date column), and forms and
API serializers take theirs from the same names, so the browser, the API and the database agree.

Why bounds at all: everything typed into the portal is kept for years, some of it (reasons, notes) copied into
the append-only audit trail that can never be cleaned; a 5 MB "reason" would be there for ever. And a value the
database cannot hold must be refused as a form error or an API 400, never met first by PostgreSQL as a 500.
"""

from __future__ import annotations

from datetime import date

# --- Text: maximum lengths by purpose (characters) ----------------------------------------------------------
NAME = 200  # a person's or an organisation's name, a title, a job title
ADDRESS = 500  # a postal address, several lines
REASON = 2_000  # a reason, a note, a comment, an attestation: a few paragraphs
REQUIREMENT = 1_000  # one item of the signatory checklist, one action of a plan
LONG_TEXT = 20_000  # written findings, a scope, minutes, a draft extract, a response to it
PROTOCOL_TEXT = 300_000  # the whole text of a protocol (the Haringey protocol is about 60,000 characters)
LIST_ITEMS = 50  # items in a list entered one per line (purposes, fields of a tier), or ids in a list
CSV_TEXT = 2 * 1024 * 1024  # an uploaded CSV of training records (2 MB, as the upload form allows)
PHONE = 30  # a phone number as typed, spaces and brackets included (stored as E.164: at most 16)
PASSWORD = 1_000  # long enough for any passphrase; bounds the hashing work an attacker can ask for

# What the audit trail keeps of any one free-text value in an event's detail: enough to read the reason, never
# megabytes in a table that can never be cleaned. Longer text is cut and says so (audit.services).
AUDIT_TEXT = 1_000
AUDIT_LIST_ITEMS = 200

# --- Numbers --------------------------------------------------------------------------------------------------
# Object ids are PostgreSQL bigints (DEFAULT_AUTO_FIELD = BigAutoField).
ID_MAX = 2**63 - 1
SMALL_INT_MAX = 32_767  # PositiveSmallIntegerField: what the column can hold
REQUIREMENT_NUMBER_MAX = 999  # the signatory checklist has 20 items (Southampton 18); room to renumber
REVIEW_MONTHS_MAX = 60  # a protocol is reviewed at least every five years (Haringey 5.1 asks for yearly)
RETENTION_MONTHS_MAX = 600  # a default retention of at most fifty years
WORKING_DAYS_MAX = 60  # response times and consultation periods, in working days
AGE_MAX = 25  # the oldest age a protocol's scope reaches (Haringey 2.1; Southampton 5: care leavers to 25)
EXTENDED_AGE_MAX = 30

# --- Dates ----------------------------------------------------------------------------------------------------
# Every date the portal records (agreements, training, vetting, ICO registrations, reviews, meetings) belongs to
# the era of information-sharing protocols under the Data Protection Act 1998 and after: nothing before 2000,
# and nothing beyond the end of this century. Tighter windows per meaning are in the apps' rules (for example
# agencies.rules.ico_expiry_window). The database holds this window as a CheckConstraint on every date column.
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2099, 12, 31)
# Children's dates of birth, and the dates of their addresses, reach further back: a protocol's extended scope
# covers young people to EXTENDED_AGE_MAX (care leavers, additional needs), so some were born in the 1990s.
EARLIEST_BIRTH_DATE = date(1990, 1, 1)


def has_nul(value: str) -> bool:
    """PostgreSQL cannot store a NUL character in text, and no person types one."""
    return "\x00" in value


def date_in_era(value: date) -> bool:
    return EARLIEST_DATE <= value <= LATEST_DATE


def long_date(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def date_window_error(value: date, earliest: date, latest: date) -> str | None:
    """Why `value` is outside [earliest, latest], in words, or None when it is inside."""
    if value < earliest:
        return f"The date must be on or after {long_date(earliest)}."
    if value > latest:
        return f"The date must be on or before {long_date(latest)}."
    return None


ERA_ERROR = f"The date must be between {long_date(EARLIEST_DATE)} and {long_date(LATEST_DATE)}."


def truncated(text: str, limit: int = AUDIT_TEXT) -> str:
    """`text` cut to at most `limit` characters in all, ending by saying that it was cut and how long it was."""
    if len(text) <= limit:
        return text
    note = f"… [truncated: {len(text)} characters in all]"
    return text[: max(limit - len(note), 0)] + note
