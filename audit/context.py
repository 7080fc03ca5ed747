"""Who is acting, from where, in which request: carried in a context variable so that the audit service can stamp
every event with the request id and client IP without each caller passing them along.

The ground floor holds the variable; the web layer (isp_portal.middleware) binds it for each request, working out the
client's address and request id (isp_portal.request_context), so the dependency runs one way: up to down.
"""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: uuid.UUID
    ip: str | None
    path: str


_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar("isp_request", default=None)


def current() -> RequestContext | None:
    return _current.get()


@contextmanager
def bound(context: RequestContext) -> Iterator[RequestContext]:
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)
