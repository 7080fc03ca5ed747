"""Signing in: password, then a TOTP code (DESIGN 4).

A user is *not* signed in after the password step: the session only holds a pending sign-in (user id and
time) until the second factor is checked, and only then does `login()` run (which also issues a new
session key). Wrong passwords go through django-axes (username + IP lockout, 15-minute cool-off); wrong
codes count towards the same lockout, and django-otp refuses a code that has already been used.

A locked-out username and address can complete no step of sign-in: the password step (axes' backend), the
two-factor step, two-factor set-up, the start of a sign-in from an invitation, and the final `login()` each
ask `locked_out` first, and a lockout ends the pending sign-in so the cool-off cannot be waited out in it.

Published demo credentials (isp_portal.demo_context) open nothing outside demo mode.
"""

from __future__ import annotations

import time
from base64 import b32encode
from dataclasses import dataclass
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth import authenticate, get_user_model, login, logout
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django_otp import login as otp_login
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.services import ActorIdentity, audit_record
from isp_portal.demo_context import demo_credential_refused
from isp_portal.middleware import SESSION_LAST_SEEN_AT, SESSION_SIGNED_IN_AT

PENDING_USER = "isp_pending_user"
PENDING_AT = "isp_pending_at"
PENDING_SECONDS = 300


class SignInLockedOut(PermissionDenied):
    """A step of sign-in was attempted for a username locked out from this address (django-axes)."""


def locked_out(request: HttpRequest, user: Any) -> bool:
    """Is this user's username locked out from this request's address (AXES_LOCKOUT_PARAMETERS)?"""
    return not AxesProxyHandler.is_allowed(request, credentials={settings.AXES_USERNAME_FORM_FIELD: user.email})


def end_pending_sign_in(request: HttpRequest) -> None:
    for key in (PENDING_USER, PENDING_AT):
        request.session.pop(key, None)


def pending_step_allowed(request: HttpRequest, user: Any) -> bool:
    """Before any step after the password: False (and the pending sign-in ended) if the user is locked out."""
    if locked_out(request, user):
        end_pending_sign_in(request)
        request.axes_locked_out = True  # type: ignore[attr-defined]
        return False
    return True


@dataclass(frozen=True)
class PasswordOutcome:
    user: Any | None
    locked_out: bool = False


def password_check(request: HttpRequest, *, email: str, password: str) -> PasswordOutcome:
    """Check the password. On success, start a pending sign-in (new session key) and return the user."""
    email = email.strip().lower()
    user = authenticate(request, email=email, password=password)
    if getattr(request, "axes_locked_out", False):
        return PasswordOutcome(user=None, locked_out=True)
    refused = user is not None and demo_credential_refused(password=password)
    if user is None or getattr(user, "is_system", False) or refused:
        audit_record(
            kind="auth.sign_in_failed",
            actor=ActorIdentity(user_id=None, label=email[:254]),
            outcome="failed",
            detail={"step": "password", **({"reason": "published demo password outside demo mode"} if refused else {})},
        )
        return PasswordOutcome(user=None)
    begin_pending_sign_in(request, user)
    if not settings.TWO_FACTOR_REQUIRED:
        complete_sign_in(request, user=user, device=None)
    return PasswordOutcome(user=user)


def begin_pending_sign_in(request: HttpRequest, user: Any) -> None:
    """The first factor is done (a password checked, or just chosen from an invitation): remember who, for
    five minutes, in a new session, until the second factor is done. Refused while locked out."""
    if locked_out(request, user):
        raise SignInLockedOut("This sign-in is paused for 15 minutes after too many wrong attempts.")
    request.session.cycle_key()
    request.session[PENDING_USER] = user.pk
    request.session[PENDING_AT] = time.time()


def pending_user(request: HttpRequest) -> Any | None:
    """The user who passed the password step in this session, if it was less than five minutes ago."""
    user_id = request.session.get(PENDING_USER)
    started = request.session.get(PENDING_AT)
    if not user_id or not isinstance(started, int | float) or time.time() - started > PENDING_SECONDS:
        return None
    return get_user_model().objects.filter(pk=user_id, is_active=True).first()


