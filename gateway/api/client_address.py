"""The address of the client a request comes from, for sign-in throttling and lockout.

``X-Forwarded-For`` and ``Forwarded`` (RFC 7239) are written by whoever sends the request, so a
client can put any address there. They are believed only when the direct peer is one of
``GATEWAY_TRUSTED_PROXIES``, and then only as far as the chain of trusted proxies reaches: walking
the list from the right (the hop nearest to us), the first address that is not a trusted proxy is
the client. Whatever a client wrote further left is never used.

``gateway serve`` runs uvicorn with its own proxy-header handling off, so ``request.client`` is
the TCP peer and this module is the only reader of these headers.
"""
from __future__ import annotations

import ipaddress
import re
from functools import lru_cache

from starlette.requests import Request

from gateway.settings import Settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_FORWARDED_FOR = re.compile(r'(?:^|;)\s*for\s*=\s*("[^"]*"|[^;,\s]+)', re.IGNORECASE)
MAX_ADDRESS_LENGTH = 64  # the column login_attempts.address


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def _normalised(token: str) -> str:
    """An address from a header without quotes, brackets or port; as written if it is no address."""
    value = token.strip().strip('"')
    if value.startswith("["):  # "[2001:db8::1]:4711"
        value = value[1:].split("]", 1)[0]
    elif value.count(":") == 1:  # "192.0.2.1:4711"
        value = value.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return value.lower()[:MAX_ADDRESS_LENGTH]  # "unknown" or an obfuscated identifier (RFC 7239 §6)


def _is_trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def forwarded_chain(request: Request) -> list[str]:
    """The addresses the proxies recorded, client first: ``Forwarded`` if present, else ``X-Forwarded-For``."""
    forwarded = request.headers.getlist("forwarded")
    if forwarded:
        return [_normalised(match) for header in forwarded for element in header.split(",")
                for match in _FORWARDED_FOR.findall(element)]
    return [_normalised(part) for header in request.headers.getlist("x-forwarded-for")
            for part in header.split(",") if part.strip()]


def client_address(request: Request, settings: Settings) -> str:
    """The client's address: the peer's, unless the peer is a trusted proxy (see the module's docstring)."""
    peer = _normalised(request.client.host) if request.client else "unknown"
    networks = _networks(tuple(settings.trusted_proxies))
    if not _is_trusted(peer, networks):
        return peer
    chain = forwarded_chain(request)
    for address in reversed(chain):
        if not _is_trusted(address, networks):
            return address
    return chain[0] if chain else peer  # every hop is a trusted proxy: the left-most is the client
