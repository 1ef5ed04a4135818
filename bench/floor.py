"""Floor work on the phone, counted and timed: what a worker does per receipt line and per pick, and how long a scan
takes to show.

    python bench/floor.py [--scans 40]        (also run as section 3 of bench/pwa.py)

In a real Chromium at 390×844 against `cangku serve` on a temporary SQLite database (tests.conftest's small world:
PEN plain with a carton of 12, MILK lot-tracked with a carton of 6), a warehouse worker signed in through the app:
  - receiving a purchase order of 48 PEN and 24 MILK in two lots — 12 PEN one by one, the other 36 in 3 cartons, the
    MILK by carton with each lot typed once — then "receiving done" with every line accepted: scans, taps and typed
    entries per receipt line, scans per unit of PEN, scans per carton and lot entries per lot
    (goals: 1 scan per unit of an untracked item, 1 scan per carton, a lot entered at most once per lot);
  - picking a wave of 4 tasks: scans and taps per pick (bin, item, confirm);
  - scan to screen: a PEN scanned on the receiving screen until its row shows the new count, timed in the page from the
    scan field's Enter to the DOM change, `--scans` times: p50/p95/max.
Nothing is asserted about timings; the counts are what the app asked of the worker.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("CANGKU_ARGON2_TIME_COST", "1")
os.environ.setdefault("CANGKU_ARGON2_MEMORY_KIB", "1024")

from bench.ledger import fresh  # noqa: E402
from server.auth.permissions import SYSTEM  # noqa: E402
from server.auth.services import create_user  # noqa: E402
from server.testing import ServedProcess  # noqa: E402
from tests.conftest import build_world  # noqa: E402
from tests.helpers import PEN_CARTON, PEN_EACH  # noqa: E402
from tests.stories import Api, customer_and_areas, supplier_and_dock  # noqa: E402

CHROMIUM = os.environ.get("CANGKU_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True, "locale": "en-US"}
PASSWORD = "bench password 1"
MILK_CARTON = "16901234000020"

# Whether the receiving screen counts `qty` of `sku`: received by the server plus still to send.
COUNTED = """([sku, qty]) => {
  const row = document.querySelector(`tr[data-sku=${sku}]`);
  return !!row && Number(row.querySelector("[data-field=received]").textContent) + Number(row.querySelector("[data-field=pending]").textContent) === qty;
}"""

# From the scan field's Enter to the first change of PEN's "to send" cell on the receiving screen, in the page.
SCAN_TO_SCREEN = """async (code) => {
  const cell = () => document.querySelector("tr[data-sku=PEN] [data-field=pending]");
  const before = cell().textContent;
  const field = document.getElementById("scan");
  const changed = new Promise((resolve) => {
    const watch = new MutationObserver(() => {
      if (cell() && cell().textContent !== before) { watch.disconnect(); resolve(performance.now()); }
    });
    watch.observe(document.getElementById("app"), { subtree: true, childList: true, characterData: true });
  });
  field.value = code;
  const start = performance.now();
  field.form.requestSubmit();
  return (await changed) - start;
}"""


class Worker:
    """A worker's hands on the phone: every scan, tap and typed entry counted."""

    def __init__(self, page) -> None:  # type: ignore[no-untyped-def]
        self.page, self.count = page, Counter()

    def scan(self, code: str) -> None:
        self.count["scans"] += 1
        self.page.evaluate("(code) => { const f = document.getElementById('scan'); f.value = code; f.form.requestSubmit(); }", code)

    def tap(self, selector: str) -> None:
        self.count["taps"] += 1
        self.page.locator(selector).first.click()

    def type(self, selector: str, text: str) -> None:
        self.count["typed"] += 1
        self.page.locator(selector).first.fill(text)


@contextlib.contextmanager
def company(tmp: Path, port: int | None) -> Iterator[tuple[str, dict[str, Api]]]:
    """The small world on a served temporary SQLite database, with a worker of WH1, a purchaser, an approver, sales and an
    administrator, signed in through the API."""
    tmp.mkdir(parents=True, exist_ok=True)
    db = fresh("sqlite", tmp, "floor")
    build_world(db)
    roles = {"worker": ["warehouse"], "buyer": ["purchaser"], "boss": ["approver"], "seller": ["sales"], "admin": ["admin"]}
    with db.write() as s:
        for name, granted in roles.items():
            create_user(s, SYSTEM, username=name, password=PASSWORD, roles=granted, warehouses=["WH1"] if name == "worker" else [])
    url = db.engine.url.render_as_string(hide_password=False)
    db.dispose()
    with ServedProcess(tmp, "--no-scheduler", env={"CANGKU_DATABASE_URL": url, "CANGKU_DATA_DIR": str(tmp)}, port=port) as server:
        server.wait_healthy()
        with httpx.Client(base_url=server.url, timeout=30) as client:
            apis = {}
            for name in roles:
                token = client.post("/api/v1/auth/login", json={"username": name, "password": PASSWORD}).json()["token"]
                apis[name] = Api(client, {"Authorization": f"Bearer {token}"})  # type: ignore[arg-type]
            yield server.url, apis


