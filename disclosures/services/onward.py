"""Onward disclosure: requests to pass information on, the originator's decision, the onward disclosure, and the
sweep (issue 13; Southampton 10-11; docs/after-disclosure-design.md 6.1).

WP1 stub, owned by WP2: the sweep's signature is the contract disclosures.tasks.after_sweep calls.
"""

from __future__ import annotations

from datetime import date, datetime


def onward_requests_sweep(*, now: datetime, today: date) -> tuple[int, int]:
    """Overdue onward requests told, unanswered ones expired, unused agreements and those on ended parents lapsed:
    (rows changed, people notified). WP2 writes it; until then nothing is due."""
    return (0, 0)
