// Stocktakes: counting a bin at a time.

import * as store from "../store.js";
import * as sync from "../sync.js";
import * as scan from "../scan.js";
import { inBoth, t } from "../i18n.js";
import { h, say, dec, fmt, screen, working, showing, go } from "../ui.js";
import { keep, unfinishedWork, warehouse } from "./shared.js";

/** Stocktakes in progress and where each expects what (never how much: the count is blind), for counting offline. */
export async function refreshCounts() {
  const wh = await warehouse();
  return keep("count", async () => {
    const list = (await sync.api("/api/v1/counts", { params: { warehouse: wh, status: "counting" } })).items;
    for (const count of list) await countLines(count.number);
    return list;
  });
}

async function countLines(number) {
  const lines = [];
  for (let offset = 0; ; offset += 500) {
    const page = await sync.api(`/api/v1/counts/${encodeURIComponent(number)}`, { params: { limit: 500, offset } });
    lines.push(...page.lines.map((line) => ({ location: line.location, sku: line.sku, lot: line.lot, status: line.status })));
    if (offset + 500 >= page.lines_matching) break;
  }
  await store.putDoc("count-lines", { number, lines });
  return lines;
}

export async function counts() {
  const here = location.hash;
  working(null);
  const draw = async () => {
    const list = await store.docs("count");
    if (!showing(here)) return;
    screen(t("count"), list.length ? h("ul", { class: "list" }, list.map((c) => h("li", {}, h("strong", {}, c.number),
      h("button", { class: "primary", onclick: () => go(`#/count/${encodeURIComponent(c.number)}`) }, t("count")))))
      : h("p", { class: "muted" }, t("no counts")));
  };
  await draw();
  if (await refreshCounts()) await draw();
}

/** A blind count, bin by bin: scan the bin, scan what is in it, then say the bin is done. What the book expects
 *  in that bin and was not scanned is counted as none; the book's quantities are never shown. */
export async function countBins(number) {
  const here = location.hash;
  const work = unfinishedWork(`count:${number}`, () => ({ bin: null, counted: new Map() }));  // counted: sku|lot -> {sku, lot, qty}
  const counted = work.counted;
  let expected;  // the count's lines (location, sku, lot): fresh when online, else as the device last had them
  try {
    expected = await countLines(number);
  } catch {
    expected = (await store.getDoc("count-lines", number))?.lines || [];
  }
  const panel = h("div", { id: "count" });
  screen(`${t("count")} ${number}`, panel);
  const draw = () => {
    if (!showing(here)) return;
    const recount = [...new Set(expected.filter((l) => l.status === "recount").map((l) => l.location))];
    panel.replaceChildren(
      recount.length ? h("p", { class: "pending" }, `${t("recount")}: ${recount.join(", ")}`) : "",
      h("p", {}, work.bin ? `${t("location")}: ` : t("scan the bin"), work.bin ? h("strong", { "data-field": "bin" }, work.bin) : null),
      h("ul", { class: "list counted" }, [...counted.entries()].map(([key, l]) => h("li", { "data-sku": l.sku, "data-lot": l.lot || "" },
        h("span", {}, `${l.sku}${l.lot ? ` · ${l.lot}` : ""}`),
        h("input", { name: "qty", inputmode: "decimal", autocomplete: "off", size: 7, value: fmt(l.qty), "aria-label": `${t("qty")} ${l.sku}${l.lot ? ` ${l.lot}` : ""}`,
          onchange: (event) => setCount(key, event.target), onkeydown: (event) => { if (event.key === "Enter") event.target.blur(); } })))),
      work.bin ? h("button", { class: "primary", type: "button", "data-action": "bin-done", onclick: finish }, t("bin done")) : "");
  };
  // A line's count typed in: a weight, a box counted by hand, or a scan too many taken back.
  const setCount = (key, input) => {
    const line = counted.get(key);
    if (!line) return;
    const value = input.value.trim().replace(",", ".");
    if (!/^\d+(\.\d{1,4})?$/.test(value)) {
      scan.error();
      say("error", `${t("bad qty")}: ${input.value}`);
      input.value = fmt(line.qty);
      return input.focus();
    }
    line.qty = dec(value);
    scan.ok();
    draw();
  };
  const finish = async () => {
    // The bin is closed at once: a scan that arrives while the count is being saved starts the next bin.
    const where = work.bin;
    const found = new Map(counted);
    work.bin = null;
    counted.clear();
    draw();
    const lines = [...found.values()].map((l) => ({ location: where, sku: l.sku, qty: fmt(l.qty), ...(l.lot ? { lot: l.lot } : {}) }));
    for (const line of expected.filter((l) => l.location === where)) {
      if (!found.has(`${line.sku}|${line.lot || ""}`)) lines.push({ location: where, sku: line.sku, qty: "0", ...(line.lot ? { lot: line.lot } : {}) });
    }
    if (lines.length) await sync.queue("count.record", { count: number, lines }, inBoth((t) => `${t("count")} ${number} ${where}: ${lines.length} ${t(lines.length === 1 ? "line" : "lines")}`));
    scan.ok();
    say("ok", `${where} ${t("counted")}`);
  };
  working(async (code) => {
    const found = await scan.resolve(code);
    if (found.kind === "location") {
      if (work.bin && counted.size) await finish();
      work.bin = found.code;
      scan.ok();
      return draw();
    }
    if (!work.bin || found.kind !== "item") {
      scan.error();
      return say("error", work.bin ? `${t("unknown code")}: ${code}` : t("scan the bin"));
    }
    const key = `${found.sku}|${found.lot || ""}`;
    const line = counted.get(key) || { sku: found.sku, lot: found.lot || null, qty: 0 };
    line.qty += dec(found.qty || 1);
    counted.set(key, line);
    scan.ok();
    draw();
  });
  draw();
}
