"""Django's Redis cache, keeping one redis-py client per connection pool.

Django's RedisCacheClient builds a new `redis.Redis` object for every cache call, and building one fills its
table of response callbacks again: about 0.3 ms of CPU per call here, and a signed-in page makes two (session
and identity; issue 9, benchmarks/README.md). A redis-py client is safe to share (it takes a connection from the
pool per command), so keep one.
"""

from __future__ import annotations

import logging
from typing import Any

import redis
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class ReusingRedisCacheClient(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        this: Any = self  # Django's private attributes, which its stubs do not declare
        index = this._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            if index not in this._pools:
                this._pools[index] = this._pool_class.from_url(this._servers[index], **this._pool_options)
            client = self._clients[index] = this._client(connection_pool=this._pools[index])
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient


# --- Surviving a Redis outage (issue 8 item 16: pages and sign-in keep working while Redis is down) ------------
# The cache only ever speeds things up: sessions are backed by the database (cached_db) and the signed-in identity
# is loaded from the database on a miss. So while Redis cannot be reached, every read is a miss and every write is
# skipped, and the portal runs on PostgreSQL alone, a little slower, instead of answering 500.
#
# A write skipped during the outage may have been an invalidation (a membership ended, a session deleted), so a
# process that skipped one deletes the cached identities and sessions as soon as it reaches Redis again: they are
# then rebuilt from the database, and nothing cached before the outage outlives a change made during it.
REDIS_DOWN = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
STALE_AFTER_OUTAGE = ("identity:*", "django.contrib.sessions.cached_db*")
logger = logging.getLogger(__name__)


class OutageTolerantRedisCache(RedisCache):
    """RedisCache that degrades to "always a miss" while Redis is unreachable (see above)."""

    _skipped_writes = False  # in this process, since Redis was last reachable
    _outage_logged = False

    def _down(self, operation: str) -> None:
        if not OutageTolerantRedisCache._outage_logged:
            logger.warning("Redis cannot be reached (%s): the cache is bypassed until it is back", operation)
            OutageTolerantRedisCache._outage_logged = True

    def _reached(self) -> None:
        OutageTolerantRedisCache._outage_logged = False
        if OutageTolerantRedisCache._skipped_writes:
            OutageTolerantRedisCache._skipped_writes = False
            self._forget_what_may_be_stale()

    def _forget_what_may_be_stale(self) -> None:
        try:
            client = self._cache.get_client(write=True)
            for pattern in STALE_AFTER_OUTAGE:
                keys = list(client.scan_iter(match=self.make_key(pattern), count=1000))
                for start in range(0, len(keys), 1000):
                    client.delete(*keys[start : start + 1000])
            logger.warning("Redis is back: cached identities and sessions written before the outage were dropped")
        except REDIS_DOWN:
            OutageTolerantRedisCache._skipped_writes = True

    def _read(self, operation: str, call: Any, default: Any) -> Any:
        try:
            result = call()
        except REDIS_DOWN:
            self._down(operation)
            return default
        self._reached()
        return result

    def _write(self, operation: str, call: Any, default: Any = None) -> Any:
        try:
            result = call()
        except REDIS_DOWN:
            self._down(operation)
            OutageTolerantRedisCache._skipped_writes = True
            return default
        self._reached()
        return result

    def get(self, key: Any, default: Any = None, version: Any = None) -> Any:
        return self._read("get", lambda: super(OutageTolerantRedisCache, self).get(key, default, version), default)

    def get_many(self, keys: Any, version: Any = None) -> Any:
        return self._read("get_many", lambda: super(OutageTolerantRedisCache, self).get_many(keys, version), {})

    def has_key(self, key: Any, version: Any = None) -> Any:
        return self._read("has_key", lambda: super(OutageTolerantRedisCache, self).has_key(key, version), False)

    def add(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> Any:
        return self._write(
            "add", lambda: super(OutageTolerantRedisCache, self).add(key, value, timeout, version), False
        )

    def set(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> None:
        self._write("set", lambda: super(OutageTolerantRedisCache, self).set(key, value, timeout, version))

    def set_many(self, data: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> Any:
        return self._write(
            "set_many", lambda: super(OutageTolerantRedisCache, self).set_many(data, timeout, version), list(data)
        )

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> Any:
        return self._write("touch", lambda: super(OutageTolerantRedisCache, self).touch(key, timeout, version), False)

    def delete(self, key: Any, version: Any = None) -> Any:
        return self._write("delete", lambda: super(OutageTolerantRedisCache, self).delete(key, version), False)

    def delete_many(self, keys: Any, version: Any = None) -> None:
        self._write("delete_many", lambda: super(OutageTolerantRedisCache, self).delete_many(keys, version))

    def incr(self, key: Any, delta: int = 1, version: Any = None) -> Any:
        # No default can stand in for a counter: the caller decides what an outage means.
        return super().incr(key, delta, version)

    def clear(self) -> None:
        self._write("clear", lambda: super(OutageTolerantRedisCache, self).clear())
