"""Signing in (password, then TOTP), lockout, sessions and their timeouts (DESIGN 4)."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import Client, override_settings
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies.models import Membership, Role
from agencies.services import membership_deactivate, user_deactivate
from audit.models import AuditEvent
from isp_portal.middleware import SESSION_LAST_SEEN_AT, SESSION_SIGNED_IN_AT
from tests.browser.conftest import current_code
from tests.factories import PASSWORD, SYSTEM, World, make_user, sign_in

pytestmark = pytest.mark.django_db


def password_step(client: Client, email: str, password: str = PASSWORD, **extra: str) -> object:
    return client.post("/sign-in/", {"email": email, "password": password}, **extra)


def test_wrong_password_is_refused_and_audited(world: World) -> None:
    user = world.users["practitioner"]
    response = password_step(Client(), user.email, "wrong password entirely")
    assert response.status_code == 200
    assert "Enter a correct email address and password" in response.content.decode()
    event = AuditEvent.objects.get(kind="auth.sign_in_failed")
    assert event.actor_label == user.email and event.outcome == "failed" and event.ip == "127.0.0.1"


def test_password_alone_does_not_sign_in(world: World) -> None:
    client = Client()
    user = world.users["practitioner"]
    response = password_step(client, user.email)
    assert response.status_code == 302 and response["Location"] == "/sign-in/two-factor/"
    assert client.get("/").status_code == 302  # still not signed in


def test_password_then_code_signs_in_with_a_new_session_key(world: World) -> None:
    client = Client()
    user = world.users["practitioner"]
    client.get("/sign-in/")
    password_step(client, user.email.upper())  # email addresses are case-insensitive
    key_after_password = client.session.session_key
    response = client.post("/sign-in/two-factor/", {"code": current_code(user)})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.session.session_key != key_after_password
    assert client.get("/").status_code == 200
    assert AuditEvent.objects.filter(kind="auth.sign_in", actor_id=user.pk).count() == 1


def test_wrong_code_is_refused_and_audited(world: World) -> None:
    client = Client()
    user = world.users["practitioner"]
    password_step(client, user.email)
    response = client.post("/sign-in/two-factor/", {"code": "000000"})
    assert response.status_code == 200
    assert "The code is wrong or has already been used" in response.content.decode()
    assert AuditEvent.objects.filter(kind="auth.two_factor_failed", actor_id=user.pk).exists()
    assert client.get("/").status_code == 302


def test_a_code_cannot_be_used_twice(world: World) -> None:
    user = world.users["practitioner"]
    code = current_code(user)
    first = Client()
    password_step(first, user.email)
    assert first.post("/sign-in/two-factor/", {"code": code}).status_code == 302
    second = Client()
    password_step(second, user.email)
    response = second.post("/sign-in/two-factor/", {"code": code})
    assert response.status_code == 200
    assert "already been used" in response.content.decode()


def test_a_non_numeric_code_gets_a_field_error(world: World) -> None:
    client = Client()
    password_step(client, world.users["practitioner"].email)
    response = client.post("/sign-in/two-factor/", {"code": "abcdef"})
    assert "The security code must be numbers only" in response.content.decode()


def test_pending_sign_in_expires_after_five_minutes(world: World) -> None:
    client = Client()
    user = world.users["practitioner"]
    password_step(client, user.email)
    session = client.session
    session["isp_pending_at"] = time.time() - 301
    session.save()
    response = client.post("/sign-in/two-factor/", {"code": current_code(user)})
    assert response.status_code == 302 and response["Location"] == "/sign-in/"


def test_user_without_a_device_enrols_before_getting_in(world: World) -> None:
    user = make_user(name="New Starter", agency=world.home, roles=[Role.PRACTITIONER], device=False)
    client = Client()
    response = password_step(client, user.email)
    assert response["Location"] == "/sign-in/set-up-two-factor/"
    page = client.get("/sign-in/set-up-two-factor/")
    assert page.status_code == 200 and b"<svg" in page.content and b"Setup key" in page.content
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key)
    totp.time = time.time()
    response = client.post("/sign-in/set-up-two-factor/", {"code": f"{totp.token():06d}"})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/").status_code == 200
    assert AuditEvent.objects.filter(kind="auth.two_factor_enrolled", actor_id=user.pk).exists()


class TestLockout:
    def test_five_failures_lock_the_username_from_that_ip_for_15_minutes(self, world: World) -> None:
        user = world.users["practitioner"]
        client = Client()
        for _ in range(5):
            password_step(client, user.email, "wrong password entirely")
        response = password_step(client, user.email)  # even the right password
        assert response.status_code == 429
        assert "paused for 15 minutes" in response.content.decode()
        assert AuditEvent.objects.filter(kind="auth.locked_out").exists()
        # Another address is not locked out (lockout is on username + IP, so nobody can lock a user out).
        other_ip = password_step(Client(), user.email, REMOTE_ADDR="198.51.100.7")
        assert other_ip.status_code == 302
        # After the cool-off it works again: it is never permanent.
        AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
        assert password_step(Client(), user.email).status_code == 302

    def test_wrong_codes_count_towards_the_lockout(self, world: World) -> None:
        user = world.users["practitioner"]
        client = Client()
        password_step(client, user.email)
        for _ in range(5):
            client.post("/sign-in/two-factor/", {"code": "000000"})
        assert password_step(Client(), user.email).status_code == 429


class TestLockoutCoversEveryStep:
    """A locked-out username and address cannot complete any step of sign-in (issue 8 item 7)."""

    def lock_out(self, email: str) -> None:
        for _ in range(5):
            password_step(Client(), email, "wrong password entirely")

    def test_wrong_codes_lock_out_the_same_half_signed_in_session(self, world: World) -> None:
        user = world.users["practitioner"]
        client = Client()
        password_step(client, user.email)
        for _ in range(5):
            response = client.post("/sign-in/two-factor/", {"code": "000000"})
        assert response.status_code == 429  # the fifth wrong code locks out
        # The right code in the same session does not finish the sign-in, and is not even used up.
        response = client.post("/sign-in/two-factor/", {"code": current_code(user)})
        assert response.status_code in {302, 429}
        assert client.get("/").status_code == 302
        assert not AuditEvent.objects.filter(kind="auth.sign_in", actor_id=user.pk).exists()
        # The pending sign-in is over: after the cool-off, it starts again from the password.
        AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
        TOTPDevice.objects.get(user=user).throttle_reset()  # django-otp's own back-off has passed too
        assert client.get("/sign-in/two-factor/")["Location"] == "/sign-in/"
        assert password_step(client, user.email).status_code == 302
        assert client.post("/sign-in/two-factor/", {"code": current_code(user)})["Location"] == "/"

    def test_a_session_past_the_password_cannot_finish_once_locked_out(self, world: World) -> None:
        user = world.users["practitioner"]
        client = Client()
        assert password_step(client, user.email).status_code == 302  # half signed in
        self.lock_out(user.email)  # then someone at the same address guesses passwords
        page = client.get("/sign-in/two-factor/")
        assert page.status_code == 429 and "paused for 15 minutes" in page.content.decode()
        response = client.post("/sign-in/two-factor/", {"code": current_code(user)})
        assert response.status_code != 200 or "paused" in response.content.decode()
        assert client.get("/").status_code == 302
        assert not AuditEvent.objects.filter(kind="auth.sign_in", actor_id=user.pk).exists()

    def test_the_lockout_is_per_address(self, world: World) -> None:
        user = world.users["practitioner"]
        elsewhere = Client(REMOTE_ADDR="198.51.100.7")
        password_step(elsewhere, user.email, REMOTE_ADDR="198.51.100.7")
        self.lock_out(user.email)  # from 127.0.0.1
        response = elsewhere.post("/sign-in/two-factor/", {"code": current_code(user)}, REMOTE_ADDR="198.51.100.7")
        assert response.status_code == 302 and response["Location"] == "/"

    def test_two_factor_set_up_is_refused_while_locked_out(self, world: World) -> None:
        user = make_user(name="New Starter", agency=world.home, roles=[Role.PRACTITIONER], device=False)
        client = Client()
        assert password_step(client, user.email)["Location"] == "/sign-in/set-up-two-factor/"
        client.get("/sign-in/set-up-two-factor/")
        device = TOTPDevice.objects.get(user=user, confirmed=False)
        self.lock_out(user.email)
        from django_otp.oath import TOTP

        totp = TOTP(device.bin_key)
        totp.time = time.time()
        response = client.post("/sign-in/set-up-two-factor/", {"code": f"{totp.token():06d}"})
        assert response.status_code == 429
        device.refresh_from_db()
        assert not device.confirmed
        assert client.get("/").status_code == 302

    def test_wrong_codes_at_set_up_lock_out_too(self, world: World) -> None:
        user = make_user(name="New Starter", agency=world.home, roles=[Role.PRACTITIONER], device=False)
        client = Client()
        password_step(client, user.email)
        client.get("/sign-in/set-up-two-factor/")
        for _ in range(5):
            response = client.post("/sign-in/set-up-two-factor/", {"code": "000000"})
        assert response.status_code == 429
        assert client.get("/sign-in/set-up-two-factor/")["Location"] == "/sign-in/"

    def test_an_invitation_cannot_start_a_sign_in_while_locked_out(self, world: World) -> None:
        from agencies.services import invitation_create

        _, token = invitation_create(
            actor=world.users["agency_admin"],
            agency=world.home,
            email="new.colleague@test.example",
            full_name="New Colleague",
            roles=[Role.PRACTITIONER],
        )
        self.lock_out("new.colleague@test.example")
        client = Client()
        response = client.post(
            f"/invitations/{token}/",
            {"password": "Brand-new-colleague-phrase-8", "password_again": "Brand-new-colleague-phrase-8"},
        )
        assert response.status_code == 429
        assert client.get("/sign-in/set-up-two-factor/")["Location"] == "/sign-in/"

    def test_complete_sign_in_itself_refuses_a_locked_out_user(self, world: World) -> None:
        from django.test import RequestFactory

        from isp_portal import signin

        user = world.users["practitioner"]
        self.lock_out(user.email)
        request = RequestFactory().post("/sign-in/two-factor/")
        request.session = Client().session
        with pytest.raises(signin.SignInLockedOut):
            signin.complete_sign_in(request, user=user, device=signin.confirmed_device(user))
        with pytest.raises(signin.SignInLockedOut):
            signin.begin_pending_sign_in(request, user)


class TestSessions:
    def test_idle_for_15_minutes_signs_out(self, world: World, client_for: object) -> None:
        client = client_for("practitioner")  # type: ignore[operator]
        session = client.session
        session[SESSION_LAST_SEEN_AT] = (timezone.now() - timedelta(minutes=16)).timestamp()
        session.save()
        response = client.get("/notifications/")
        assert response.status_code == 302 and response["Location"].startswith("/sign-in/")
        assert client.get("/").status_code == 302
        assert AuditEvent.objects.filter(kind="auth.session_expired", detail__reason="idle").exists()

    def test_twelve_hours_signs_out_even_when_active(self, world: World, client_for: object) -> None:
        client = client_for("practitioner")  # type: ignore[operator]
        session = client.session
        session[SESSION_SIGNED_IN_AT] = (timezone.now() - timedelta(hours=12, minutes=1)).timestamp()
        session.save()
        assert client.get("/").status_code == 302
        assert AuditEvent.objects.filter(kind="auth.session_expired", detail__reason="absolute").exists()

    def test_activity_keeps_the_session_alive(self, world: World, client_for: object) -> None:
        client = client_for("practitioner")  # type: ignore[operator]
        session = client.session
        session[SESSION_LAST_SEEN_AT] = (timezone.now() - timedelta(minutes=14)).timestamp()
        session.save()
        assert client.get("/").status_code == 200
        assert timezone.now().timestamp() - client.session[SESSION_LAST_SEEN_AT] < 5

    def test_session_that_skipped_two_factor_is_not_signed_in(self, world: World) -> None:
        client = Client()
        client.force_login(world.users["practitioner"])  # no OTP device in the session
        assert client.get("/").status_code == 302
        assert client.get("/api/v1/me/").status_code == 401

    def test_deactivating_a_membership_ends_the_users_sessions_at_once(self, world: World, client_for: object) -> None:
        client = client_for("practitioner")  # type: ignore[operator]
        assert client.get("/").status_code == 200
        membership = Membership.objects.get(user=world.users["practitioner"])
        membership_deactivate(actor=world.users["agency_admin"], membership=membership, reason="Left the team")
        assert client.get("/").status_code == 302
        assert client.get("/api/v1/me/").status_code == 401

    def test_deactivating_a_user_ends_their_sessions(self, world: World, client_for: object) -> None:
        client = client_for("designated_manager")  # type: ignore[operator]
        user_deactivate(actor=SYSTEM, user=world.users["designated_manager"], reason="Left the council")
        assert client.get("/").status_code == 302
        response = password_step(Client(), world.users["designated_manager"].email)
        assert response.status_code == 200  # an inactive user cannot sign in again

    def test_sign_out_needs_post_and_ends_the_session(self, world: World, client_for: object) -> None:
        client = client_for("practitioner")  # type: ignore[operator]
        assert client.get("/sign-out/").status_code == 405
        assert client.post("/sign-out/").status_code == 302
        assert client.get("/").status_code == 302
        assert AuditEvent.objects.filter(kind="auth.sign_out").exists()


def test_post_without_csrf_token_is_refused_with_a_clear_page(world: World) -> None:
    client = sign_in(Client(enforce_csrf_checks=True), world.users["practitioner"])
    response = client.post("/sign-out/")
    assert response.status_code == 403
    assert "Your form could not be sent" in response.content.decode()
    assert client.get("/").status_code == 200  # still signed in: nothing happened


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_client_ip_is_taken_from_the_trusted_proxy(world: World) -> None:
    password_step(
        Client(),
        world.users["practitioner"].email,
        "wrong password entirely",
        HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.20",
        REMOTE_ADDR="10.0.0.2",
    )
    # One trusted proxy appended 198.51.100.20 (the address it saw); 203.0.113.9 was client-supplied.
    assert AuditEvent.objects.get(kind="auth.sign_in_failed").ip == "198.51.100.20"


def test_pages_are_not_cached_and_carry_the_security_headers(world: World, client_for: object) -> None:
    response = client_for("practitioner").get("/")  # type: ignore[operator]
    assert response["Cache-Control"] == "no-store"
    policy = response["Content-Security-Policy"]
    for directive in (
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "script-src 'self' 'nonce-",
    ):
        assert directive in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
