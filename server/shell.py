"""The app's service worker, served with the shell it caches: every file of the app, versioned by their content.

`pwa/sw.js` names neither its version nor its files; the server fills both in when it serves it. The version is a
digest of every shell file's path and bytes, so any change to the app is a new version (which installs beside the
running one and takes over once the phone's outbox is empty), and an unchanged app is never downloaded again.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from pathlib import Path

# Not part of the app a phone runs: the worker itself, licences and the vendored packages' version list.
_NOT_SHELL = re.compile(r"(^|/)(sw\.js|LICENSE[^/]*|VERSIONS\.json)$")
_VERSION = re.compile(r'^const VERSION = "[^"\n]*";$', re.M)
_SHELL = re.compile(r"^const SHELL = \[[^\]]*\];$", re.M)


def shell_files(root: Path) -> list[str]:
    """The paths the worker caches, as the browser asks for them: "/" and every file of the app but the worker."""
    files = sorted(path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file())
    return ["/", *(f"/{name}" for name in files if not _NOT_SHELL.search(name))]


def shell_version(root: Path, files: list[str]) -> str:
    digest = hashlib.sha256()
    for name in files:
        if name == "/":
            continue
        digest.update(name.encode() + b"\0" + (root / name.lstrip("/")).read_bytes() + b"\0")
    return digest.hexdigest()[:16]


class ServiceWorker:
    """The worker's text for a folder of the app, made again whenever a file in it changes (checked by size and time)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._made: dict[Path, tuple[tuple[tuple[str, int, int], ...], str, bytes]] = {}

    def __call__(self, root: Path) -> tuple[str, bytes]:
        """The shell's version and the worker's text."""
        stamp = tuple(sorted((path.as_posix(), path.stat().st_size, path.stat().st_mtime_ns) for path in root.rglob("*") if path.is_file()))
        with self._lock:
            made = self._made.get(root)
            if made is None or made[0] != stamp:
                files = shell_files(root)
                version = shell_version(root, files)
                made = (stamp, version, render(root / "sw.js", version, files))
                self._made[root] = made
            return made[1], made[2]


def render(template: Path, version: str, files: list[str]) -> bytes:
    text = template.read_text(encoding="utf-8")
    text = _VERSION.sub(lambda _: f"const VERSION = {json.dumps(version)};", text, count=1)
    text = _SHELL.sub(lambda _: f"const SHELL = {json.dumps(files)};", text, count=1)
    return text.encode()
