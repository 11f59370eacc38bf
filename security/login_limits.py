"""Login limits beside django-axes' lock-out of one (username, address) pair.

django-axes locks a username from one address after AXES_FAILURE_LIMIT failures: that neither
stops guesses spread over many addresses (one account) nor over many usernames (one address),
and locking the account for everyone would let anyone lock a victim out. So, in a window of
APA_LOGIN_FAILURE_WINDOW_SECONDS:

- per account: after APA_LOGIN_MAX_FAILURES_PER_ACCOUNT attempts that did not succeed, from all
  addresses together,
  the account's logins are refused, except from an address where it logged in successfully in
  the last APA_LOGIN_KNOWN_ADDRESS_DAYS days: the spread attack stops, the victim at their usual
  place still logs in (still under axes' per-pair limit);
- per address: after APA_LOGIN_MAX_FAILURES_PER_ADDRESS such attempts over all usernames, the
  address's logins are refused, with the same exception (colleagues behind a clinic's shared
  address keep logging in).

The typed username is counted whether the account exists or not: the refusal reveals nothing.
Counters live in the shared cache (Redis in production), incremented atomically before the
check, keyed on a hash (no username in the cache's keys). Refused attempts keep counting: the
window (from the first attempt) is not prolonged by them, the refusal lasts until it ends.
"""

import contextlib

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from kernel.http import client_ip

from .throttle import throttle_key

ACCOUNT = "account"
ADDRESS = "address"
# Set on a request whose login attempt was counted (login_attempt).
REQUEST_COUNTED_ATTR = "security_login_counted"


def _key(*parts: str) -> str:
    return throttle_key(f"login-{parts[0]}", "\x00".join(parts[1:]))


def _count(key: str) -> int:
    return int(cache.get(key) or 0)


def _increment(key: str) -> int:
    window = settings.APA_LOGIN_FAILURE_WINDOW_SECONDS
    cache.add(key, 0, timeout=window)  # the window starts at the first failure
    try:
        return cache.incr(key)
    except ValueError:  # expired between the two calls
        cache.set(key, 1, timeout=window)
        return 1


def _address(request: HttpRequest) -> str:
    return client_ip(request) or "unknown"


def _known(username: str, address: str) -> bool:
    return bool(cache.get(_key("known", username, address)))


def login_attempt(request: HttpRequest, username: str) -> tuple[str | None, list[str]]:
    """Count this login attempt, before its password is checked, and say which limit refuses
    it (ACCOUNT, ADDRESS or None) and which limits it is the first to exceed (for the
    security events: one per window, not one per refused attempt).

    Counted first, then compared (atomic increments in the shared cache): guesses sent in
    parallel cannot all pass the check before any is counted. A successful login gives its
    count back (login_success_record). Attempts from an address the account logged in from
    recently are neither counted nor refused here (django-axes still limits them).
    """
    address = _address(request)
    if _known(username, address):
        return None, []
    setattr(request, REQUEST_COUNTED_ATTR, True)
    per_address = _increment(_key(ADDRESS, address))
    per_account = _increment(_key(ACCOUNT, username))
    max_address = settings.APA_LOGIN_MAX_FAILURES_PER_ADDRESS
    max_account = settings.APA_LOGIN_MAX_FAILURES_PER_ACCOUNT
    first_exceeded = [
        limit
        for limit, count, maximum in (
            (ADDRESS, per_address, max_address),
            (ACCOUNT, per_account, max_account),
        )
        if count == maximum + 1
    ]
    if per_address > max_address:
        return ADDRESS, first_exceeded
    if per_account > max_account:
        return ACCOUNT, first_exceeded
    return None, first_exceeded


def _decrement(key: str) -> None:
    with contextlib.suppress(ValueError):  # the window has ended meanwhile
        cache.decr(key)


def login_success_record(request: HttpRequest, username: str) -> None:
    """A successful login: its attempt was not a failure, and its address becomes known
    (exempt from the limits above)."""
    address = _address(request)
    if getattr(request, REQUEST_COUNTED_ATTR, False):
        _decrement(_key(ADDRESS, address))
        _decrement(_key(ACCOUNT, username))
    days = settings.APA_LOGIN_KNOWN_ADDRESS_DAYS
    cache.set(_key("known", username, address), 1, timeout=days * 24 * 3600)
