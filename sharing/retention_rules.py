"""Leaving the age scope and retention (Southampton 5, 8 and 11; issue 11): pure rules, plain values in and out.

* A child passes the protocol version's age scope on the birthday after `age_max` (the ranges are inclusive:
  sharing.rules.age_scope_refusal), or after `extended_age_max` for a young person with one of the version's
  extending conditions (Southampton 5: care leavers, significant learning difficulties or disabilities, to 25).
* Past the scope, a record is kept only while an extending condition applies, or with the young person's
  recorded consent (Southampton 11: "consent is only required ... to retain records for young people past 18");
  otherwise it is closed (Southampton 8: "not kept for any longer than is necessary"), a grace period of working
  days after the lead professionals are told (closing_date), so the young person can be asked.
* A closed record's content is erased when the protocol version's retention period from its closing has run
  (Southampton 8: "deleted/destroyed appropriately at the end of the retention period").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from consent.rules import months_later
from isp_portal.workdays import DEFAULT_NATION, Nation, add_working_days
from sharing.rules import AgeCondition, AgeScope, age_on


class Keep(StrEnum):
    """Why a record past the age scope is kept."""

    EXTENDING_CONDITION = "extending_condition"
    CONSENT = "consent"


class ClosedUnder(StrEnum):
    """The rule a record was closed under (the values are sharing.models.ClosureRule's)."""

    AGE_SCOPE = "age_scope"  # past age_max, no extending condition, no consent
    EXTENDED_AGE_SCOPE = "extended_age_scope"  # past extended_age_max, no consent
    ADMIN = "admin"  # closed by a partnership admin, with a reason


def birthday_in(born: date, years: int) -> date:
    """The day someone born on `born` turns `years` old: the anniversary, or 1 March for a 29 February birthday
    in a common year (as sharing.rules.age_on counts it)."""
    try:
        return born.replace(year=born.year + years)
    except ValueError:  # 29 February in a common year
        return date(born.year + years, 3, 1)


def latest_birth_date_older_than(age: int, on: date) -> date:
    """The latest date of birth of someone older than `age` on the day `on`: `age_on(born, on) > age` exactly when
    `born <= latest_birth_date_older_than(age, on)`. The sweep's one indexed bound on `born_on`."""
    try:
        return on.replace(year=on.year - age - 1)
    except ValueError:  # `on` is 29 February and that year is common: 28 February is the last day that counts
        return date(on.year - age - 1, 2, 28)


def _extension_applies(scope: AgeScope, *, additional_needs: bool, care_leaver: bool) -> bool:
    if scope.extended_age_max is None:
        return False
    met = {AgeCondition.ADDITIONAL_NEEDS.value} if additional_needs else set()
    if care_leaver:
        met.add(AgeCondition.CARE_LEAVER.value)
    return bool(met & set(scope.extended_conditions))


def scope_ends_on(scope: AgeScope, born: date) -> date:
    """The first day a child born on `born` is past the version's ordinary scope (older than `age_max`)."""
    return birthday_in(born, scope.age_max + 1)


def extended_scope_ends_on(scope: AgeScope, born: date, *, additional_needs: bool, care_leaver: bool) -> date:
    """The first day the child is past the scope with whatever extension it meets (`scope_ends_on` if none)."""
    if _extension_applies(scope, additional_needs=additional_needs, care_leaver=care_leaver):
        assert scope.extended_age_max is not None
        return birthday_in(born, scope.extended_age_max + 1)
    return scope_ends_on(scope, born)


@dataclass(frozen=True)
class Retention:
    """What becomes of a record on a day: `left_on` the day the child passed the ordinary scope (None: still
    within it); `kept` why it is kept (None: it is not); `closed_under` the rule it is closed under (None: it is
    not closed)."""

    left_on: date | None
    kept: Keep | None = None
    closed_under: ClosedUnder | None = None

    @property
    def in_scope(self) -> bool:
        return self.left_on is None


def retention_on(
    scope: AgeScope, born: date, on: date, *, additional_needs: bool, care_leaver: bool, live_consent: bool
) -> Retention:
    """What becomes of the record of a child born on `born`, on the day `on`.

    Within the ordinary scope: nothing. Past it: kept while an extending condition of the version applies (to
    `extended_age_max` inclusive), or while the young person's consent is live (Southampton 11); otherwise
    closed, under the extended scope's rule when an extension had applied, else the ordinary one."""
    if age_on(born, on) <= scope.age_max:
        return Retention(None)
    left_on = scope_ends_on(scope, born)
    extended = _extension_applies(scope, additional_needs=additional_needs, care_leaver=care_leaver)
    if extended and on < extended_scope_ends_on(
        scope, born, additional_needs=additional_needs, care_leaver=care_leaver
    ):
        return Retention(left_on, kept=Keep.EXTENDING_CONDITION)
    if live_consent:
        return Retention(left_on, kept=Keep.CONSENT)
    return Retention(left_on, closed_under=ClosedUnder.EXTENDED_AGE_SCOPE if extended else ClosedUnder.AGE_SCOPE)


GRACE_WORKING_DAYS_MIN = 1


def closing_date(found_on: date, working_days: int, *, nation: Nation = DEFAULT_NATION) -> date:
    """The day a record found on `found_on` past the scope with nothing to keep it by is closed, unless an
    extending condition or the young person's consent is recorded before then: `working_days` working days later
    (at least one), so that the lead professionals told on `found_on` can ask the young person (Southampton 11:
    "consent is only required ... to retain records for young people past 18"). Working days, as the protocol
    counts its response times (Haringey 6: 20 working days for the longest)."""
    return add_working_days(found_on, max(working_days, GRACE_WORKING_DAYS_MIN), nation=nation)


RETENTION_MONTHS_MIN = 1


def erasure_due_on(closed_on: date, retention_months: int) -> date:
    """The day a record closed on `closed_on` is due for erasure: the version's retention period after closing
    (Southampton 8). 29 February + 12 months is 28 February (consent.rules.months_later)."""
    return months_later(closed_on, max(retention_months, RETENTION_MONTHS_MIN))


def erasure_is_due(closed_on: date, retention_months: int, today: date) -> bool:
    return today >= erasure_due_on(closed_on, retention_months)


def record_erasure_due(*, closed_on: date | None, erase_due_on: date | None, today: date) -> bool:
    """Whether a record's content may be erased on `today`: it is closed and its erasure day (erasure_due_on, kept
    on the record) has come (Southampton 8). The one test for sharing.services.retention.child_erase and for every
    app erasing what it holds about the child with it (sharing.signals.child_erased)."""
    return closed_on is not None and erase_due_on is not None and erase_due_on <= today
