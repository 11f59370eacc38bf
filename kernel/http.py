"""What the project reads of an HTTP request beyond Django's own helpers."""

import ipaddress
from collections.abc import Callable
from functools import lru_cache
from typing import Any, TypeVar

from django.conf import settings
from django.http import HttpRequest

_View = TypeVar("_View", bound=Callable[..., Any])

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries)


def trusted_proxy_networks() -> tuple[IPNetwork, ...]:
    """TRUSTED_PROXIES (addresses or networks), parsed once."""
    return _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ()) or ()))


def _parse(value: str) -> IPAddress | None:
    """One hop of X-Forwarded-For: `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1`, `[2001:db8::1]:80`."""
    value = value.strip()
    if value.startswith("["):
        value = value[1:].partition("]")[0]
    elif value.count(":") == 1:
        value = value.partition(":")[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _trusted(address: IPAddress, networks: tuple[IPNetwork, ...]) -> bool:
    return any(address in network for network in networks)


def client_ip(request: HttpRequest) -> str | None:
    """The client's address, as the audit, the login lockout and the look-up throttle see it.

    REMOTE_ADDR, unless it is one of the TRUSTED_PROXIES: then X-Forwarded-For is read from
    the right (each proxy appends the address it got the request from) and the first address
    that is not a trusted proxy is the client's. What lies to the left of it was written by
    the client and is never believed. Without TRUSTED_PROXIES (the default) the header is
    ignored: anyone could write it.
    """
    remote = _parse(request.META.get("REMOTE_ADDR") or "")
    if remote is None:
        return None
    networks = trusted_proxy_networks()
    if not networks or not _trusted(remote, networks):
        return str(remote)
    client = remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for hop in reversed(forwarded.split(",") if forwarded.strip() else []):
        address = _parse(hop)
        if address is None:
            break  # garbage where a trusted proxy's peer should be: keep the last sure hop
        client = address
        if not _trusted(address, networks):
            break
    return str(client)


def otp_exempt(view: _View) -> _View:
    """Mark a view as reachable before the second factor (the OTP pages themselves, /healthz/):
    security.middleware.OTPRequiredMiddleware lets it through."""
    view.otp_exempt = True  # type: ignore[attr-defined]  # a marker attribute on the function
    return view
