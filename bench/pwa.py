"""PWA benchmark: the app in a real Chromium on a phone-sized screen, with a big catalog on the device.

    python bench/pwa.py [--items 100000] [--lookups 500] [--rounds 7]

Prints, in one run (figures only, nothing is asserted about timings):
  - resolving a scanned code on the device: a temporary SQLite database with N items (a barcode each, as
    bench/sync.py builds its catalog), the real server (`cangku serve`) on it, a user signed in through the app's
    own form in Chromium (390×844), the catalog bootstrapped into IndexedDB by the app itself; then the app's own
    `resolve(code)` from /scan.js, timed in the page, for random existing barcodes, SKUs and unknown codes:
    p50/p95/max (goal p95 < 20 ms). Also how long the bootstrap took in the browser;
  - the app shell's cold start with no network: after the first visit installed the service worker, a new page
    in the same browser context, offline, opened at "/": navigation start to the home tiles drawn with the scan field
    focused, measured in the page, several rounds: median and max (goal < 1 s);
  - JS + CSS the app ships (the .js and .css of sw.js's SHELL, without the wasm decoder): raw and gzip bytes
    (goal < 250 KB), the biggest files, and, to cross-check, what a first online page load actually fetched;
  - floor work (bench/floor.py, on a small company of its own): scans, taps and typed entries per receipt line and per
    pick, and the time from a scan to the screen showing it.

Chromium is Debian's /usr/bin/chromium (or CANGKU_CHROMIUM), driven by Playwright; no browser is downloaded.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.floor import measure as floor_work  # noqa: E402
from bench.ledger import fresh, setup_catalog  # noqa: E402
from bench.sync import grow_catalog  # noqa: E402
from server.auth.permissions import SYSTEM  # noqa: E402
from server.auth.services import create_user  # noqa: E402
from server.testing import ServedProcess  # noqa: E402

PWA = ROOT / "pwa"
CHROMIUM = os.environ.get("CANGKU_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True, "locale": "zh-CN"}
USERNAME, PASSWORD = "picker", "bench password 1"
WAREHOUSE = "WH"  # bench.ledger.setup_catalog's warehouse
SCOPES = ["catalog", f"wh:{WAREHOUSE}", f"stock:{WAREHOUSE}"]  # what app.js syncs for a user of one warehouse

# Runs in every page before the app: notes the moment the home tiles are in the DOM with the scan field focused
# (and the start of the next frame, the one that paints them).
INTERACTIVE_PROBE = """(() => {
  const check = () => {
    if (window.__benchInteractive) return;
    const scan = document.getElementById("scan");
    if (scan && document.activeElement === scan && !scan.closest("[hidden]") && document.querySelector("[data-task]")) {
      window.__benchInteractive = performance.now();
      requestAnimationFrame(() => { window.__benchFrame = performance.now(); });
    }
  };
  new MutationObserver(check).observe(document, { childList: true, subtree: true, attributes: true, attributeFilter: ["hidden"] });
  document.addEventListener("focusin", check, true);
})();"""

# Polls the app's own IndexedDB (through its store module) until every scope has its cursor, i.e. its bootstrap is
# done; returns when the catalog's and all scopes' cursors appeared, when the catalog's first bootstrap request
# started (resource timing), and the rows the device holds.
WAIT_FOR_BOOTSTRAP = """async ([scopes, timeoutMs]) => {
  const store = await import("/store.js");
  const began = performance.now();
  let catalogAt = null;
  for (;;) {
    const cursors = (await store.get("cursors")) || {};
    if (catalogAt === null && cursors.catalog) catalogAt = performance.now();
    if (scopes.every((scope) => cursors[scope])) break;
    if (performance.now() - began > timeoutMs) {
      throw new Error(`bootstrap not done after ${timeoutMs} ms; cursors: ${JSON.stringify(cursors)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const allAt = performance.now();
  const first = performance.getEntriesByType("resource")
    .find((e) => e.name.includes("/api/v1/sync/bootstrap") && e.name.includes("scope=catalog"));
  const db = await store.open();
  const count = (index, range) => new Promise((resolve, reject) => {
    const request = db.transaction("rows").objectStore("rows").index(index).count(range);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  return {
    catalogAt, allAt, startedAt: first ? first.startTime : null,
    catalogRows: await count("scope", "catalog"),
    barcodes: await count("code", IDBKeyRange.bound(["barcode"], ["barcode", []])),
  };
}"""

# The app's own resolve, one code after another, each timed in the page.
RESOLVE_ALL = """async (codes) => {
  const { resolve } = await import("/scan.js");
  const out = [];
  for (const code of codes) {
    const start = performance.now();
    const found = await resolve(code);
    out.push([performance.now() - start, found.kind, found.sku ?? null]);
  }
  return out;
}"""


@contextlib.contextmanager
def serving(url: str, data_dir: Path, port: int | None) -> Iterator[str]:
    """`cangku serve` as its own process on the benchmark database (as bench/sync.py runs it); stopped on the way out."""
    with ServedProcess(data_dir, "--no-scheduler", env={"CANGKU_DATABASE_URL": url, "CANGKU_DATA_DIR": str(data_dir)},
                       port=port) as server:
        server.wait_healthy()
        yield server.url


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, int(round(p * len(ordered))) - 1))]


def summary(samples: list[float]) -> str:
    return f"p50 {percentile(samples, 0.5):6.2f} ms  p95 {percentile(samples, 0.95):6.2f} ms  max {max(samples):6.2f} ms"


def shell_files() -> list[str]:
    """The app shell as sw.js lists it (its SHELL array), "/" being index.html."""
    text = (PWA / "sw.js").read_text(encoding="utf-8")
    match = re.search(r"const\s+SHELL\s*=\s*\[(.*?)\];", text, re.S)
    if not match:
        raise RuntimeError("no SHELL array found in pwa/sw.js")
    return re.findall(r"""["']([^"']+)["']""", match.group(1))


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6))


def seed(tmp: Path, items: int):  # type: ignore[no-untyped-def]
    """A database with bench.ledger's warehouse and bins, a user of that warehouse, and an `items`-item catalog."""
    db = fresh("sqlite", tmp, "pwa")
    setup_catalog(db)
    with db.write() as s:
        create_user(s, SYSTEM, username=USERNAME, password=PASSWORD, roles=["warehouse"], warehouses=[WAREHOUSE])
    grow_catalog(db, items)
    from sqlalchemy import text

    with db.read() as s:
        codes = [tuple(r) for r in s.execute(text("SELECT b.code, i.sku FROM barcodes b JOIN items i ON i.id = b.item_id"))]
        skus = list(s.scalars(text("SELECT sku FROM items")))
        rows = sum(s.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one() for t in ("items", "barcodes", "locations", "lots"))
    url = db.engine.url.render_as_string(hide_password=False)
    db.dispose()
    return url, codes, skus, rows


def lookups(codes: list[tuple[str, str]], skus: list[str], n: int) -> list[tuple[str, str, str | None]]:
    """n codes to scan, shuffled: 80 % existing barcodes, 10 % SKUs, 10 % codes the device does not know
    (half EAN-13-like digits, half text). Each with the kind and SKU it must resolve to."""
    rng = random.Random(11)
    n_sku = n_unknown = n // 10
    n_barcode = min(len(codes), n - n_sku - n_unknown)
    picks: list[tuple[str, str, str | None]] = [("barcode", code, sku) for code, sku in rng.sample(codes, n_barcode)]
    picks += [("sku", sku, sku) for sku in rng.sample(skus, min(len(skus), n_sku))]
    picks += [("unknown", f"68{rng.randrange(10**11):011d}" if i % 2 else f"NOPE-{rng.randrange(10**6):06d}", None)
              for i in range(n_unknown)]
    rng.shuffle(picks)
    return picks


def sign_in(page) -> None:  # type: ignore[no-untyped-def]
    page.locator("input[name=username]").fill(USERNAME)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").click()


def run(args: argparse.Namespace, tmp: Path) -> None:
    from playwright.sync_api import sync_playwright

    started = time.perf_counter()
    url, codes, skus, catalog_rows = seed(tmp, args.items)
    print(f"seeded a temporary SQLite database: {args.items:,} items with a barcode each ({catalog_rows:,} catalog rows in all) "
          f"in {time.perf_counter() - started:.1f} s", flush=True)
    with serving(url, tmp, args.port or None) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            size = PHONE["viewport"]
            print(f"Chromium {browser.version}, headless, {size['width']}×{size['height']}; server {base}", flush=True)
            context = browser.new_context(**PHONE, service_workers="allow")
            context.add_init_script(INTERACTIVE_PROBE)
            try:
                shell, fetched = measure(context, base, args, codes, skus, catalog_rows)
            finally:
                context.close()
        finally:
            browser.close()
    report_shell(shell, fetched)
    print("floor work:", flush=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            floor_work(browser, tmp / "floor", args.scans)
        finally:
            browser.close()


def measure(context, base: str, args: argparse.Namespace, codes: list[tuple[str, str]], skus: list[str],  # type: ignore[no-untyped-def]
            catalog_rows: int) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """Sections 1 and 2 in one browser context; returns the shell's files as they were at the first page load and the
    bodies that load fetched, by path."""
    page = context.new_page()
    # First visit, online: what the page itself fetches to show the sign-in form (the worker's own caching apart).
    responses = []

    def collect(response) -> None:  # type: ignore[no-untyped-def]
        responses.append(response)

    page.on("response", collect)
    page.goto(base + "/")
    shell = shell_snapshot()
    page.locator("input[name=username]").wait_for()
    page.wait_for_load_state("networkidle")
    page.remove_listener("response", collect)
    fetched = {}
    for response in responses:
        path = response.url.removeprefix(base)
        if response.status == 200 and not path.startswith("/api/"):
            try:
                fetched[path.split("?")[0]] = response.body()
            except Exception:  # noqa: BLE001 - a body Playwright no longer holds is left out of the cross-check
                pass

    # 1. Sign in through the form; the app bootstraps its scopes into IndexedDB the normal way.
    page.evaluate("performance.setResourceTimingBufferSize(10000)")
    sign_in(page)
    page.locator("[data-task]").first.wait_for(timeout=60_000)
    boot = page.evaluate(WAIT_FOR_BOOTSTRAP, [SCOPES, max(300_000, args.items * 6)])
    if boot["catalogRows"] != catalog_rows or boot["barcodes"] != len(codes):
        raise RuntimeError(f"the device holds {boot['catalogRows']:,} catalog rows and {boot['barcodes']:,} barcodes; "
                           f"the server has {catalog_rows:,} and {len(codes):,}")
    catalog_s = (boot["catalogAt"] - boot["startedAt"]) / 1000 if boot["startedAt"] is not None else float("nan")
    print(f"\n1. resolving a scan on the device ({args.items:,}-item catalog in IndexedDB)")
    print(f"   bootstrap in the browser: catalog scope {catalog_s:.1f} s for {boot['catalogRows']:,} rows "
          f"({boot['barcodes']:,} barcodes); all scopes {', '.join(SCOPES)} done {(boot['allAt'] - boot['startedAt']) / 1000:.1f} s "
          f"after the first catalog request (no goal of its own; bench/sync.py's HTTP-only bootstrap has < 10 s)", flush=True)

    picks = lookups(codes, skus, args.lookups)
    warm = lookups(codes, skus, 20)
    page.evaluate(RESOLVE_ALL, [code for _, code, _ in warm])  # first calls: the GS1 AI table is loaded once
    results = page.evaluate(RESOLVE_ALL, [code for _, code, _ in picks])
    by_kind: dict[str, list[float]] = {}
    for (kind, code, sku), (ms, found, found_sku) in zip(picks, results, strict=True):
        if kind != "unknown" and (found != "item" or found_sku != sku):
            raise RuntimeError(f"{code} resolved to {found} {found_sku}, expected item {sku}")
        if kind == "unknown" and found == "item":
            raise RuntimeError(f"{code} should be unknown, resolved to item {found_sku}")
        by_kind.setdefault(kind, []).append(ms)
    resolve_times = [ms for ms, _, _ in results]
    print(f"   resolve(code) from /scan.js, {len(picks)} scans after 20 warm-up ones, timed in the page:")
    print(f"   all              {summary(resolve_times)}   (goal p95 < 20 ms)")
    for kind, label in (("barcode", "barcodes"), ("sku", "SKUs"), ("unknown", "unknown codes")):
        if kind in by_kind:
            print(f"     {label:<14} {summary(by_kind[kind])}   ({len(by_kind[kind])})")

    # 2. Cold start with no network: a new page in the same context (the worker and its cache stay), offline.
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=30_000)
    page.close()
    context.set_offline(True)
    cold: list[float] = []
    frames, seen, served, dom = [], [], [], []
    for _ in range(args.rounds):
        page = context.new_page()
        try:
            page.goto(base + "/")
            page.wait_for_selector("[data-task]", timeout=30_000)
            seen.append(page.evaluate("performance.now()"))
            page.wait_for_function("window.__benchFrame !== undefined", timeout=30_000)
            probe = page.evaluate("""() => {
                const nav = performance.getEntriesByType("navigation")[0];
                return { interactive: window.__benchInteractive, frame: window.__benchFrame, online: navigator.onLine,
                         served: nav ? nav.responseEnd : null, dom: nav ? nav.domContentLoadedEventEnd : null,
                         state: document.getElementById("sync").dataset.state };
            }""")
            if probe["online"] or probe["state"] != "offline":
                raise RuntimeError(f"the cold-start page was not offline: {probe}")
            cold.append(probe["interactive"])
            frames.append(probe["frame"])
            served.append(probe["served"] or 0)
            dom.append(probe["dom"] or 0)
        finally:
            page.close()
    context.set_offline(False)
    print(f"\n2. app-shell cold start offline to interactive ({args.rounds} rounds, a new page each in one context, "
          "from the service worker's cache)")
    print(f"   navigation start → home tiles drawn and scan field focused: median {statistics.median(cold):.0f} ms  max {max(cold):.0f} ms"
          f"   (goal < 1 s)")
    print(f"     rounds: {' '.join(f'{x:.0f}' for x in cold)} ms")
    print(f"     next frame median {statistics.median(frames):.0f} ms; "
          f"index.html from the worker median {statistics.median(served):.0f} ms; "
          f"DOMContentLoaded median {statistics.median(dom):.0f} ms; as Playwright saw it (incl. its round trip) median "
          f"{statistics.median(seen):.0f} ms", flush=True)
    return shell, fetched


def shell_snapshot() -> dict[str, bytes]:
    """The shell's files as they are now ("/" is index.html), read when the browser first loads the app, so the two
    figures of section 3 describe the same files."""
    return {path: (PWA / ("index.html" if path == "/" else path.lstrip("/"))).read_bytes() for path in shell_files()}


def report_shell(shell: dict[str, bytes], fetched: dict[str, bytes]) -> None:
    files = [(path, len(data), gz(data)) for path, data in shell.items() if path.endswith((".js", ".css"))]
    raw, zipped = sum(f[1] for f in files), sum(f[2] for f in files)
    left_out = [p for p in shell if not p.endswith((".js", ".css"))]
    print(f"\n3. JS + CSS shipped, without the wasm decoder ({len(files)} .js/.css files of sw.js's SHELL, each gzipped -6 on its own)")
    print(f"   {raw / 1000:.1f} KB raw, {zipped / 1000:.1f} KB gzip   (goal < 250 KB)")
    print("   biggest: " + ", ".join(f"{p} {r / 1000:.1f} KB ({z / 1000:.1f} gz)" for p, r, z in sorted(files, key=lambda f: -f[1])[:5]))
    other = sum(len(shell[p]) for p in left_out if p != "/" and not p.endswith(".wasm"))  # "/" is /index.html again
    wasm = sum(len(shell[p]) for p in left_out if p.endswith(".wasm"))
    print(f"   not counted: the rest of the shell (html, json, manifest, icons) {other / 1000:.1f} KB; "
          f"the wasm decoder {wasm / 1000:.0f} KB")
    loaded = {p: d for p, d in fetched.items() if p.endswith((".js", ".css"))}
    load_raw, load_zipped = sum(len(d) for d in loaded.values()), sum(gz(d) for d in loaded.values())
    everything = sum(len(d) for p, d in fetched.items() if not p.endswith(".wasm"))
    print(f"   cross-check, a first online page load fetched {len(loaded)} .js/.css files: {load_raw / 1000:.1f} KB raw, "
          f"{load_zipped / 1000:.1f} KB gzip ({everything / 1000:.1f} KB raw in all {len(fetched)} responses, no wasm)")
    counted = {p for p, _, _ in files}
    if not_in_shell := sorted(set(loaded) - counted):
        print(f"     fetched but not in the shell: {', '.join(not_in_shell)}")
    if lazy := sorted(counted - set(loaded)):
        print(f"     in the shell, not fetched by the page at start (loaded when needed): {', '.join(lazy)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=100_000, help="items in the catalog (a barcode each)")
    parser.add_argument("--lookups", type=int, default=500, help="codes resolved on the device")
    parser.add_argument("--rounds", type=int, default=7, help="offline cold starts")
    parser.add_argument("--scans", type=int, default=40, help="scans timed from the scan field to the screen (floor work)")
    parser.add_argument("--port", type=int, default=0, help="server port (default: a free one)")
    args = parser.parse_args()
    if args.items < 10 or args.lookups < 10 or args.rounds < 1:
        parser.error("--items and --lookups must be at least 10, --rounds at least 1")
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        sys.exit(f"Chromium not found at {CHROMIUM}: install Debian's (apt-get install chromium) or set CANGKU_CHROMIUM. "
                 "`playwright install` is not used here.")
    with tempfile.TemporaryDirectory(prefix="cangku-bench-pwa-") as tmp:
        run(args, Path(tmp))


if __name__ == "__main__":
    main()
