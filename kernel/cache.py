"""A Redis cache that degrades to "no cache" instead of failing the request.

The project's cache holds only what can be recomputed (the dashboard's figures, template
fragments) and the counters of throttles (`kernel.throttle`). When Redis is down or frozen, a
request must not answer 500 nor hang: `DegradingRedisCache` behaves as an empty cache (a read is
a miss, a write is dropped) and, after a failure, stops asking Redis for `RETRY_AFTER_SECONDS`
(a circuit breaker), so that a frozen Redis costs one short timeout per process and per period,
not one per request. The client's own timeouts are short (settings: `CACHES` OPTIONS
`socket_connect_timeout` and `socket_timeout`).

Counters cannot be faked: `incr()` (and `decr()`) raise `CacheUnavailable`, so that a caller
that counts (the throttles) knows it must count elsewhere, never "no limit".

One warning is logged when Redis becomes unreachable and one line when it is back, per process:
never one per request.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger("kernel.cache")

# Seconds during which a process does not ask Redis again after a failure.
RETRY_AFTER_SECONDS = 5.0

# What the default timeouts of the client are replaced with (seconds; settings may override).
DEFAULT_SOCKET_OPTIONS = {"socket_connect_timeout": 0.25, "socket_timeout": 0.25}


class CacheUnavailable(Exception):
    """The shared cache cannot be reached: a counter must be kept elsewhere."""


def _redis_errors() -> tuple[type[BaseException], ...]:
    import redis  # noqa: PLC0415 (the library is only needed with this backend)

    # RedisError covers ConnectionError and TimeoutError of the client; OSError a socket error
    # raised before the client wraps it.
    return (redis.exceptions.RedisError, OSError)


class DegradingRedisCache(RedisCache):
    def __init__(self, server, params):
        params = dict(params)
        options = {**DEFAULT_SOCKET_OPTIONS, **params.get("OPTIONS", {})}
        self.retry_after = float(options.pop("retry_after", RETRY_AFTER_SECONDS))
        params["OPTIONS"] = options
        super().__init__(server, params)
        self._errors = _redis_errors()
        self._lock = threading.Lock()
        self._down_until = 0.0  # monotonic time before which Redis is not asked
        self._down = False

    # --- the circuit breaker ----------------------------------------------------------------
    @property
    def available(self) -> bool:
        """False while the breaker is open (Redis failed less than `retry_after` seconds ago)."""
        return time.monotonic() >= self._down_until

    def _failed(self, exc: BaseException) -> None:
        with self._lock:
            self._down_until = time.monotonic() + self.retry_after
            first = not self._down
            self._down = True
        if first:
            logger.warning(
                "Cache unreachable (%s): serving without it; retrying every %.0f s.",
                type(exc).__name__,
                self.retry_after,
            )

    def _succeeded(self) -> None:
        if self._down:
            with self._lock:
                was_down, self._down = self._down, False
            if was_down:
                logger.warning("Cache reachable again.")

    def _call(self, method, fallback, *args, **kwargs):
        if not self.available:
            return fallback
        try:
            result = method(*args, **kwargs)
        except self._errors as exc:
            self._failed(exc)
            return fallback
        self._succeeded()
        return result

    # --- what degrades to "no cache" ---------------------------------------------------------
    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None) -> bool:
        return self._call(super().add, False, key, value, timeout, version)

    def get(self, key, default=None, version=None) -> Any:
        return self._call(super().get, default, key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None) -> None:
        self._call(super().set, None, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None) -> bool:
        return self._call(super().touch, False, key, timeout, version)

    def delete(self, key, version=None) -> bool:
        return self._call(super().delete, False, key, version)

    def get_many(self, keys, version=None) -> dict:
        return self._call(super().get_many, {}, keys, version)

    def has_key(self, key, version=None) -> bool:
        return self._call(super().has_key, False, key, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None) -> list:
        return self._call(super().set_many, list(data), data, timeout, version)

    def delete_many(self, keys, version=None) -> None:
        self._call(super().delete_many, None, keys, version)

    def clear(self) -> bool:  # type: ignore[override]  # RedisCache.clear answers the client's bool
        return self._call(super().clear, False)

    # --- what cannot be faked ------------------------------------------------------------------
    def incr(self, key, delta=1, version=None) -> int:
        if not self.available:
            raise CacheUnavailable("cache unreachable (recent failure)")
        try:
            result = super().incr(key, delta, version)
        except self._errors as exc:
            self._failed(exc)
            raise CacheUnavailable(str(exc)) from exc
        self._succeeded()
        return result

    def ping(self) -> bool:
        """Whether Redis answers now (for `/healthz/`); ignores and resets nothing."""
        try:
            client = self._cache.get_client(write=False)  # type: ignore[attr-defined]  # not in the stubs
            return bool(client.ping())
        except self._errors:
            return False
