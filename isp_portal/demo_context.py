"""What apps' demo seeders share: the system actor they act as, what earlier apps created, and the demo
credentials — which exist only in demo mode (DESIGN 4: demo data and demo credentials exist only in demo
mode; nothing derivable from the source protects a real account).

The demo password, the demo API token and the demo two-factor keys are published (README, this file), so
they must never open anything outside demo mode. Three guards make that hold even if a demo database is
later served with demo mode off: `seed_demo` refuses to run, the password rules refuse the demo password,
and sign-in, two-factor and API-token checks refuse the demo credentials (`demo_credential_refused`).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError

from isp_portal.policy import SystemActor

# Every demo person signs in with this password (it passes the password rules) and, in demo mode, sees
# their two-factor code on the sign-in page.
DEMO_PASSWORD = "Northbridge-demo-2026-partnership"  # noqa: S105 - published demo password
DEMO_EMAIL_DOMAIN = "northbridge.example"
# A fixed API token for the demo council's case-management system, so the README can show a curl call.
DEMO_API_TOKEN = "isp_demo-northbridge-council-case-system-token-0000000000"  # noqa: S105 - published demo token


class DemoModeOff(ImproperlyConfigured):
    """Something that plants or prints demo credentials was asked for while demo mode is off."""


def demo_mode_required(what: str) -> None:
    """Refuse `what` unless demo mode is on (development settings; production refuses demo mode)."""
    if not settings.DEMO_MODE:
        raise DemoModeOff(
            f"{what} is only possible in demo mode, and demo mode is off. Demo data carries a published "
            "password, API token and two-factor keys, so it must never reach a real database. "
            "To try the portal, use `make run` (development settings, DEMO_MODE=true)."
        )


def demo_totp_key(email: str) -> str:
    """Each demo user's TOTP key, derived from their email so it is the same on every machine. Anyone can
    derive it from this source, so it is accepted only in demo mode (`demo_credential_refused`)."""
    return hashlib.sha1(f"isp-portal-demo:{email.lower()}".encode()).hexdigest()  # noqa: S324 - a key, not a hash


def is_demo_password(password: str) -> bool:
    return hmac.compare_digest(password.encode(), DEMO_PASSWORD.encode())


def is_demo_api_token(secret: str) -> bool:
    return hmac.compare_digest(secret.encode(errors="replace"), DEMO_API_TOKEN.encode())


def is_demo_totp_key(*, email: str, key_hex: str) -> bool:
    return hmac.compare_digest(key_hex.lower().encode(), demo_totp_key(email).encode())


def demo_credential_refused(*, password: str = "", api_token: str = "", email: str = "", totp_key: str = "") -> bool:
    """True when a published demo credential is presented while demo mode is off: it must open nothing."""
    if settings.DEMO_MODE:
        return False
    return (
        (bool(password) and is_demo_password(password))
        or (bool(api_token) and is_demo_api_token(api_token))
        or (bool(email) and bool(totp_key) and is_demo_totp_key(email=email, key_hex=totp_key))
    )


class DemoPasswordValidator:
    """Outside demo mode nobody may choose the published demo password (AUTH_PASSWORD_VALIDATORS)."""

    def validate(self, password: str, user: Any = None) -> None:
        if not settings.DEMO_MODE and is_demo_password(password):
            raise ValidationError(
                "This password is published in the portal's documentation. Choose another.",
                code="password_published",
            )

    def get_help_text(self) -> str:
        return "Your password cannot be the published demo password."


@dataclass
class DemoContext:
    actor: SystemActor = field(default_factory=lambda: SystemActor("seed_demo"))
    objects: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, str] = field(default_factory=dict)
