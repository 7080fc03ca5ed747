"""`manage.py seed_demo` builds a believable partnership, through the services, and is idempotent."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from agencies.demo import LOGIN_KEYS, PEOPLE, demo_email
from agencies.models import Agency, AgencyKind, ApiToken, Membership, User
from agencies.policy import principal
from audit.models import AuditEvent
from isp_portal.demo_context import DEMO_API_TOKEN, DEMO_PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def demo_mode(settings: Any) -> None:
    """seed_demo runs only in demo mode (tests/test_demo_mode.py proves it refuses otherwise)."""
    settings.DEMO_MODE = True


def counts() -> dict[str, int]:
    return {
        "agencies": Agency.objects.count(),
        "users": User.objects.count(),
        "memberships": Membership.objects.count(),
        "tokens": ApiToken.objects.count(),
    }


def test_seed_demo_twice_changes_nothing_the_second_time() -> None:
    call_command("seed_demo", stdout=io.StringIO())
    first = counts()
    events = AuditEvent.objects.count()
    call_command("seed_demo", stdout=io.StringIO())
    assert counts() == first
    assert AuditEvent.objects.count() == events  # nothing was written the second time
    out = io.StringIO()
    call_command("seed_demo", "--if-empty", stdout=out)
    assert "already present" in out.getvalue()


def test_the_demo_partnership_is_believable() -> None:
    call_command("seed_demo", stdout=io.StringIO())
    kinds = set(Agency.objects.values_list("kind", flat=True))
    for kind in (
        AgencyKind.LOCAL_AUTHORITY,
        AgencyKind.POLICE,
        AgencyKind.HEALTH_TRUST,
        AgencyKind.SCHOOL,
        AgencyKind.YOUTH_OFFENDING_TEAM,
        AgencyKind.VOLUNTARY,
    ):
        assert kind in kinds
    assert Agency.objects.filter(parent__isnull=False).exists()  # a commissioned service
    assert len(set(Agency.objects.values_list("area", flat=True))) >= 2
    roles_by_key = {spec["key"]: set(spec["roles"]) for spec in PEOPLE}
    for key in LOGIN_KEYS:
        spec = next(spec for spec in PEOPLE if spec["key"] == key)
        user = User.objects.get(email=demo_email(spec["name"]))
        assert user.check_password(DEMO_PASSWORD)
        assert user.totpdevice_set.filter(confirmed=True).exists()
        held = {role for membership in principal(user).memberships for role in membership.roles}
        assert held == roles_by_key[key]
    # Every write went through a service, so the audit trail saw it.
    assert AuditEvent.objects.filter(kind="agency.create").count() == Agency.objects.count()
    assert AuditEvent.objects.filter(actor_label="system: seed_demo").count() > 20


def test_the_demo_api_token_works() -> None:
    call_command("seed_demo", stdout=io.StringIO())
    response = Client(HTTP_AUTHORIZATION=f"Bearer {DEMO_API_TOKEN}").get("/api/v1/me/")
    assert response.status_code == 200 and response.json()["is_system"] is True


def test_create_partnership_admin_command() -> None:
    out = io.StringIO()

    class Input(io.StringIO):
        pass

    command_stdin = Input("A-long-enough-passphrase-for-admin\n")
    from agencies.management.commands.create_partnership_admin import Command

    command = Command(stdout=out)
    command.stdin = command_stdin  # type: ignore[attr-defined]
    call_command(command, "--email", "First.Admin@Example.org", "--name", "First Admin", "--password-stdin")
    user = User.objects.get(email="first.admin@example.org")
    assert user.check_password("A-long-enough-passphrase-for-admin")
    assert principal(user).has("partnership_admin")
    from django.core.management import CommandError

    command = Command(stdout=io.StringIO())
    command.stdin = Input("short\n")  # type: ignore[attr-defined]
    with pytest.raises(CommandError, match="password"):
        call_command(command, "--email", "second@example.org", "--name", "Second", "--password-stdin")
    assert not User.objects.filter(email="second@example.org").exists()
