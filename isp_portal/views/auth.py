"""Sign-in, two-factor, sign-out. The logic lives in isp_portal.signin; these only handle the pages."""

from __future__ import annotations

from typing import Any

import segno
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from audit.services import ActorIdentity, audit_record
from isp_portal import signin
from isp_portal.forms import SignInForm, TwoFactorCodeForm

NEXT = "isp_next"


def _safe_next(request: HttpRequest, candidate: str | None) -> str | None:
    if candidate and url_has_allowed_host_and_scheme(candidate, {request.get_host()}, request.is_secure()):
        return candidate
    return None


@sensitive_post_parameters("password")
@never_cache
def sign_in(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("dashboard")
    form = SignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        outcome = signin.password_check(
            request, email=form.cleaned_data["email"], password=form.cleaned_data["password"]
        )
        if outcome.locked_out:
            return locked_out(request)  # AxesMiddleware would answer the same; this keeps the view honest
        if outcome.user is not None:
            request.session[NEXT] = _safe_next(request, request.GET.get("next")) or ""
            if request.user.is_authenticated:  # two-factor turned off (never in production)
                return redirect(request.session.pop(NEXT, "") or "dashboard")
            if signin.confirmed_device(outcome.user) is None:
                return redirect("two-factor-setup")
            return redirect("two-factor")
        form.add_error(None, "Enter a correct email address and password.")
    return render(request, "auth/sign_in.html", {"form": form})


def _locked_out_page(request: HttpRequest, user: Any) -> HttpResponse:
    return locked_out(request, credentials={"email": user.email})


@never_cache
def two_factor(request: HttpRequest) -> HttpResponse:
    user = signin.pending_user(request)
    if user is None:
        messages.info(request, "Sign in again: your sign-in took longer than 5 minutes or has not started.")
        return redirect("sign-in")
    if not signin.pending_step_allowed(request, user):  # locked out: no step of sign-in, not even this page
        return _locked_out_page(request, user)
    device = signin.confirmed_device(user)
    if device is None:
        return redirect("two-factor-setup")
    form = TwoFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        problem = signin.code_check(request, user=user, device=device, code=form.cleaned_data["code"])
        if getattr(request, "axes_locked_out", False):
            signin.end_pending_sign_in(request)
            return _locked_out_page(request, user)
        if problem is None:
            try:
                signin.complete_sign_in(request, user=user, device=device)
            except signin.SignInLockedOut:
                return _locked_out_page(request, user)
            return redirect(request.session.pop(NEXT, "") or "dashboard")
        form.add_error("code", problem)
    return render(request, "auth/two_factor.html", {"form": form, "demo_code": signin.demo_code(device)})


@never_cache
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    user = signin.pending_user(request)
    if user is None:
        messages.info(request, "Sign in again: your sign-in took longer than 5 minutes or has not started.")
        return redirect("sign-in")
    if not signin.pending_step_allowed(request, user):
        return _locked_out_page(request, user)
    if signin.confirmed_device(user) is not None:
        return redirect("two-factor")
    device = signin.enrolment_device(user)
    form = TwoFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            problem = signin.enrolment_confirm(request, user=user, device=device, code=form.cleaned_data["code"])
        except signin.SignInLockedOut:
            return _locked_out_page(request, user)
        if getattr(request, "axes_locked_out", False):
            signin.end_pending_sign_in(request)
            return _locked_out_page(request, user)
        if problem is None:
            messages.success(
                request, "Two-factor authentication is set up. You will need your app each time you sign in."
            )
            return redirect(request.session.pop(NEXT, "") or "dashboard")
        form.add_error("code", problem)
    qr = segno.make(device.config_url, error="m")
    context: dict[str, Any] = {
        "form": form,
        "qr_svg": qr.svg_inline(scale=5, title="QR code to add ISP Portal to your authenticator app"),
        "secret": signin.provisioning_secret(device),
        "demo_code": signin.demo_code(device),
    }
    return render(request, "auth/two_factor_setup.html", context)


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    signin.sign_out(request)
    return redirect("signed-out")


def signed_out(request: HttpRequest) -> HttpResponse:
    return render(request, "auth/signed_out.html")


def locked_out(request: HttpRequest, original_response: Any = None, credentials: Any = None) -> HttpResponse:
    """The page for a username + IP that django-axes has locked out (AXES_LOCKOUT_CALLABLE calls this
    too). Recorded in the audit trail once per request."""
    if getattr(request, "_isp_lockout_response", None) is not None:
        return request._isp_lockout_response  # type: ignore[attr-defined]
    email = ""
    if isinstance(credentials, dict):
        email = str(credentials.get("email", ""))
    elif request.method == "POST":
        email = str(request.POST.get("email", ""))
    audit_record(
        kind="auth.locked_out",
        actor=ActorIdentity(user_id=None, label=email.strip().lower()[:254]),
        outcome="denied",
        detail={"cool_off_minutes": 15},
    )
    response = render(request, "auth/locked_out.html", status=429)
    request._isp_lockout_response = response  # type: ignore[attr-defined]
    return response
