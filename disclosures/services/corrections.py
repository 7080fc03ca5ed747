"""Corrections: recording a correction of a disclosed entry, fanning it out to every agency that received the entry,
acknowledgements, inaccuracy reports, and the sweep (issue 13; Southampton 9; docs/after-disclosure-design.md 6.2).

WP1 stub, owned by WP3: `correction_notices_catch_up`'s signature is the contract `disclosure_make` (WP2) calls, and
the sweep's the one disclosures.tasks.after_sweep calls.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime


def correction_notices_catch_up(*, entry_ids: Collection[int], disclosure_id: int | None = None) -> int:
    """Issue the notices a correction of `entry_ids` owes to agencies that received an older revision (only through
    `disclosure_id`, when given): so a correction issued while a disclosure was being made still reaches its
    recipient. Returns how many notices were created. WP3 writes it; until then there are no corrections."""
    return 0


def corrections_sweep(*, now: datetime, today: date) -> tuple[int, int]:
    """Catch-up fan-out, chasing and escalating unacknowledged notices, overdue reports: (rows changed, people
    notified). WP3 writes it; until then nothing is due."""
    return (0, 0)
