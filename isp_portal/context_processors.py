from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def portal(request: HttpRequest) -> dict[str, Any]:
    """What every page's layout needs: names, whether someone is signed in, the CSP nonce. (The navigation is
    `{% service_navigation %}`, rendered once per combination of items: isp_portal/navigation.py.)"""
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    return {
        "service_name": settings.SERVICE_NAME,
        "partnership_name": settings.PARTNERSHIP_NAME,
        "signed_in": signed_in,
        "csp_nonce": getattr(request, "csp_nonce", ""),
    }
