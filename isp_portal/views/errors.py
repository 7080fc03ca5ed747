"""GOV.UK-style error pages. Django calls these for 403, 404, 500 and CSRF failures."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from isp_portal.policy import who_can_help


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
    return render(request, "errors/403.html", {"reason": reason, "helper": who_can_help(request.user)}, status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return _json_error(500, "server_error", "Something went wrong. It has been logged.")
    return render(request, "errors/500.html", status=500)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return _json_error(400, "bad_request", "The request could not be understood.")
    return render(request, "errors/400.html", status=400)


def csrf_failure(request: HttpRequest, reason: str = "", **kwargs: Any) -> HttpResponse:
    """A form was sent without a valid CSRF token, usually because the page was open too long."""
    if request.path.startswith("/api/"):
        return _json_error(403, "csrf_failed", "CSRF check failed: send the X-CSRFToken header with session auth.")
    return render(request, "errors/csrf.html", status=403)