def approved_po(apis: dict[str, Api], lines: list[dict[str, str]]) -> str:
    po = apis["buyer"].post("/api/v1/purchase-orders", {"supplier": "SUP1", "warehouse": "WH1", "lines": lines}, expect=201)
    po = apis["buyer"].post(f"/api/v1/purchase-orders/{po['number']}/submit", {"version": po["version"]})
    apis["boss"].post(f"/api/v1/purchase-orders/{po['number']}/approve", {"version": po["version"]})
    return po["number"]


def receive(worker: Worker, number: str) -> dict[str, int]:
    """48 PEN (12 one by one, 3 cartons) and 24 MILK (2 lots of 2 cartons), then receiving done, all accepted; the scans
    of each part and the lots typed."""
    page = worker.page
    page.evaluate("location.hash = '#/receive'")
    worker.tap(f"[data-po='{number}'] button")  # the order, from the list of those to receive
    page.locator("tr[data-sku=PEN] [data-field=pending]").wait_for()
    parts = {}
    for _ in range(12):
        worker.scan(PEN_EACH)
    parts["pen_each"] = worker.count["scans"]
    for _ in range(3):
        worker.scan(PEN_CARTON)
    parts["pen_carton"] = worker.count["scans"] - parts["pen_each"]
    page.wait_for_function(COUNTED, arg=["PEN", 48])
    before = worker.count["scans"]
    for lot in ("L-A", "L-B"):
        if lot != "L-A":
            worker.tap("[data-action=new-lot]")
        else:
            worker.scan(MILK_CARTON)  # a new item: the app asks for its lot
        worker.type("[data-form=lot] input[name=lot]", lot)
        worker.tap("[data-action=lot-ok]")
        if lot != "L-A":
            worker.scan(MILK_CARTON)
        worker.scan(MILK_CARTON)
    parts["milk"] = worker.count["scans"] - before
    parts["lots_typed"] = worker.count["typed"]
    page.wait_for_function(COUNTED, arg=["MILK", 24])
    worker.tap("[data-action=receiving-done]")
    page.locator("[data-action=complete-receipt]").wait_for()
    worker.tap("[data-action=complete-receipt]")
    page.wait_for_function("() => !document.querySelector('[data-action=complete-receipt]')")
    return parts


def pick(worker: Worker, apis: dict[str, Api], tasks: int) -> int:
    """A wave of `tasks` orders of 2 PEN each from B1, picked in bin order: bin, item, confirm."""
    orders = []
    for _ in range(tasks):
        so = apis["seller"].post("/api/v1/sales-orders", {"customer": "CUS1", "warehouse": "WH1", "lines": [{"sku": "PEN", "qty": "2", "unit_price": "3"}]},
                                 expect=201)
        apis["seller"].post(f"/api/v1/sales-orders/{so['number']}/confirm", {"version": so["version"]})
        orders.append(so["number"])
    apis["worker"].post("/api/v1/waves", {"warehouse": "WH1", "orders": orders}, expect=201)
    page = worker.page
    page.evaluate("location.hash = '#/pick'")
    for done in range(tasks):
        page.locator("#pick [data-field=location]").wait_for()
        task_text = page.locator("#pick p.muted").inner_text()
        worker.scan(page.locator("#pick [data-field=location]").inner_text().strip())
        page.locator("#pick [data-field=location].done").wait_for()
        worker.scan(PEN_EACH)
        page.locator("[data-action=confirm-pick]").wait_for()
        worker.tap("[data-action=confirm-pick]")
        if done + 1 < tasks:
            page.wait_for_function("(before) => document.querySelector('#pick p.muted')?.textContent !== before", arg=task_text)
    page.locator("#pick", has_text="No").or_(page.locator("#pick p.muted")).first.wait_for()
    return tasks


