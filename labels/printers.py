"""Sending ZPL to a network label printer: raw TCP, port 9100 (Zebra, and most thermal printers that speak ZPL)."""

from __future__ import annotations

import socket
import time

DEFAULT_PORT = 9100
DEFAULT_TIMEOUT = 5.0


class PrinterError(Exception):
    """The printer could not be reached or did not take the job; nothing was printed, or not all of it."""

    def __init__(self, en: str, zh: str, *, printer: str) -> None:
        super().__init__(en)
        self.en, self.zh, self.printer = en, zh, printer


def send(host: str, data: str | bytes, *, port: int = DEFAULT_PORT, timeout: float = DEFAULT_TIMEOUT) -> int:
    """Send one job; returns the bytes sent. The whole exchange (connect and send) takes at most about `timeout` seconds."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    where = f"{host}:{port}"
    deadline = time.monotonic() + timeout
    try:
        with socket.create_connection((host, port), timeout=timeout) as conn:
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
