"""A scratch database for a benchmark scenario: created fresh, migrated, the test partnership built in it, dropped
afterwards (the benchmarks measure on their own rows, never on a developer's data)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from benchmarks.audit_recording import drop_database, recreate_database


def scratch_url(url: str, suffix: str) -> str:
    """`url` naming the database `<its name>_bench_<suffix>` instead."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/") or "isp_portal"
    return urlunsplit(parts._replace(path=f"/{name}_bench_{suffix}"))


@contextmanager
def scratch_world(suffix: str, log: Callable[[str], None]) -> Iterator[Any]:
    """Django set up on a fresh, migrated scratch database `<database>_bench_<suffix>`, yielding the test World
    (tests.factories.build_world); the database is dropped afterwards, whatever happens."""
    original = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/isp_portal")
    url = scratch_url(original, suffix)
    recreate_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "isp_portal.settings.development")
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        # Another scenario of the same run may have set Django up on its own database first.
        connection.close()
        connection.settings_dict["NAME"] = urlsplit(url).path.lstrip("/")
        log("migrating the scratch database")
        call_command("migrate", verbosity=0)
        from tests.factories import build_world

        yield build_world()
        connection.close()
    finally:
        os.environ["DATABASE_URL"] = original
        drop_database(url)
