"""The portal with audit recording switched off, for the disclosure-path benchmark's `no_audit` variant only
(design12 8 and F9): `audit.services.audit_record` and `audit_record_many` become no-ops in this process (and
`disclosure_log_record_with_events` writes the log row alone), and in
every module that imported them by name. Nothing in the product can switch auditing off; this module is imported
by nothing but the benchmark.

The disclosure log is kept (design12 F9: it is part of making a disclosure, written in the same transaction), so
its rows name audit event 0, which no event has.

`application` is the portal's WSGI application with auditing off, for the benchmark's no-audit server
(`gunicorn benchmarks.no_audit_app:application`, started by benchmarks/disclosure_path.py); `disable_audit()` does
the switching, and would do the same for a process that calls the services directly.
"""

from __future__ import annotations

import os
import sys
from typing import Any

NO_EVENT_ID = 0


def _no_event(**_: Any) -> int:
    return NO_EVENT_ID


def _no_events(*, events: Any, **_: Any) -> list[int]:
    # One id per event, as audit_record_many returns, so a caller naming each event in its log rows still can.
    return [NO_EVENT_ID for _ in events]


def _log_without_events(*, draft: Any, **_: Any) -> int:
    # A disclosure's log row is kept (design12 F9), naming no event; its audit events are not written.
    from dataclasses import replace

    from audit.services import disclosure_log_record

    disclosure_log_record(draft=replace(draft, event_id=NO_EVENT_ID))
    return NO_EVENT_ID


def disable_audit() -> None:
    """Replace the two recording functions, in audit.services and wherever a loaded module bound them by name
    (`from audit.services import audit_record`); modules loaded later import the replacements."""
    from audit import services

    replacements = {
        services.audit_record: _no_event,
        services.audit_record_many: _no_events,
        services.disclosure_log_record_with_events: _log_without_events,
    }
    services.audit_record = _no_event
    services.audit_record_many = _no_events
    services.disclosure_log_record_with_events = _log_without_events
    for module in list(sys.modules.values()):
        namespace = getattr(module, "__dict__", None)
        if not isinstance(namespace, dict):
            continue
        for name, value in list(namespace.items()):
            try:
                replacement = replacements.get(value)
            except TypeError:  # an unhashable module attribute
                continue
            if replacement is not None:
                setattr(module, name, replacement)


_portal: Any = None


def application(environ: dict[str, Any], start_response: Any) -> Any:
    """The portal's WSGI application, loaded on the first request with auditing disabled before the portal's
    modules are imported (the server process only: the benchmark's client and the product are untouched)."""
    global _portal
    if _portal is None:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "isp_portal.settings.production")
        import django

        django.setup()
        disable_audit()
        from isp_portal.wsgi import application as portal

        _portal = portal
    return _portal(environ, start_response)
