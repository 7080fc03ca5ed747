"""Where a request comes from: the client's address (behind trusted proxies) and its request id, which the middleware
binds into the audit trail's request context (audit.context, on the ground floor)."""

from __future__ import annotations

import ipaddress
import uuid

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The client's IP address, trusting X-Forwarded-For only as far as TRUSTED_PROXY_COUNT proxies.

    Each trusted proxy appends the address it received the request from, so the client is the entry that
    many places from the right; anything further left was supplied by the client and cannot be trusted.
    Used by the audit trail and by django-axes (AXES_CLIENT_IP_CALLABLE), so both agree.
    """
    proxies = settings.TRUSTED_PROXY_COUNT
    candidate: str | None = request.META.get("REMOTE_ADDR")
    if proxies > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= proxies:
            candidate = forwarded[-proxies]
    if not candidate:
        return None
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


def request_id_from(request: HttpRequest) -> uuid.UUID:
    """Reuse a well-formed X-Request-ID from the trusted proxy (to correlate logs); otherwise make one."""
    supplied = request.META.get("HTTP_X_REQUEST_ID", "")
    if supplied and settings.TRUSTED_PROXY_COUNT > 0:
        try:
            return uuid.UUID(supplied)
        except ValueError:
            pass
    return uuid.uuid4()
