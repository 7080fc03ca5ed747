"""Disputes: raising one, positions, escalation, advice, the decision, case-file records, withdrawal, and the sweep
(issue 13; Southampton 13; docs/after-disclosure-design.md 6.3).

WP1 stub, owned by WP4: the sweep's signature is the contract disclosures.tasks.after_sweep calls.
"""

from __future__ import annotations

from datetime import date, datetime


def disputes_sweep(*, now: datetime, today: date) -> tuple[int, int]:
    """Stage 1 past due escalated, stage 2 past due referred, missing case-file records chased: (rows changed,
    people notified). WP4 writes it; until then nothing is due."""
    return (0, 0)