def confirmed_device(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()


def code_check(request: HttpRequest, *, user: Any, device: TOTPDevice, code: str) -> str | None:
    """Check a TOTP code. Returns None when it is right, else the message to show.

    django-otp refuses a code that has already been used (replay) and slows down repeated failures; each
    failure also counts towards the axes lockout for this username and IP. A locked-out username and address
    is refused before the code is even looked at (request.axes_locked_out is set: the caller shows the
    locked-out page)."""
    if not pending_step_allowed(request, user):
        return "This sign-in is paused for 15 minutes after too many wrong attempts."
    if demo_credential_refused(email=user.email, totp_key=device.key):
        _code_failed(request, user, "published demo two-factor key outside demo mode")
        return "This authenticator cannot be used here. Ask your agency admin to reset your two-factor set-up."
    allowed, _ = device.verify_is_allowed()
    if not allowed:
        _code_failed(request, user, "throttled")
        return "You have entered too many wrong codes. Wait a minute, then try again."
    if device.verify_token(code.strip().replace(" ", "")):
        return None
    _code_failed(request, user, "wrong or reused code")
    return "The code is wrong or has already been used. Enter the current code from your authenticator app."


def _code_failed(request: HttpRequest, user: Any, reason: str) -> None:
    audit_record(
        kind="auth.two_factor_failed",
        actor=ActorIdentity(user_id=user.pk, label=user.email),
        outcome="failed",
        detail={"reason": reason},
    )
    user_login_failed.send(sender=__name__, credentials={"email": user.email}, request=request)


def complete_sign_in(request: HttpRequest, *, user: Any, device: TOTPDevice | None) -> None:
    """Both factors passed: sign the user in (Django issues a new session key) and start the clocks.
    The last guard of the lockout: never signs in a username locked out from this address."""
    if locked_out(request, user):
        end_pending_sign_in(request)
        raise SignInLockedOut("This sign-in is paused for 15 minutes after too many wrong attempts.")
    end_pending_sign_in(request)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    if device is not None:
        otp_login(request, device)
    now = timezone.now().timestamp()
    request.session[SESSION_SIGNED_IN_AT] = now
    request.session[SESSION_LAST_SEEN_AT] = now
    audit_record(kind="auth.sign_in", actor=user, detail={"two_factor": device is not None})


def sign_out(request: HttpRequest) -> None:
    if request.user.is_authenticated:
        audit_record(kind="auth.sign_out", actor=request.user)
    logout(request)


@transaction.atomic
def enrolment_device(user: Any) -> TOTPDevice:
    """The unconfirmed device a user is setting up (created on first visit, reused after)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    return device


@transaction.atomic
def enrolment_confirm(request: HttpRequest, *, user: Any, device: TOTPDevice, code: str) -> str | None:
    """Confirm a new authenticator with a first code; on success the user is signed in."""
    message = code_check(request, user=user, device=device, code=code)
    if message:
        return message
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user, confirmed=False).exclude(pk=device.pk).delete()
    audit_record(
        kind="auth.two_factor_enrolled",
        actor=ActorIdentity(user_id=user.pk, label=user.email),
        object_type="otp_totp.totpdevice",
        object_id=str(device.pk),
    )
    complete_sign_in(request, user=user, device=device)
    return None


@transaction.atomic
def device_register(*, actor: Any, user: Any, key_hex: str, name: str = "Authenticator app") -> TOTPDevice:
    """Register an already-known TOTP key for a user (the demo seeder and test factories use this; people
    enrol through the set-up page instead). A key derivable from the source (the demo keys) only in demo
    mode."""
    if demo_credential_refused(email=user.email, totp_key=key_hex):
        raise ValidationError({"key_hex": "The published demo two-factor keys are for demo mode only."})
    device = TOTPDevice.objects.create(user=user, name=name, key=key_hex, confirmed=True)
    audit_record(
        kind="auth.two_factor_enrolled",
        actor=actor,
        object_type="otp_totp.totpdevice",
        object_id=str(device.pk),
        detail={"user_id": user.pk, "registered_by_system": True},
    )
    return device


def provisioning_secret(device: TOTPDevice) -> str:
    """The secret in the base32 form authenticator apps accept for typing in."""
    return b32encode(device.bin_key).decode("ascii").rstrip("=")


def demo_code(device: TOTPDevice) -> str | None:
    """In demo mode only: the current code, shown on the sign-in page so newcomers get in quickly."""
    if not settings.DEMO_MODE:
        return None
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    if device.last_t >= totp.t():
        # This step's code was used already (a second sign-in within 30 seconds): show the next one, which
        # django-otp accepts within its tolerance of one step.
        totp.time += device.step * (device.last_t + 1 - totp.t())
    return f"{totp.token():0{device.digits}d}"
