"""Sending ZPL to a network label printer: raw TCP, port 9100 (Zebra, and most thermal printers that speak ZPL), only
to addresses a label printer may have."""

from __future__ import annotations

import dataclasses
import ipaddress
import socket
import time
from typing import Any

DEFAULT_PORT = 9100
DEFAULT_TIMEOUT = 5.0
# The raw printing ports: 9100 (and the 9101–9109 of multi-port print servers, JetDirect's convention) and Zebra's 6101.
PRINTER_PORTS = frozenset({*range(9100, 9110), 6101})

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_THIS_NETWORK = ipaddress.IPv4Network("0.0.0.0/8")  # Linux connects 0.0.0.0 to this machine
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class PrinterError(Exception):
    """The printer could not be reached or did not take the job; nothing was printed, or not all of it."""

    def __init__(self, en: str, zh: str, *, printer: str) -> None:
        super().__init__(en)
        self.en, self.zh, self.printer = en, zh, printer


class AddressRefused(PrinterError):
    """A label printer may not be at this address: nothing was sent. `code` says why."""

    def __init__(self, en: str, zh: str, *, printer: str, code: str) -> None:
        super().__init__(en, zh, printer=printer)
        self.code = code


@dataclasses.dataclass(frozen=True)
class AddressPolicy:
    """Where print jobs may go. A raw TCP client sends whatever it is given to whatever answers, so a printer "at" the
    database's or Redis's port would have label text read as commands: by default a printer is at an address of the
    network (not loopback, link-local, unspecified, multicast or reserved) on a printing port. `allow_local` is for a
    print server on this machine or on a link-local network: those addresses and any port. The server's own service
    ports (`service_ports`) are refused either way."""

    allow_local: bool = False
    service_ports: frozenset[int] = frozenset()


def _embedded(address: IPAddress) -> list[IPAddress]:
    """The address and the IPv4 addresses an IPv6 one carries (mapped, NAT64, 6to4, Teredo): any of them may be where
    the connection ends."""
    if isinstance(address, ipaddress.IPv4Address):
        return [address]
    if address.ipv4_mapped is not None:
        return [address.ipv4_mapped]
    found: list[IPAddress] = []
    if address in _NAT64:
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found += list(address.teredo)
    return [*found, address]  # the IPv4 ones first: they say best what the address is


def address_refusal(address: IPAddress, where: str) -> AddressRefused | None:
    """Why a label printer may not be at this address (the policy may still allow loopback and link-local ones); None
    if it may."""
    for candidate in _embedded(address):
        if candidate.is_loopback:
            return AddressRefused(f"{where} is this server itself (a loopback address), not a label printer.",
                                  f"{where} 是本服务器自身（环回地址），不是标签打印机。", printer=where, code="printer_address_loopback")
        if candidate.is_link_local:
            return AddressRefused(f"{where} is a link-local address (169.254.x.x or fe80::), not a label printer's.",
                                  f"{where} 是链路本地地址（169.254.x.x 或 fe80::），不是标签打印机的地址。", printer=where,
                                  code="printer_address_link_local")
        if candidate.is_unspecified or candidate in _THIS_NETWORK or candidate.is_multicast or candidate.is_reserved:
            return AddressRefused(f"{where} is not the address of one machine on the network (unspecified, multicast or reserved).",
                                  f"{where} 不是网络上某台设备的地址（未指定、组播或保留地址）。", printer=where, code="printer_address_invalid")
    return None


def checked_addresses(host: str, port: int, policy: AddressPolicy) -> list[tuple[socket.AddressFamily, tuple]]:  # type: ignore[type-arg]
    """The addresses `host` resolves to, for a connection to `port`, each allowed by the policy; refused (AddressRefused)
    if the port or any of them is not. A job is sent to these addresses, never to the name again: a name that resolves
    differently a moment later is not followed."""
    where = f"{host}:{port}"
    if port in policy.service_ports:
        raise AddressRefused(f"Port {port} is one of this server's own services (its web, database or Redis port), not a label printer.",
                             f"端口 {port} 是本服务器自身服务（网页、数据库或 Redis）的端口，不是标签打印机。", printer=where,
                             code="printer_port_refused")
    if port not in PRINTER_PORTS and not policy.allow_local:
        raise AddressRefused(f"Label printers take jobs on port 9100–9109 or 6101; {port} is not one of them.",
                             f"标签打印机在端口 9100–9109 或 6101 接收打印任务；{port} 不在其中。", printer=where, code="printer_port_refused")
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        raise AddressRefused(f"The printer's host name {host} cannot be found; check its spelling, or give its IP address.",
                             f"找不到打印机主机名 {host}；请检查拼写，或填写其 IP 地址。", printer=where, code="printer_host_unknown") from None
    addresses: list[tuple[socket.AddressFamily, tuple[Any, ...]]] = []
    for family, _, _, _, sockaddr in found:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        address = ipaddress.ip_address(str(sockaddr[0]).partition("%")[0])
        refusal = address_refusal(address, where)
        if refusal is not None and not (policy.allow_local and refusal.code in ("printer_address_loopback", "printer_address_link_local")):
            raise refusal
        addresses.append((family, sockaddr))
    if not addresses:
        raise AddressRefused(f"The printer's host name {host} cannot be found; check its spelling, or give its IP address.",
                             f"找不到打印机主机名 {host}；请检查拼写，或填写其 IP 地址。", printer=where, code="printer_host_unknown")
    return addresses


def send(host: str, data: str | bytes, *, port: int = DEFAULT_PORT, timeout: float = DEFAULT_TIMEOUT,
         policy: AddressPolicy | None = None) -> int:
    """Send one job; returns the bytes sent. The whole exchange (connect and send) takes at most about `timeout` seconds.
    The printer's address is checked against `policy` (by default: printers on the network, not on this machine) first,
    AddressRefused if it may not be used, and the job goes to the address checked."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    where = f"{host}:{port}"
    addresses = checked_addresses(host, port, policy or AddressPolicy())
    deadline = time.monotonic() + timeout
    try:
        conn = _connect(addresses, deadline)
        with conn:
            view = memoryview(payload)
            while view:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError
                conn.settimeout(left)
                sent = conn.send(view)
                view = view[sent:]
            conn.shutdown(socket.SHUT_WR)
    except TimeoutError:
        raise PrinterError(f"The label printer at {where} did not answer within {timeout:g} s; check that it is on and on the network.",
                           f"标签打印机 {where} 在 {timeout:g} 秒内没有响应；请检查打印机是否开机并已联网。", printer=where) from None
    except OSError as error:
        reason = error.strerror or str(error)
        raise PrinterError(f"The label printer at {where} cannot be reached ({reason}); check its address and that it is on.",
                           f"无法连接标签打印机 {where}（{reason}）；请检查地址以及打印机是否开机。", printer=where) from None
    return len(payload)


def _connect(addresses: list[tuple[socket.AddressFamily, tuple]], deadline: float) -> socket.socket:  # type: ignore[type-arg]
    """A connection to the first of the checked addresses that answers before the deadline."""
    last: OSError = TimeoutError()
    for family, sockaddr in addresses:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        conn = socket.socket(family, socket.SOCK_STREAM)
        try:
            conn.settimeout(left)
            conn.connect(sockaddr)
            return conn
        except OSError as error:
            conn.close()
            last = error
    raise last
