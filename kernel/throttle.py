"""Fixed-window throttles counted in the shared cache, with a per-process fallback.

    keys = [f"apa:lookup:user:{user.pk}", f"apa:lookup:ip:{ip}"]
    if throttle_hit(keys, limit=5, window=900):
        ...  # refuse (429): this attempt is over the limit
    ...  # evaluate the attempt
    if it_succeeded_or_did_not_count:
        throttle_refund(keys)

- **Increment, then check** (atomically): each attempt first takes its number from an atomic
  `incr` of every key, and is refused when any number exceeds the limit. Twenty concurrent
  attempts therefore get twenty distinct numbers and at most `limit` of them are evaluated
  (a "check, then increment" throttle lets every attempt that checks before the others
  increment through).
- **The window** starts at the first attempt of a key and is not extended by the next ones.
- **An attempt that should not count** (a success, a form refused before any evaluation) is
  given back with `throttle_refund`, so that only failures use the budget.
- **When the shared cache is unreachable** (`kernel.cache.CacheUnavailable`, or any error of
  another backend), the attempt is counted in this process's memory instead: the limit still
  holds (per process: with N processes an attacker gets at most N × limit attempts per window),
  never "no limit". One warning is logged when the fallback starts and one when the cache is
  back, per process, never one per request.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterable

from django.core.cache import caches

logger = logging.getLogger("kernel.throttle")

CACHE_ALIAS = "default"


class _LocalCounters:
    """Per-process fixed-window counters (the fallback): key -> (count, expiry as a timestamp)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[int, float]] = {}

    def incr(self, key: str, *, delta: int, window: int) -> int:
        now = time.time()
        with self._lock:
            count, expires = self._counts.get(key, (0, now + window))
            if expires <= now:
                count, expires = 0, now + window
            if delta < 0 and count == 0:  # a refund after the window ended: nothing to do
                return 0
            count = max(0, count + delta)
            self._counts[key] = (count, expires)
            if len(self._counts) > 10_000:  # drop the expired keys now and then
                self._counts = {k: v for k, v in self._counts.items() if v[1] > now}
            return count

    def clear(self) -> None:
        with self._lock:
            self._counts.clear()


_local = _LocalCounters()
_fallback_lock = threading.Lock()
_in_fallback = False


def _set_fallback(active: bool, exc: BaseException | None = None) -> None:
    global _in_fallback
    with _fallback_lock:
        changed, _in_fallback = _in_fallback != active, active
    if changed and active:
        logger.warning(
            "Throttle counters fall back to this process's memory (shared cache unreachable: "
            "%s); the limits hold per process.",
            type(exc).__name__ if exc else "unknown",
        )
    elif changed:
        logger.warning("Throttle counters are shared again (cache reachable).")


def _cache_incr(key: str, *, delta: int, window: int) -> int:
    cache = caches[CACHE_ALIAS]
    if delta < 0:  # a refund: nothing to give back once the window has ended
        try:
            return cache.incr(key, delta)
        except ValueError:
            return 0
    for _ in range(2):
        cache.add(key, 0, timeout=window)  # the window starts at the first attempt
        try:
            return cache.incr(key, delta)
        except ValueError:  # expired between add() and incr(): start a new window
            continue
    cache.set(key, delta, timeout=window)
    return delta


def _incr(key: str, *, delta: int, window: int) -> int:
    try:
        count = _cache_incr(key, delta=delta, window=window)
    except Exception as exc:  # noqa: BLE001 (whatever the backend raises, count locally)
        _set_fallback(True, exc)
        return _local.incr(key, delta=delta, window=window)
    if _in_fallback:
        _set_fallback(False)
    return count


def throttle_hit(keys: Iterable[str], *, limit: int, window: int) -> bool:
    """Count one attempt against every key, then say whether it is over the limit.

    True means "refuse this attempt": one of the keys has now more than `limit` attempts in its
    window. The count is taken before the check, atomically, so concurrent attempts cannot
    slip through together.
    """
    counts = [_incr(key, delta=1, window=window) for key in keys]
    return any(count > limit for count in counts)


def throttle_incr(key: str, *, window: int) -> int:
    """Count one attempt against `key` and return its number in the window (this one
    included): for a caller that grades its answer by the count."""
    return _incr(key, delta=1, window=window)


def throttle_refund(keys: Iterable[str], *, window: int) -> None:
    """Give back the attempt `throttle_hit` counted (it succeeded, or was never evaluated)."""
    for key in keys:
        _incr(key, delta=-1, window=window)


def throttle_clear(key: str) -> None:
    """Forget the attempts of `key` (a success that resets the count)."""
    # The shared cache may be down: the local count goes all the same.
    with contextlib.suppress(Exception):
        caches[CACHE_ALIAS].delete(key)
    with _local._lock:
        _local._counts.pop(key, None)


def throttle_counts(keys: Iterable[str]) -> dict[str, int]:
    """The current counts (for logs and tests): from the shared cache, else this process's."""
    keys = list(keys)
    try:
        found = caches[CACHE_ALIAS].get_many(keys)
    except Exception:  # noqa: BLE001
        found = {}
    with _local._lock:
        local = {k: v[0] for k, v in _local._counts.items() if k in keys}
    return {key: found.get(key, local.get(key, 0)) for key in keys}
