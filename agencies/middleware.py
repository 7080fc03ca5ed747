"""request.user from the cached identity (agencies/identity.py): in place of Django's AuthenticationMiddleware
and django-otp's OTPMiddleware, which would spend three statements (user, device, then the memberships in the
view) on every signed-in request."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

from agencies.identity import request_user


class IdentityMiddleware:
    """Set request.user lazily: the first reader pays at most one statement, and none when it is cached. Like
    the two middleware it replaces, it must come after SessionMiddleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.user = SimpleLazyObject(lambda: _cached_user(request))  # type: ignore[assignment]
        return self.get_response(request)


def _cached_user(request: HttpRequest) -> Any:
    if not hasattr(request, "_cached_user"):
        request._cached_user = request_user(request)  # type: ignore[attr-defined]
    return request._cached_user  # type: ignore[attr-defined]
