// Scan anything, and stock look-up.

import * as store from "../store.js";
import * as sync from "../sync.js";
import * as scan from "../scan.js";
import { language, languageTag, t } from "../i18n.js";
import { h, dec, screen, working, showing, go, table, listen, onLeave } from "../ui.js";
import { printLabels, warehouse } from "./shared.js";

/** Scan anything: what it is, what this warehouse holds of it, and what can be done with it from here. */
export async function scanAnything(code) {
  const here = location.hash;
  working(async (scanned) => go(`#/scan/${encodeURIComponent(scanned)}`));
  const result = h("div", { id: "scan-result" });
  screen(t("scan anything"), result);
  if (!code) return result.append(h("p", { class: "muted" }, t("scan anything hint")));
  const wh = await warehouse();
  const found = await scan.resolve(code);
  const name = (item) => (item ? (language() === "zh" ? item.name_zh : item.name_en) : "");
  const balances = async (filter) => (await store.inScope(`wh:${wh}`)).filter((row) => row.kind === "balance" && filter(row.data)).map((row) => row.data);
  const action = (key, label, onclick) => h("button", { "data-action": key, onclick }, t(label));
  const sections = [];
  if (found.kind === "item" || found.kind === "lot") {
    const sku = found.sku;
    const item = found.item || firstItem(await store.bySku("item", sku));
    const rows = await balances((b) => b.sku === sku && (!found.lot || b.lot === found.lot));
    sections.push(
      h("p", { "data-kind": found.kind }, h("strong", {}, sku), " ", name(item), found.lot ? ` · ${t("lot")} ${found.lot}` : "",
        found.expiry ? ` · ${t("expiry")} ${found.expiry}` : "", found.qty && dec(found.qty) !== 1 ? ` · × ${found.qty}` : ""),
      rows.length ? table([t("location"), t("lot"), { text: t("on hand"), num: true }, { text: t("available"), num: true }],
        rows.sort((a, b) => a.location.localeCompare(b.location)).map((b) => [b.location, b.lot || "", { text: b.qty, num: true }, { text: b.available, num: true }]))
        : h("p", { class: "muted" }, t("none here")),
      h("div", { class: "actions" },
        action("stock", "stock", () => go(`#/stock/${encodeURIComponent(sku)}`)),
        action("print-item", "print label", () => printLabels(found.lot ? { kind: "lot", lots: [{ sku, lot: found.lot }] } : { kind: "item", codes: [sku] }))));
  } else if (found.kind === "location") {
    const rows = await balances((b) => b.location === found.code);
    const counting = (await store.docs("count")).filter((c) => (c.locations || []).includes(found.code));
    sections.push(
      h("p", { "data-kind": "location" }, h("strong", {}, found.code), " ", found.location.name || "", found.location.quarantine ? ` · ${t("quarantine")}` : ""),
      rows.length ? table([t("item"), t("lot"), { text: t("on hand"), num: true }, { text: t("available"), num: true }],
        rows.sort((a, b) => a.sku.localeCompare(b.sku)).map((b) => [b.sku, b.lot || "", { text: b.qty, num: true }, { text: b.available, num: true }]))
        : h("p", { class: "muted" }, t("bin empty")),
      h("div", { class: "actions" },
        action("transfer", "transfer from here", () => go(`#/transfer/${encodeURIComponent(found.code)}`)),
        counting.length ? action("count", "count this bin", () => go(`#/count/${encodeURIComponent(counting[0].number)}`)) : null,
        action("print-location", "print label", () => printLabels({ kind: "location", codes: [found.code] }))));
  } else if (found.kind === "gs1") {
    sections.push(h("p", { "data-kind": "gs1" }, t("gs1 unknown item")),
      table([t("field"), t("value")], Object.entries(found.gs1).filter(([, v]) => v !== null && v !== undefined && typeof v !== "object").map(([k, v]) => [k, String(v)])));
  } else {
    const po = await store.getDoc("po", code);
    const so = await store.getDoc("so", code);
    if (po) sections.push(h("p", { "data-kind": "po" }, h("strong", {}, code), ` · ${po.supplier}`), h("div", { class: "actions" }, action("receive", "receive", () => go(`#/receive/${encodeURIComponent(code)}`))));
    else if (so) sections.push(h("p", { "data-kind": "so" }, h("strong", {}, code), ` · ${so.customer}`), h("div", { class: "actions" }, action("pack", "pack", () => go(`#/pack/${encodeURIComponent(code)}`))));
    else {
      scan.error();
      sections.push(h("p", { "data-kind": "unknown", class: "pending" }, `${t("unknown code")}: ${code}`));
    }
  }
  if (!showing(here)) return;
  if (found.kind !== "unknown") scan.ok();
  result.replaceChildren(...sections);
}

const firstItem = (rows) => (rows.length ? rows[0].data : null);

export async function stockLookup(code) {
  working(async (scanned) => go(`#/stock/${encodeURIComponent(scanned)}`));
  const wh = await warehouse();
  const here = location.hash;
  const result = h("div", { id: "stock-result" });
  screen(t("stock"), result);
  if (!code) return;
  const found = await scan.resolve(code);
  const sku = found.kind === "item" ? found.sku : code;
  const live = new Map();  // warehouse -> the newest stock message, until the pull that follows it is stored
  const draw = async () => {
    const stored = (await store.bySku("stock", sku)).map((row) => row.data);
    const summary = [...new Map([...stored.map((s) => [s.warehouse, s]), ...live]).values()];
    if (!showing(here)) return;
    const bins = (await store.bySku("balance", sku)).filter((row) => row.scope === `wh:${wh}`).map((row) => row.data);
    const lastSync = await store.get("lastSync");
    result.replaceChildren(
      h("h3", {}, sku, found.item ? ` · ${language() === "zh" ? found.item.name_zh : found.item.name_en}` : ""),
      h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, t("warehouse")), h("th", { class: "num" }, t("on hand")),
        h("th", { class: "num" }, t("available")))),
        h("tbody", {}, summary.map((s) => h("tr", { "data-warehouse": s.warehouse },
          h("td", {}, s.warehouse), h("td", { class: "num", "data-field": "qty" }, s.qty), h("td", { class: "num", "data-field": "available" }, s.available))))),
      h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, t("location")), h("th", {}, t("lot")), h("th", { class: "num" }, t("on hand")),
        h("th", { class: "num" }, t("available")))),
        h("tbody", {}, bins.sort((a, b) => a.location.localeCompare(b.location)).map((b) => h("tr", {},
          h("td", {}, b.location), h("td", {}, b.lot || ""), h("td", { class: "num" }, b.qty), h("td", { class: "num" }, b.available))))),
      h("p", { class: "muted" }, `${t("as of")} ${lastSync ? new Date(lastSync).toLocaleString(languageTag()) : t("never")}${navigator.onLine ? "" : ` (${t("offline")})`}`));
  };
  sync.watch([sku]);
  const onStock = async (event) => {
    const message = event.detail;
    if (message.sku !== sku) return;
    if (message.scope.startsWith("stock:")) live.set(message.warehouse, message);
    await draw();
  };
  const changed = () => { live.clear(); draw(); };
  listen(sync.events, "stock", onStock);
  listen(sync.events, "changed", changed);
  onLeave(() => sync.watch([]));
  // Drawn once it listens: what the device stored before is read now, and what it stores from here on draws again.
  await draw();
}
