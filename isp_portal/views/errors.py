"""GOV.UK-style error pages. Django calls these for 403, 404, 500 and CSRF failures.

Rule: an error page never needs the service that failed. The 500 and 503 pages are rendered without a
request context (no session, user, navigation or anything else that queries), and a database that cannot be
reached (OperationalError / InterfaceError, wherever it is raised: a view, a middleware, another error
page) gives the GOV.UK "service unavailable" page with 503, or the API's JSON error shape with 503.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string

from isp_portal.middleware import InvalidFormEncoding
from isp_portal.policy import who_can_help
from isp_portal.refusals import record_csrf_failure, record_refused_request

logger = logging.getLogger(__name__)

# The database is down or its connection broke: nothing the user did, and it passes (retry later).
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30


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
    context = {"reason": reason, "help": who_can_help(request.user, reason)}
    return render(request, "errors/403.html", context, status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: Django calls it inside the `except` of the failed request, so sys.exc_info() is the cause."""
    if isinstance(sys.exc_info()[1], DATABASE_UNAVAILABLE):
        return service_unavailable(request)
    if request.path.startswith("/api/"):
        return _json_error(500, "server_error", "Something went wrong. It has been logged.")
    return HttpResponse(render_to_string("errors/500.html"), status=500)  # no request: no context processors


def service_unavailable(request: HttpRequest) -> HttpResponse:
    """The database cannot be reached: 503 with a GOV.UK page (or the API's JSON error), needing nothing."""
    if request.path.startswith("/api/"):
        response: HttpResponse = _json_error(
            503, "service_unavailable", "The service is unavailable: its database cannot be reached. Try again later."
        )
    else:
        response = HttpResponse(render_to_string("errors/503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


# Django's refusals of a body beyond its limits (DATA_UPLOAD_MAX_MEMORY_SIZE, DATA_UPLOAD_MAX_NUMBER_FIELDS and
# _FILES): too large to take, so 413 Content Too Large (RFC 9110 15.5.14), not a generic 400.
TOO_LARGE = (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent)


def _size(limit: int) -> str:
    """A size limit as people say it: 12 MB, 512 KB."""
    if limit >= 1024 * 1024:
        return f"{limit / (1024 * 1024):g} MB"
    return f"{max(limit // 1024, 1)} KB"


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler400. A body over the limits is a 413 and recorded (the audit row is the record: the log has one
    line, isp_portal.log_filters); a form that is not UTF-8 is a 400 saying so (FormEncodingMiddleware)."""
    api = request.path.startswith("/api/")
    if isinstance(exception, TOO_LARGE):
        try:
            record_refused_request(request, status=413, fields=[], reason="request body too large")
        except DatabaseError:  # the refusal page must not need the database
            logger.warning("could not record a refused oversized request")
        limit = _size(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        if api:
            return _json_error(413, "too_large", f"The request body is larger than the {limit} the portal accepts.")
        context = {
            "limit": limit,
            "fields": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS,
            "too_many_fields": not isinstance(exception, RequestDataTooBig),
        }
        return render(request, "errors/413.html", context, status=413)
    if isinstance(exception, InvalidFormEncoding):
        if api:
            return _json_error(400, "invalid_encoding", "The request body is not valid UTF-8.")
        return render(request, "errors/400.html", {"reason": str(exception)}, status=400)
    if api:
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
