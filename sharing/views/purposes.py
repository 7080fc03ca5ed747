"""The purpose a user stated for looking at a child, kept in their session for a bounded time (DESIGN 4; DPA 2018
s62: every view of a child's record is logged with its justification). A search's purpose holds for the children
it found; a purpose given on a child's page holds for that child. Never in a URL."""

from __future__ import annotations

import time
from typing import Any

from django.http import HttpRequest

from sharing import rules

SESSION_KEY = "sharing_purposes"
# How long a stated purpose stays valid for a child in the session.
PURPOSE_SECONDS = 30 * 60
# The most children one session remembers a purpose for (a search shows at most 50).
REMEMBERED_MAX = 100


def _table(request: HttpRequest) -> dict[str, list[Any]]:
    table = request.session.get(SESSION_KEY)
    return table if isinstance(table, dict) else {}


def purpose_for(request: HttpRequest, child_id: int) -> str | None:
    """The purpose stated for this child within the last PURPOSE_SECONDS, or None."""
    held = _table(request).get(str(child_id))
    if not isinstance(held, list) or len(held) != 2:
        return None
    purpose, stated_at = held
    if not isinstance(purpose, str) or not isinstance(stated_at, int | float):
        return None
    try:
        # A purpose kept before the rule was checked on the form (or under an older rule) is asked for again
        # rather than refused by the record's selectors (which would answer 500).
        purpose = rules.purpose_cleaned(purpose)
    except rules.RuleError:
        return None
    return purpose if time.time() - stated_at < PURPOSE_SECONDS else None


def remember_purpose(request: HttpRequest, child_ids: list[int], purpose: str) -> None:
    """Keep `purpose` for these children; the oldest and expired entries are dropped to keep the table bounded."""
    now = time.time()
    table = {
        key: value
        for key, value in _table(request).items()
        if isinstance(value, list) and len(value) == 2 and now - value[1] < PURPOSE_SECONDS
    }
    for child_id in child_ids:
        table[str(child_id)] = [purpose, now]
    if len(table) > REMEMBERED_MAX:
        table = dict(sorted(table.items(), key=lambda item: item[1][1])[-REMEMBERED_MAX:])
    request.session[SESSION_KEY] = table
