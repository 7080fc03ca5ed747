"""Only one beat schedules at a time (issue 8 item 16; DESIGN 3.3).

Sweeps are idempotent, so two beats doubled nothing — but nothing showed that two were running, and each
doubled the load. `SingleBeatScheduler` (CELERY_BEAT_SCHEDULER) holds a PostgreSQL session advisory lock on a
connection of its own for as long as it schedules. A second beat does not get the lock: it says so once,
schedules nothing, and tries again every few seconds, so it takes over when the first one stops (PostgreSQL
drops a session lock the moment its connection dies, even on SIGKILL: no stale lock to expire).

Each beat names its connection (`application_name`), so `/healthz` can show which beat schedules and which
wait (`beat_instances`).
"""

from __future__ import annotations

import logging
import os
import socket
import time
from typing import Any

import psycopg2
from celery.beat import PersistentScheduler
from django.conf import settings
from django.db import connection

logger = logging.getLogger(__name__)

# pg_advisory_lock(bigint) key: one beat per database. Below 2**31, so pg_locks shows it as objid.
BEAT_LOCK_KEY = 0x15B_EA7
APPLICATION_NAME_PREFIX = "isp-beat"
# A standby asks for the lock this often; the lock holder checks its connection this often.
STANDBY_RETRY_SECONDS = 5.0
HOLDER_CHECK_SECONDS = 5.0


def _instance_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class BeatLock:
    """The scheduling lock, on a dedicated autocommit connection (not Django's, which may be closed)."""

    def __init__(self) -> None:
        self.name = _instance_name()
        self.connection: Any = None
        self.holding = False
        self._checked_at = 0.0
        self._said_waiting = False
        self._said_unreachable = False

    def _connect(self) -> Any:
        db: dict[str, Any] = settings.DATABASES["default"]
        options: dict[str, Any] = dict(db.get("OPTIONS") or {})
        conn = psycopg2.connect(
            dbname=db["NAME"],
            user=db["USER"] or None,
            password=db["PASSWORD"] or None,
            host=db["HOST"] or None,
            port=db["PORT"] or None,
            application_name=f"{APPLICATION_NAME_PREFIX} {self.name}",
            connect_timeout=5,
            **options,
        )
        conn.autocommit = True
        return conn

    def held(self) -> bool:
        """True while this beat holds the lock (asking for it, or checking it is still held, as needed)."""
        now = time.monotonic()
        if self.holding and now - self._checked_at < HOLDER_CHECK_SECONDS:
            return True
        self._checked_at = now
        try:
            if self.connection is None or self.connection.closed:
                self.connection = self._connect()
                self.holding = False
            with self.connection.cursor() as cursor:
                if self.holding:
                    cursor.execute("SELECT 1")  # the lock lives as long as this connection
                    return True
                cursor.execute("SELECT pg_try_advisory_lock(%s)", [BEAT_LOCK_KEY])
                self.holding = bool(cursor.fetchone()[0])
        except psycopg2.Error as error:
            reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            if self.holding:
                logger.warning("beat %s lost its scheduling lock (%s); scheduling paused", self.name, reason)
            elif not self._said_unreachable:  # once per outage, not every few seconds
                logger.warning("beat %s cannot reach the database for its scheduling lock: %s", self.name, reason)
            self._said_unreachable = True
            self.release()
            return False
        self._said_unreachable = False
        if self.holding:
            self._said_waiting = False
            logger.info("beat %s holds the scheduling lock: it schedules the sweeps", self.name)
        elif not self._said_waiting:
            self._said_waiting = True
            holders = [name for name, holds in _instances(self.connection) if holds]
            logger.warning(
                "another beat is scheduling (%s); beat %s waits as a standby and takes over if it stops",
                ", ".join(holders) or "unknown",
                self.name,
            )
        return self.holding

    def release(self) -> None:
        self.holding = False
        if self.connection is not None:
            try:
                self.connection.close()  # closing the session releases the advisory lock
            except psycopg2.Error:
                logger.debug("closing the beat lock connection failed", exc_info=True)
            self.connection = None


class SingleBeatScheduler(PersistentScheduler):
    """Celery's persistent scheduler, scheduling only while it holds the beat lock."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.beat_lock = BeatLock()
        super().__init__(*args, **kwargs)

    def tick(self, *args: Any, **kwargs: Any) -> float:
        if not self.beat_lock.held():
            return STANDBY_RETRY_SECONDS
        interval: float = super().tick(*args, **kwargs)
        return min(interval, HOLDER_CHECK_SECONDS)

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.beat_lock.release()


def _instances(conn: Any) -> list[tuple[str, bool]]:
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT substr(a.application_name, %s), l.pid IS NOT NULL FROM pg_stat_activity a "
            "LEFT JOIN pg_locks l ON l.pid = a.pid AND l.locktype = 'advisory' AND l.classid = 0 "
            "AND l.objid = %s AND l.objsubid = 1 AND l.granted "
            "WHERE a.datname = current_database() AND a.application_name LIKE %s ORDER BY a.backend_start",
            [len(APPLICATION_NAME_PREFIX) + 2, BEAT_LOCK_KEY, f"{APPLICATION_NAME_PREFIX} %"],
        )
        return [(str(name), bool(holds)) for name, holds in cursor.fetchall()]


def beat_instances() -> list[tuple[str, bool]]:
    """Every beat connected to this database: (host:pid, holds the scheduling lock), oldest first."""
    return _instances(connection)
