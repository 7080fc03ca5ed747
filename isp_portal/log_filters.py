"""Logging filters: an outage is one line per event in the log, not a traceback (issue 8 item 16).

While PostgreSQL is down every request fails the same way; Django logs each with the full traceback, which
buries everything else. The cause is already plain from the exception's type and first line, and the
user has had the "service unavailable" page (isp_portal.views.errors).
"""

from __future__ import annotations

import logging

from django.db import InterfaceError, OperationalError


class DatabaseOutageFilter(logging.Filter):
    """Turn a record carrying a database-unreachable exception into one line without the traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, OperationalError | InterfaceError):
            first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
            record.msg = f"{record.getMessage()} (database unavailable: {type(error).__name__}: {first_line})"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True
