"""The address a request comes from: the peer's, or, when the peer is a trusted reverse proxy, the one it forwarded.

A forwarding header is believed only from a proxy in `trusted_proxies`: anyone else could write any address in it
and so sign in from a fresh address on every attempt. Proxies append the address they saw to the right of the
header, so the right-most hop that is not one of our proxies is the client; what lies left of it came from the
client and is not read.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Any

from litestar.connection import ASGIConnection

from server.settings import Settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(trusted: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(network, strict=False) for network in trusted)


def _parse(text: str) -> Address | None:
    """An address as peers and proxies write it: plain, `[v6]:port`, `v4:port`; IPv4 mapped into IPv6 as plain IPv4."""
    text = text.strip().strip('"')
    if text.startswith("["):
        text = text[1:].split("]", 1)[0]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def client_address(peer: str | None, forwarded: str | None, trusted_proxies: tuple[str, ...]) -> str:
    """The client's address from the peer's and the forwarding header's (comma-separated hops, oldest first)."""
    peer_address = _parse(peer or "")
    if peer_address is None:
        return (peer or "")[:64]
    networks = _networks(trusted_proxies)

    def trusted(address: Address) -> bool:
        return any(address in network for network in networks)

    if not forwarded or not trusted(peer_address):
        return str(peer_address)
    client = peer_address
    for hop in reversed(forwarded.split(",")):
        address = _parse(hop)
        if address is None:
            break  # not written by a proxy: the last proxy that spoke is as far as we can see
        client = address
        if not trusted(address):
            break
    return str(client)


def request_address(connection: ASGIConnection[Any, Any, Any, Any], settings: Settings) -> str:
    """The client address of a request, by the settings' trusted proxies and their header."""
    peer = connection.client.host if connection.client else None
    forwarded = connection.headers.get(settings.client_address_header) if settings.trusted_proxies else None
    return client_address(peer, forwarded, tuple(settings.trusted_proxies))
