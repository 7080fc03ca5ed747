"""How the portal writes names, dates and counts in the text people read: one place, so every page, message
and e-mail says them the same way (GOV.UK style: "4 December 2026", "Children's Services' admins",
"1 comment", "0 comments")."""

from __future__ import annotations

import datetime
import functools

from django.utils import timezone


def possessive(name: object) -> str:
    """`name` with a possessive ending: "Ada Admin's", but "Children's Services'" (not "Services's")."""
    text = str(name)
    return f"{text}'" if text.endswith(("s", "S")) else f"{text}'s"


def long_date(value: datetime.date, zone: datetime.tzinfo | None = None) -> str:
    """A date the GOV.UK way, without a leading zero: "4 December 2026". A datetime gives its local date (in
    `zone` when given: the current time zone read once for a table, docs/fast-pages.md §4)."""
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = value.astimezone(zone or timezone.get_current_timezone())  # timezone.localtime
        value = value.date()
    return _day_month_year(value)


@functools.lru_cache(maxsize=4096)
def _day_month_year(value: datetime.date) -> str:
    # Pure, and the same few hundred dates on every page: strftime's %B costs 4 µs a date.
    return f"{value.day} {value:%B %Y}"


@functools.lru_cache(maxsize=1024)
def month_year(value: datetime.date) -> str:
    """A month: "November 2026" (as the `date:"F Y"` filter writes it, without its cost on every row)."""
    return f"{value:%B %Y}"


def local_date(value: datetime.datetime, zone: datetime.tzinfo) -> datetime.date:
    """`timezone.localdate(value)` in a zone read once (a context-local read, about 7 µs here, more than the
    conversion): for the many moments of one table or count."""
    return value.astimezone(zone).date()


def long_datetime(value: datetime.datetime) -> str:
    """A moment in local time: "4 December 2026, 14:05" (the same as the DATETIME_FORMAT setting)."""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{local.day} {local:%B %Y, %H:%M}"


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """ "1 comment", "0 comments", "3 agencies" (pass `plural` when adding an s is not enough)."""
    word = singular if count == 1 else (plural or f"{singular}s")
    return f"{count} {word}"
