"""GOV.UK-style error pages. Django calls these for 403, 404, 500 and CSRF failures."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from isp_portal.refusals import record_csrf_failure

logger = logging.getLogger(__name__)


def _json_error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"status": status, "code": code, "message": message}}, status=status)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return _json_error(404, "not_found", "Not found.")
    return render(request, "errors/404.html", status=404)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    reason = getattr(request, "access_denied_reason", "") or "You do not have permission to do this."
    if request.path.startswith("/api/"):
        return _json_error(403, "permission_denied", reason)
    return render(request, "errors/403.html", {"reason": reason}, status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return _json_error(500, "server_error", "Something went wrong. It has been logged.")
    return render(request, "errors/500.html", status=500)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith("/api/") and isinstance(exception, RequestDataTooBig):
        megabytes = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)
        return _json_error(413, "too_large", f"The request body is larger than the {megabytes} MB the portal accepts.")
    if request.path.startswith("/api/"):
        return _json_error(400, "bad_request", "The request could not be understood.")
    return render(request, "errors/400.html", status=400)


def csrf_failure(request: HttpRequest, reason: str = "", **kwargs: Any) -> HttpResponse:
    """A form was sent without a valid CSRF token, usually because the page was open too long (or another
    site tried to act in the user's name): a refused attempt to change something, so it is recorded."""
    try:
        record_csrf_failure(request, reason)
    except DatabaseError:  # the refusal page must not need the database (it is recorded when it can be)
        logger.exception("could not record a CSRF failure")
    if request.path.startswith("/api/"):
        return _json_error(403, "csrf_failed", "CSRF check failed: send the X-CSRFToken header with session auth.")
    return render(request, "errors/csrf.html", status=403)
