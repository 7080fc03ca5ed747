"""Django's Redis cache, keeping one redis-py client per connection pool.

Django's RedisCacheClient builds a new `redis.Redis` object for every cache call, and building one fills its
table of response callbacks again: about 0.3 ms of CPU per call here, and a signed-in page makes two (session
and identity; issue 9, benchmarks/README.md). A redis-py client is safe to share (it takes a connection from the
pool per command), so keep one.
"""

from __future__ import annotations

from typing import Any

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
