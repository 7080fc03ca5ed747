from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from isp_portal.navigation import nav_for


def portal(request: HttpRequest) -> dict[str, Any]:
    """What every page's layout needs: names, the navigation for this user, the CSP nonce."""
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    return {
        "service_name": settings.SERVICE_NAME,
        "partnership_name": settings.PARTNERSHIP_NAME,
        "signed_in": signed_in,
        "nav_items": SimpleLazyObject(lambda: nav_for(user, request.path) if signed_in else []),
        "csp_nonce": getattr(request, "csp_nonce", ""),
    }
