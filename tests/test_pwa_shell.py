"""The app starts with no network only if the service worker keeps every file it loads: each module any screen imports
(the back office's sections included) is in sw.js's SHELL."""

from __future__ import annotations

import re
from pathlib import Path

PWA = Path(__file__).resolve().parent.parent / "pwa"


def test_every_module_the_app_imports_is_kept_for_offline_starts():
    shell = set(re.findall(r'"(/[^"]+)"', re.search(r"const\s+SHELL\s*=\s*\[(.*?)\];", (PWA / "sw.js").read_text(), re.S).group(1)))
    imported = set()
    for module in [*PWA.glob("*.js"), *PWA.glob("desk/*.js")]:
        for path in re.findall(r'from\s+"(\.{1,2}/[^"]+)"', module.read_text(encoding="utf-8")):
            imported.add("/" + (module.parent / path).resolve().relative_to(PWA.resolve()).as_posix())
    assert imported, "no imports found: the pattern no longer matches the app's modules"
    assert sorted(imported - shell) == []
