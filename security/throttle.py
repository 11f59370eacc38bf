"""Counters of the password forms (reset, change), per hashed key, on the kernel's throttle:
incremented atomically before they are checked, and still counted in the process when the
shared cache is down (kernel.throttle)."""

import hashlib

from django.conf import settings

from kernel import throttle


def throttle_key(scope: str, value: str) -> str:
    """The cache key of `value` in `scope`; hashed (no e-mail address nor name in the cache)."""
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:40]
    return f"apa:throttle:{scope}:{digest}"


def throttle_hit(scope: str, value: str, *, window_seconds: int) -> int:
    """Count one more attempt; returns how many were made in the window (this one included).
    The window starts at the first attempt."""
    return throttle.throttle_incr(throttle_key(scope, value), window=window_seconds)


def throttle_count(scope: str, value: str) -> int:
    key = throttle_key(scope, value)
    return throttle.throttle_counts([key])[key]


def throttle_clear(scope: str, value: str) -> None:
    throttle.throttle_clear(throttle_key(scope, value))


def throttle_give_back(scope: str, value: str) -> None:
    """Take back one attempt that turned out not to count (the window is kept)."""
    throttle.throttle_refund(
        [throttle_key(scope, value)], window=settings.APA_PASSWORD_THROTTLE_WINDOW_SECONDS
    )
