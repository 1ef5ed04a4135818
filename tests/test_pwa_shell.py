"""The app starts with no network only if the service worker keeps every file it loads. The server serves the worker
with its shell and version filled in from the app's files (server/shell.py): every module any screen imports (the
back office's sections included) is in the shell, and any change to a file is a new version."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from server.shell import ServiceWorker, shell_files

PWA = Path(__file__).resolve().parent.parent / "pwa"


def served(text: bytes) -> tuple[str, list[str]]:
    source = text.decode()
    version = json.loads(re.search(r"^const VERSION = (\"[^\"]*\");$", source, re.M).group(1))
    shell = json.loads(re.search(r"^const SHELL = (\[.*\]);$", source, re.M).group(1))
    return version, shell


def test_every_module_the_app_imports_is_kept_for_offline_starts(client):
    response = client.get("/sw.js")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/javascript")
    assert response.headers["cache-control"] == "no-cache"
    version, shell = served(response.content)
    assert re.fullmatch(r"[0-9a-f]{16}", version) and response.headers["etag"] == f'"{version}"'
    imported = set()
    for module in PWA.rglob("*.js"):
        for path in re.findall(r'from\s+"(\.{1,2}/[^"]+)"', module.read_text(encoding="utf-8")):
            imported.add("/" + (module.parent / path).resolve().relative_to(PWA.resolve()).as_posix())
    assert len(imported) > 20, "too few imports found: the pattern no longer matches the app's modules"
    assert sorted(imported - set(shell)) == []
    assert {"/", "/index.html", "/app.js", "/screens/receiving.js", "/vendor/zxing-wasm/zxing_reader.wasm"} <= set(shell)
    assert not [name for name in shell if name.endswith(("sw.js", "LICENSE", "VERSIONS.json"))]
    for name in shell[1:]:
        assert client.get(name).status_code == 200, name  # the worker's install fails on any file it cannot fetch


def test_a_change_to_any_file_of_the_app_is_a_new_version_and_an_unchanged_app_keeps_its_version(tmp_path):
    copy = tmp_path / "pwa"
    shutil.copytree(PWA, copy)
    worker = ServiceWorker()
    first, text = worker(copy)
    assert worker(copy) == (first, text)
    assert served(text) == (first, shell_files(copy))
    (copy / "screens" / "transfer.js").write_text((copy / "screens" / "transfer.js").read_text() + "\n// changed\n")
    second, _ = worker(copy)
    assert second != first
    (copy / "screens" / "new.js").write_text("export const x = 1;\n")
    third, text = worker(copy)
    assert third != second and "/screens/new.js" in served(text)[1]
