"""Sessions kept in the cache and backed by the database (Django's `cached_db`), with the save of an existing
session written as one plain UPDATE (issue 9; docs/fast-pages.md).

Django's database backend saves through the ORM: a model instance built, `save(force_update=True)` compiled
into an UPDATE on every call, inside `transaction.atomic()` (a COMMIT round trip of its own outside a
transaction). A search saves the session every time (the purposes it stated are kept there for the children
it found: sharing/views/purposes.py), so that was about a tenth of a search's CPU. The UPDATE here is the same
statement, run in autocommit (a single statement is atomic by itself), with the same data, expiry and
cache write as Django's; creating, loading, deleting and cycling a session are Django's own.
"""

from __future__ import annotations

import logging

from django.contrib.sessions.backends import cached_db
from django.contrib.sessions.backends.base import UpdateError
from django.db import DatabaseError, connections, router

logger = logging.getLogger("django.contrib.sessions")

_UPDATE = 'UPDATE "django_session" SET "session_data" = %s, "expire_date" = %s WHERE "session_key" = %s'


class SessionStore(cached_db.SessionStore):
    def save(self, must_create: bool = False) -> None:
        if must_create or self.session_key is None:
            super().save(must_create)  # a new session: Django's INSERT, CreateError on a clash
            return
        data = self._get_session()  # type: ignore[attr-defined]  # Django's, not in its stubs
        using = router.db_for_write(self.model)
        try:
            with connections[using].cursor() as cursor:
                cursor.execute(_UPDATE, [self.encode(data), self.get_expiry_date(), self.session_key])
                updated = cursor.rowcount
        except DatabaseError:
            raise UpdateError from None
        if updated != 1:
            # Deleted meanwhile (signed out in another tab, or ended by the session policy): as Django's
            # force_update, which the session middleware answers with SessionInterrupted.
            raise UpdateError
        try:
            self._cache.set(self.cache_key, self._session, self.get_expiry_age())  # type: ignore[attr-defined]
        except Exception:
            logger.exception("Error saving to cache (%s)", self._cache)  # type: ignore[attr-defined]
