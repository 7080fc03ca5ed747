"""Reading configuration from environment variables, with messages that name what is wrong.

Settings modules call these; nothing else reads os.environ for configuration.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured


class MissingSetting(ImproperlyConfigured):
    """A required environment variable is not set (production refuses to start without it)."""


def env_str(name: str, default: str | None = None, *, required: bool = False) -> str:
    value = os.environ.get(name)
    if value is None or value == "":
        if required:
            raise MissingSetting(f"The environment variable {name} must be set (see README: Configuration).")
        if default is None:
            return ""
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"The environment variable {name} must be true or false, not {value!r}.")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"The environment variable {name} must be a whole number, not {value!r}.") from None


def env_list(name: str, default: list[str] | None = None, *, required: bool = False) -> list[str]:
    value = env_str(name, required=required)
    if not value:
        return list(default or [])
    return [item.strip() for item in value.split(",") if item.strip()]


def database_from_url(url: str, *, variable: str = "DATABASE_URL") -> dict[str, object]:
    """Turn postgresql://user:password@host:port/name?host=/socket/dir into Django's DATABASES entry."""
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql"}:
        raise ImproperlyConfigured(
            f"{variable} must be a PostgreSQL URL such as postgresql://user:password@host:5432/dbname; "
            f"got scheme {parts.scheme or '(none)'!r}. ISP Portal runs only on PostgreSQL."
        )
    name = unquote(parts.path.lstrip("/"))
    if not name:
        raise ImproperlyConfigured(f"{variable} must name a database after the host, e.g. .../isp_portal.")
    query = parse_qs(parts.query)
    host = query.get("host", [parts.hostname or ""])[0]
    try:
        port = parts.port
    except ValueError:
        raise ImproperlyConfigured(f"{variable} has a port that is not a number.") from None
    options = {key: values[0] for key, values in query.items() if key != "host"}
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": host,
        "PORT": str(port or ""),
        "OPTIONS": options,
    }


@dataclass(frozen=True)
class RedisLocation:
    """One Redis server, reachable by TCP or by a Unix socket, and a database number."""

    host: str | None
    port: int | None
    socket_path: str | None
    db: int
    password: str | None

    @property
    def django_cache_url(self) -> str:
        if self.socket_path:
            return f"unix://{self.socket_path}?db={self.db}"
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}{self.host}:{self.port}/{self.db}"

    @property
    def celery_url(self) -> str:
        if self.socket_path:
            return f"redis+socket://{self.socket_path}?virtual_host={self.db}"
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}{self.host}:{self.port}/{self.db}"


def redis_from_url(url: str, *, variable: str = "REDIS_URL") -> RedisLocation:
    """Accept redis://[:password@]host[:port][/db] and unix:///path/to/redis.sock[?db=N]."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        if not parts.path:
            raise ImproperlyConfigured(f"{variable} must give the socket path, e.g. unix:///run/redis.sock.")
        db = parse_qs(parts.query).get("db", ["0"])[0]
        return RedisLocation(None, None, parts.path, _redis_db(db, variable), None)
    if parts.scheme in {"redis", "rediss"}:
        try:
            port = parts.port or 6379
        except ValueError:
            raise ImproperlyConfigured(f"{variable} has a port that is not a number.") from None
        if not parts.hostname:
            raise ImproperlyConfigured(f"{variable} must name a host, e.g. redis://127.0.0.1:6379/0.")
        return RedisLocation(
            parts.hostname, port, None, _redis_db(parts.path.lstrip("/") or "0", variable), parts.password
        )
    raise ImproperlyConfigured(
        f"{variable} must start with redis:// or unix://; got scheme {parts.scheme or '(none)'!r}."
    )


def _redis_db(value: str, variable: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{variable} has a database number that is not a number: {value!r}.") from None
