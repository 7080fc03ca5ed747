"""Logging filters: an outage, or a refusal, is one line per event in the log, not a traceback (issue 8).

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


class RefusalOneLineFilter(logging.Filter):
    """A refusal (a 4xx: a 403, a 413 body too large, a 400 for a malformed request) is an expected event, not a
    fault: log it as one warning line, without the traceback Django attaches (django.request for 403s,
    django.security.* for SuspiciousOperation such as RequestDataTooBig, logged at ERROR). The audit row is
    the record of the refusal; the traceback says nothing about it but where Django noticed."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        refusal = record.name.startswith("django.security.") or (
            record.name == "django.request" and isinstance(status, int) and 400 <= status < 500
        )
        if refusal and (record.exc_info or record.levelno > logging.WARNING):
            record.exc_info = None
            record.exc_text = None
            record.stack_info = None
            record.levelno = logging.WARNING
            record.levelname = logging.getLevelName(logging.WARNING)
        return True
