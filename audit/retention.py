"""The retention of audit data (issue 15; docs/audit-retention.md): the first month still inside the retention period
(settings.AUDIT_RETENTION_YEARS whole years back from the current month), and whether a month asked of the archive
has passed it. Pure: no ORM, no I/O."""

from __future__ import annotations

from datetime import date


def first_kept_month(today: date, years: int) -> date:
    """The first day of the oldest month kept online: `years` whole years before the current month."""
    if years < 1:
        raise ValueError("The audit data's retention is at least one year.")
    return date(today.year - years, today.month, 1)


def month_past_retention(month: date, *, today: date, years: int) -> bool:
    """Whether every event before `month` (the first day of a month) is past retention: an archive may only take
    months wholly before the first month kept."""
    return month <= first_kept_month(today, years)


def parse_month(text: str) -> date:
    """A month as YYYY-MM, as its first day; ValueError naming the form when it is not one."""
    try:
        year, month = (int(part) for part in text.split("-"))
        if len(text) != 7:
            raise ValueError
        return date(year, month, 1)
    except ValueError:
        raise ValueError(f"{text!r} is not a month: give it as YYYY-MM, for example 2019-04.") from None
