"""`cangku serve` as a process of its own, for the tests and the benchmarks that need a real server.

    with ServedProcess(tmp_path, "--database-url", url, env={"CANGKU_REDIS_URL": redis}) as server:
        httpx.get(server.url + "/api/v1/...")

The server gets a free port on 127.0.0.1 and writes its output to a file in `log_dir`; `wait_healthy`
waits for `/health` (and fails with that output when the process exits first).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

import httpx

CANGKU = [sys.executable, "-m", "server.cli"]
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]  # (host, port) for an AF_INET socket
        return port


class ServedProcess:
    """`cangku serve <args>` on `port` or a free one (the same again on `start()` after `kill()` or `stop()`).

    `env` is added to this process's environment; a value of None removes that variable."""

    def __init__(self, log_dir: Path, *args: str, env: Mapping[str, str | None] | None = None, port: int | None = None,
                 start: bool = True) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.args = args
        self.log_dir = log_dir
        self.env = {k: v for k, v in {**os.environ, **(env or {})}.items() if v is not None}
        self.starts = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = log_dir / f"serve-{self.port}.log"
        if start:
            self.start()

    def start(self) -> None:
        self.starts += 1
        if self.starts > 1:
            self.log_path = self.log_dir / f"serve-{self.port}-{self.starts}.log"
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen([*CANGKU, "serve", "--port", str(self.port), *self.args], cwd=ROOT, env=self.env,
                                            stdout=log, stderr=subprocess.STDOUT)

    @property
    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_healthy(self, *, timeout: float = 120, until: str | None = None) -> httpx.Response:
        """Until /health answers 200 (and, with `until`, that text is in the output)."""
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}:\n{self.output[-3000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start within {timeout:.0f} s:\n{self.output[-3000:]}")
            try:
                health = httpx.get(f"{self.url}/health", timeout=2)
                if health.status_code == 200 and (until is None or until in self.output):
                    return health
            except httpx.TransportError:
                pass
            time.sleep(0.05)

    def kill(self) -> None:
        """No shutdown, no flush, no goodbye: as a power cut or the OOM killer would."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def __enter__(self) -> ServedProcess:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self.stop()
