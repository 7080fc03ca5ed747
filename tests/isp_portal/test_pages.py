"""Health, static pages, error pages and the password rules."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client, override_settings

from isp_portal.env import redis_from_url
from isp_portal.passwords import BreachedStylePasswordValidator, breached_style_core
from isp_portal.sweeps import sweep
from tests.factories import World, area_named

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_redis_and_beat() -> None:
    body = Client().get("/healthz").json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["redis"] == {"ok": True}
    assert body["checks"]["beat"]["last_sweep_at"] is None
    with sweep("audit.seal"):
        pass
    beat = Client().get("/healthz").json()["checks"]["beat"]
    assert beat["ok"] is True and beat["sweep"] == "audit.seal"


def test_healthz_is_503_when_redis_is_down() -> None:
    with override_settings(REDIS=redis_from_url("redis://127.0.0.1:1/0")):
        response = Client().get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable" and body["checks"]["redis"]["ok"] is False


def test_error_pages_are_govuk_pages(world: World, client_for: Any) -> None:
    response = client_for("practitioner").get("/no-such-page/")
    assert response.status_code == 404 and "Page not found" in response.content.decode()


@pytest.mark.parametrize(
    ("password", "core"),
    [
        ("Summer2024!", "summer"),
        ("P@ssw0rd123", "password"),
        ("!!Dragon99", "dragon"),
        ("Plain words here", "plain words here"),
    ],
)
def test_breached_style_core(password: str, core: str) -> None:
    assert breached_style_core(password) == core


@pytest.mark.parametrize("password", ["Password123456!", "Liverpool2024!!", "Qwerty12345678", "1234567890ab"])
def test_breached_style_passwords_are_refused(password: str) -> None:
    with pytest.raises(ValidationError):
        BreachedStylePasswordValidator().validate(password)


@pytest.mark.parametrize("password", ["correct-horse-battery-staple", "Northbridge-demo-2026-partnership"])
def test_passphrases_are_accepted(password: str) -> None:
    BreachedStylePasswordValidator().validate(password)


def test_short_passwords_are_refused_by_the_service(world: World) -> None:
    from agencies.services import user_create
    from tests.factories import SYSTEM

    with pytest.raises(ValidationError):
        user_create(actor=SYSTEM, email="short@test.example", full_name="Short", password="Tiny-pw-1")


def test_server_error_page_and_json() -> None:
    from django.test import RequestFactory

    from isp_portal.views.errors import server_error

    page = server_error(RequestFactory().get("/agencies/"))
    assert page.status_code == 500 and b"Sorry, there is a problem with the service" in page.content
    api = server_error(RequestFactory().get("/api/v1/me/"))
    assert api.status_code == 500 and b'"code": "server_error"' in api.content


def test_forbidden_page_shows_the_policy_reason() -> None:
    from django.test import RequestFactory

    from isp_portal.views.errors import permission_denied

    request = RequestFactory().get("/agencies/1/edit/")
    request.access_denied_reason = "Only this agency's admins can do this."  # type: ignore[attr-defined]
    request.user = __import__("django.contrib.auth.models", fromlist=["AnonymousUser"]).AnonymousUser()
    response = permission_denied(request)
    assert response.status_code == 403 and b"Only this agency&#x27;s admins can do this." in response.content


def test_agency_changes_are_in_the_change_history(world: World) -> None:
    from auditlog.models import LogEntry

    world.home.area = area_named("Eastvale")
    world.home.save()
    entry = LogEntry.objects.get_for_object(world.home).order_by("-timestamp").first()
    assert entry is not None and entry.changes_dict["area"] == ["E99000001", "E99000002"]  # by GSS code
