"""Demo data and demo credentials exist only in demo mode; nothing derivable from the source protects a real
account (DESIGN 4, issue 8 item 1).

The demo password, the demo API token and the demo two-factor keys are published in the README and the
source. `seed_demo` refuses to plant them unless demo mode is on, production refuses demo mode, and if a
demo database is ever served with demo mode off, none of them opens anything.
"""

from __future__ import annotations

import io
import time
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client, override_settings
from django.utils import timezone
from django_otp.oath import TOTP

from agencies.demo import PEOPLE, demo_email
from agencies.models import Agency, ApiToken, Role, User
from agencies.services import api_token_create, user_create
from audit.models import AuditEvent
from isp_portal.demo_context import DEMO_API_TOKEN, DEMO_PASSWORD, demo_totp_key
from isp_portal.signin import device_register
from tests.factories import SYSTEM, World, make_user
from tests.test_settings import PRODUCTION_ENV, manage

ROOT = Path(__file__).resolve().parent.parent


def _code(key_hex: str) -> str:
    totp = TOTP(bytes.fromhex(key_hex))
    totp.time = time.time()
    return f"{totp.token():06d}"


def test_seed_demo_refuses_under_the_production_settings() -> None:
    result = manage("seed_demo", env=PRODUCTION_ENV)
    assert result.returncode != 0
    assert "only possible in demo mode" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.django_db
def test_seed_demo_and_demo_logins_refuse_when_demo_mode_is_off() -> None:
    with override_settings(DEMO_MODE=False):
        with pytest.raises(CommandError, match="only possible in demo mode"):
            call_command("seed_demo", stdout=io.StringIO())
        out = io.StringIO()
        with pytest.raises(CommandError, match="only possible in demo mode"):
            call_command("demo_logins", stdout=out)
        assert DEMO_PASSWORD not in out.getvalue() and DEMO_API_TOKEN not in out.getvalue()
    assert not Agency.objects.exists() and not ApiToken.objects.exists()
    assert not User.objects.filter(email__endswith="@northbridge.example").exists()


@pytest.mark.django_db
def test_production_settings_refuse_demo_mode_and_published_keys() -> None:
    result = manage("check", env={**PRODUCTION_ENV, "DEMO_MODE": "on"})
    assert result.returncode != 0 and "DEMO_MODE must not be on in production" in result.stderr
    for published in (
        "dev-only-secret-key-not-for-production-0123456789-abcdefghijklmnop",
        "test-only-secret-key-not-for-production-0123456789-abcdefghijklmn",
        "build-only-not-a-secret-0123456789-abcdefghijklmnopqrstuvwxyz",
    ):
        result = manage("check", env={**PRODUCTION_ENV, "SECRET_KEY": published})
        assert result.returncode != 0 and "published development, test or build key" in result.stderr


def test_the_production_stack_has_no_default_database_password() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert ":?" in compose["services"]["postgres"]["environment"]["POSTGRES_PASSWORD"]
    assert ":-" not in compose["x-portal"]["environment"]["DATABASE_URL"]


@pytest.mark.django_db
class TestADemoDatabaseServedWithDemoModeOff:
    """Seeded in demo mode, then served with demo mode off: the published credentials open nothing."""

    @pytest.fixture
    def demo_user(self, settings: object) -> User:
        with override_settings(DEMO_MODE=True):
            call_command("seed_demo", stdout=io.StringIO())
        spec = next(spec for spec in PEOPLE if spec["key"] == "practitioner")
        return User.objects.get(email=demo_email(spec["name"]))

    def test_the_demo_password_does_not_sign_in(self, demo_user: User) -> None:
        client = Client()
        response = client.post("/sign-in/", {"email": demo_user.email, "password": DEMO_PASSWORD})
        assert response.status_code == 200 and "Enter a correct email address and password" in response.content.decode()
        assert client.get("/sign-in/two-factor/").status_code == 302  # no pending sign-in either
        event = AuditEvent.objects.filter(kind="auth.sign_in_failed").latest("id")
        assert event.detail["reason"] == "published demo password outside demo mode"
        with override_settings(DEMO_MODE=True):  # the same account in demo mode: the password works
            assert Client().post("/sign-in/", {"email": demo_user.email, "password": DEMO_PASSWORD}).status_code == 302

    def test_a_demo_two_factor_key_does_not_pass_the_second_step(self, demo_user: User) -> None:
        # Even with a real password of its own, an account keeping a demo device cannot pass the second step.
        demo_user.set_password("A-real-and-private-passphrase-91")
        demo_user.save()
        client = Client()
        assert (
            client.post(
                "/sign-in/", {"email": demo_user.email, "password": "A-real-and-private-passphrase-91"}
            ).status_code
            == 302
        )
        response = client.post("/sign-in/two-factor/", {"code": _code(demo_totp_key(demo_user.email))})
        assert response.status_code == 200 and "cannot be used here" in response.content.decode()
        assert client.get("/").status_code == 302  # not signed in

    def test_the_demo_api_token_is_refused(self, demo_user: User) -> None:
        response = Client(HTTP_AUTHORIZATION=f"Bearer {DEMO_API_TOKEN}").get("/api/v1/me/")
        assert response.status_code == 401
        assert AuditEvent.objects.filter(
            kind="auth.api_token_rejected", detail__reason="published demo token outside demo mode"
        ).exists()


@pytest.mark.django_db
def test_no_published_credential_can_be_planted_outside_demo_mode(world: World) -> None:
    with pytest.raises(ValidationError, match="published"):
        user_create(actor=SYSTEM, email="someone@agency.example", full_name="Some One", password=DEMO_PASSWORD)
    user = make_user(agency=world.home, roles=[Role.PRACTITIONER], device=False)
    with pytest.raises(ValidationError, match="demo mode only"):
        device_register(actor=SYSTEM, user=user, key_hex=demo_totp_key(user.email))
    with pytest.raises(ValidationError, match="demo mode only"):
        api_token_create(
            actor=SYSTEM,
            agency=world.home,
            name="Case system",
            scopes=["register:read"],
            expires_at=timezone.now() + timedelta(days=30),
            secret=DEMO_API_TOKEN,
        )
    assert not ApiToken.objects.filter(name="Case system").exists()
