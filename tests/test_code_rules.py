"""The code's own rules, checked with the suite: the import layers, no import circle, ruff and mypy clean."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_the_import_layers_hold_base_then_domains_then_sync_then_the_application():
    result = _run(str(BIN / "lint-imports"), "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_no_module_imports_itself_through_others():
    graph = grimp.build_graph("server", "sync", "labels", cache_dir=None)
    circles = _circles({module: graph.find_modules_directly_imported_by(module) for module in graph.modules})
    assert circles == []


def test_ruff_finds_nothing():
    result = _run(str(BIN / "ruff"), "check", "server", "sync", "labels", "tests", "bench")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_finds_nothing_in_server_and_sync():
    result = _run(sys.executable, "-m", "mypy")  # [tool.mypy] in pyproject.toml: strict, server/ and sync/
    assert result.returncode == 0, result.stdout + result.stderr


def _circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges.get(start, ()))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, following = work[-1]
            step = next(following, None)
            if step is not None:
                if step not in index:
                    index[step] = low[step] = len(index)
                    stack.append(step)
                    on_stack.add(step)
                    work.append((step, iter(sorted(edges.get(step, ())))))
                elif step in on_stack:
                    low[node] = min(low[node], index[step])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.append(sorted(group))
    return found


def test_the_circle_finder_finds_a_circle():
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _circles({"a": {"b"}, "b": set()}) == []


def test_the_lock_file_pins_a_version_every_declared_dependency_accepts():
    """requirements/test.lock is what the suite installs: a dependency added or raised in pyproject.toml without locking
    again would be missing, or older than the project asks."""
    import tomllib

    from packaging.requirements import Requirement

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = [Requirement(text) for text in [*project["dependencies"], *project["optional-dependencies"]["test"]]]
    pinned = {}
    for line in (ROOT / "requirements" / "test.lock").read_text().splitlines():
        if "==" in line and not line.startswith((" ", "#")):
            name, version = line.split(" ")[0].split("==")
            pinned[_canonical(name)] = version
    unmet = [str(req) for req in declared if _canonical(req.name) not in pinned or not req.specifier.contains(pinned[_canonical(req.name)])]
    assert unmet == []


def _canonical(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")
