"""How often one person (or one agency system) may search the child index: a practitioner searches a few times a
minute; a script listing the index by many searches is slowed and the attempt recorded (issue 10: 120 searches in
a row all answered; WYCPS "history of enquiries to the register"). The one rule for the search page and the API,
asked by sharing.selectors.child_search before the search runs. Counted in the cache (Redis), per user, in
windows of a minute; the limit is the CHILD_SEARCHES_PER_MINUTE setting (0: no limit)."""

from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache

from audit.services import audit_record
from isp_portal.cache import REDIS_DOWN

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60


class SearchesTooFrequent(Exception):
    """More searches in this minute than CHILD_SEARCHES_PER_MINUTE: answered 429 with `message` (the page and
    the API), after `retry_after` seconds."""

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        self.message = (
            f"You have searched the child index more than {settings.CHILD_SEARCHES_PER_MINUTE} times in a minute. "
            f"Wait {retry_after} seconds, then search again with the details you have (a full name with the date "
            "of birth, or the NHS number)."
        )
        super().__init__(self.message)


def _key(user: Any, window: int) -> str:
    # The database's name too: suites and deployments that share a Redis server never count each other's users.
    return f"child-search:{settings.DATABASES['default']['NAME']}:{getattr(user, 'pk', 0)}:{window}"


def search_paced(user: Any) -> None:
    """Count one search by `user`; SearchesTooFrequent when it is over the minute's limit. The first refusal of a
    minute is an audit event (access.refused), the others are not (a script would fill the trail). While
    Redis cannot be reached the search is let through: the limit slows a listing, the audit trail records it."""
    limit = settings.CHILD_SEARCHES_PER_MINUTE
    if limit <= 0 or not getattr(user, "pk", None):
        return
    now = time.time()
    window = int(now // WINDOW_SECONDS)
    key = _key(user, window)
    try:
        cache.add(key, 0, timeout=WINDOW_SECONDS * 2)
        count = int(cache.incr(key))
    except (ValueError, *REDIS_DOWN):
        logger.warning("The child search pace could not be counted: the search is let through")
        return
    if count <= limit:
        return
    retry_after = max(1, int((window + 1) * WINDOW_SECONDS - now))
    if count == limit + 1:
        audit_record(
            kind="access.refused",
            actor=user,
            outcome="denied",
            object_type="sharing.child",
            detail={"status": 429, "limit_per_minute": limit, "reason": "too many searches"},
        )
    raise SearchesTooFrequent(retry_after)


def search_pace_reset(user: Any) -> None:
    """Forget `user`'s count for this minute (tests that search many times, and an admin's 'let them search')."""
    cache.delete(_key(user, int(time.time() // WINDOW_SECONDS)))