def scan_to_screen(page, number: str, scans: int) -> list[float]:  # type: ignore[no-untyped-def]
    page.evaluate("location.hash = '#/receive'")
    page.locator(f"[data-po='{number}'] button").click()
    page.locator("tr[data-sku=PEN] [data-field=pending]").wait_for()
    return [page.evaluate(SCAN_TO_SCREEN, PEN_EACH) for _ in range(scans)]


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, int(round(p * len(ordered))) - 1))]


def measure(browser, tmp: Path, scans: int, port: int | None = None) -> None:  # type: ignore[no-untyped-def]
    """Prints the floor-work figures (see the module's doc)."""
    with company(tmp, port) as (base, apis):
        supplier_and_dock(apis["admin"])
        customer_and_areas(apis["admin"])
        apis["worker"].post("/api/v1/stock/moves", {"sku": "PEN", "qty": "100", "from": "SUPPLIER", "to": "B1", "unit_cost": "1"}, expect=201)
        first = approved_po(apis, [{"sku": "PEN", "qty": "48", "unit_price": "2"}, {"sku": "MILK", "qty": "24", "unit_price": "5"}])
        timing = approved_po(apis, [{"sku": "PEN", "qty": str(scans + 10), "unit_price": "2"}])
        context = browser.new_context(**PHONE)
        try:
            page = context.new_page()
            page.goto(base + "/")
            page.locator("input[name=username]").fill("worker")
            page.locator("input[name=password]").fill(PASSWORD)
            page.locator("form button[type=submit]").click()
            page.locator("[data-task=receive]").wait_for()
            page.wait_for_function("async () => { const s = await import('/store.js'); return !!(await s.get('cursors'))?.catalog; }")
            worker = Worker(page)
            parts = receive(worker, first)
            receipt = apis["admin"].get("/api/v1/receipts", po=first)["items"][0]
            lines = {(line["sku"], line["lot"]): line["qty"] for line in receipt["lines"]}
            units = lambda sku: sum(float(qty) for (line_sku, _), qty in lines.items() if line_sku == sku)  # noqa: E731
            shown = ", ".join(f"{sku} {lot or ''} × {qty}".replace("  ", " ") for (sku, lot), qty in sorted(lines.items(), key=str))
            print(f"receiving {units('PEN'):g} PEN + {units('MILK'):g} MILK into {len(lines)} receipt lines ({shown}): "
                  f"{worker.count['scans']} scans, {worker.count['taps']} taps, {worker.count['typed']} typed entries — per receipt line "
                  f"{worker.count['scans'] / len(lines):.1f} scans, {worker.count['taps'] / len(lines):.1f} taps, "
                  f"{worker.count['typed'] / len(lines):.1f} typed")
            print(f"  PEN: {parts['pen_each']} scans for 12 units one by one ({parts['pen_each'] / 12:.1f} per unit), "
                  f"{parts['pen_carton']} scans for 3 cartons ({parts['pen_carton'] / 3:.1f} per carton)")
            milk_lots = sorted(lot for (sku, lot) in lines if sku == "MILK")
            print(f"  MILK: {parts['milk']} scans for 4 cartons ({parts['milk'] / 4:.1f} per carton), lot typed {parts['lots_typed']} "
                  f"times for {len(milk_lots)} lots ({', '.join(milk_lots)})")
            picker = Worker(page)
            picks = pick(picker, apis, 4)
            print(f"picking a wave of {picks} tasks: {picker.count['scans']} scans and {picker.count['taps']} taps — per pick "
                  f"{picker.count['scans'] / picks:.1f} scans, {picker.count['taps'] / picks:.1f} taps")
            samples = scan_to_screen(page, timing, scans)
            print(f"scan to screen (receiving, {scans} scans): p50 {percentile(samples, 0.5):.1f} ms  p95 {percentile(samples, 0.95):.1f} ms  "
                  f"max {max(samples):.1f} ms", flush=True)
        finally:
            context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scans", type=int, default=40, help="scans timed from the scan field to the screen")
    parser.add_argument("--port", type=int, default=0, help="server port (default: a free one)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="cangku-bench-floor-") as tmp, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            print(f"Chromium {browser.version}, headless, {PHONE['viewport']['width']}×{PHONE['viewport']['height']}", flush=True)
            measure(browser, Path(tmp), args.scans, args.port or None)
        finally:
            browser.close()


if __name__ == "__main__":
    main()
