"""Production settings: `check --deploy` is clean; missing or malformed configuration stops start-up with a
message that names the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from isp_portal.env import database_from_url, redis_from_url

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "isp_portal.settings.production",
    "SECRET_KEY": "k3y-for-the-deploy-check-only-" + "x9Qz7Lm2" * 6,
    "ALLOWED_HOSTS": "isp.example.org",
    "DATABASE_URL": "postgresql://isp:secret@db.internal:5432/isp_portal",
    "REDIS_URL": "redis://redis.internal:6379/0",
    "EMAIL_HOST": "smtp.internal",
    "DEFAULT_FROM_EMAIL": "ISP Portal <isp@example.org>",
    "SITE_URL": "https://isp.example.org",
}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {key: value for key, value in os.environ.items() if key not in PRODUCTION_ENV}
    clean.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set for the browser tests only
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings() -> None:
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize("missing", ["SECRET_KEY", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS", "EMAIL_HOST"])
def test_a_missing_production_variable_is_named(missing: str) -> None:
    env = {key: value for key, value in PRODUCTION_ENV.items() if key != missing}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert f"The environment variable {missing} must be set" in result.stderr


def test_demo_mode_is_refused_in_production() -> None:
    result = manage("check", env={**PRODUCTION_ENV, "DEMO_MODE": "true"})
    assert result.returncode != 0 and "DEMO_MODE must not be on in production" in result.stderr


def test_two_factor_cannot_be_turned_off_in_production() -> None:
    result = manage("check", env={**PRODUCTION_ENV, "TWO_FACTOR_REQUIRED": "false"})
    assert result.returncode != 0 and "TWO_FACTOR_REQUIRED cannot be turned off" in result.stderr


def test_a_malformed_database_url_stops_start_up_clearly() -> None:
    result = manage("check", env={**PRODUCTION_ENV, "DATABASE_URL": "mysql://root@localhost/isp"})
    assert result.returncode != 0 and "DATABASE_URL must be a PostgreSQL URL" in result.stderr


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://x@y/z", "must be a PostgreSQL URL"),
        ("postgresql://x@y:notaport/z", "port that is not a number"),
        ("postgresql://x@y:5432", "must name a database"),
    ],
)
def test_database_url_errors(url: str, message: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=message):
        database_from_url(url)


def test_database_url_with_a_socket_directory() -> None:
    config = database_from_url("postgresql://postgres:@/isp_portal?host=/srv/var/pgdata")
    assert config["HOST"] == "/srv/var/pgdata" and config["NAME"] == "isp_portal" and config["USER"] == "postgres"


@pytest.mark.parametrize(
    ("url", "cache", "celery"),
    [
        ("redis://127.0.0.1:6379/2", "redis://127.0.0.1:6379/2", "redis://127.0.0.1:6379/2"),
        (
            "unix:///srv/var/redis.sock",
            "unix:///srv/var/redis.sock?db=0",
            "redis+socket:///srv/var/redis.sock?virtual_host=0",
        ),
        ("redis://:pw@cache:6380", "redis://:pw@cache:6380/0", "redis://:pw@cache:6380/0"),
    ],
)
def test_redis_url_forms(url: str, cache: str, celery: str) -> None:
    location = redis_from_url(url)
    assert location.django_cache_url == cache and location.celery_url == celery


@pytest.mark.parametrize("url", ["http://cache:6379", "redis://:6379/0", "redis://cache:6379/zero"])
def test_bad_redis_urls(url: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="REDIS_URL"):
        redis_from_url(url)


DEVELOPMENT_PROBE = """
import django
django.setup()
from django.conf import settings
from django.test import Client

client = Client(HTTP_HOST="127.0.0.1")
missing = client.get("/no-such-page/")
page = missing.content.decode()
stylesheet = client.get("/static/dist/application.css")
print(settings.DEBUG, missing.status_code, "govuk-template" in page, "URLconf" in page, stylesheet.status_code)
print(settings.SITE_URL)
"""


def _development(env: dict[str, str]) -> list[str]:
    clean = {key: value for key, value in os.environ.items() if key not in {"DEBUG", "PORT", "SITE_URL"}}
    clean.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = subprocess.run(
        [sys.executable, "-c", DEVELOPMENT_PROBE],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "isp_portal.settings.development", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.splitlines()


def test_make_run_shows_the_portals_error_pages_and_still_serves_static_files() -> None:
    """`make run` (development settings) answers a wrong address with the GOV.UK 404 page, not Django's
    debug page listing every URL pattern; the stylesheet is still served."""
    status, links = _development({"PORT": "8123"})
    assert status == "False 404 True False 200"
    # E-mailed links follow the port the portal runs on.
    assert links == "http://127.0.0.1:8123"


def test_debug_pages_only_when_asked_for_and_the_site_url_wins_over_the_port() -> None:
    status, links = _development({"DEBUG": "true", "PORT": "8123", "SITE_URL": "https://isp.example.org"})
    assert status.startswith("True 404 False True")
    assert links == "https://isp.example.org"
