// Receiving a transfer order from another warehouse by scanning: the bin it goes into, each item, then why anything is short.

import * as store from "../store.js";
import * as sync from "../sync.js";
import * as scan from "../scan.js";
import { inBoth, language, t } from "../i18n.js";
import { h, say, quiet, dec, fmt, screen, working, showing, go, listen } from "../ui.js";
import { keep, unfinished, unfinishedWork, warehouse } from "./shared.js";

const KIND = "transfer-in";
const OP = "transfer.receive";

/** Transfers shipped to this warehouse and still in transit, kept on the device for when there is no signal. */
export async function refreshTransfersIn() {
  const wh = await warehouse();
  if (!wh) return false;
  return keep(KIND, async () => (await sync.api("/api/v1/transfers", { params: { to_warehouse: wh, status: "shipped", limit: 100 } })).items);
}

/** The transfers this device received, by number: "pending" while the outbox holds the receipt, "sent" once applied. A
 *  refused one is not here: it can be received again (the refusal waits in the issue inbox). */
async function receivedHere() {
  const by = new Map();
  for (const op of await sync.ownOps()) {
    if (op.type !== OP || ["rejected", "conflict"].includes(op.state)) continue;
    by.set(op.payload.transfer, op.state === "pending" ? "pending" : "sent");
  }
  return by;
}

/** The transfers on their way to this warehouse not yet received on this device (those waiting in its outbox too, unless
 *  `waiting` is false: the home screen counts only what is left to do). */
export async function incomingTransfers(waiting = true) {
  const wh = await warehouse();
  const done = await receivedHere();
  return (await store.docs(KIND)).filter((d) => d.to_warehouse === wh && d.status === "shipped" && (waiting ? done.get(d.number) !== "sent" : !done.has(d.number)))
    .sort((a, b) => a.number.localeCompare(b.number));
}

const nameOf = (line) => (language() === "zh" ? line.name_zh : line.name_en || line.name_zh);

export async function transfersIn() {
  const here = location.hash;
  let drawn = null;  // the transfers on screen: drawn again only when what is to show differs (a tap is not lost to a redraw)
  const draw = async () => {
    const orders = await incomingTransfers();
    const done = await receivedHere();
    const seen = orders.map((o) => `${o.number}@${o.version}:${done.get(o.number) || ""}`).join();
    if (!showing(here) || seen === drawn) return;
    drawn = seen;
    screen(t("transfers in"), orders.length
      ? h("ul", { class: "list" }, orders.map((o) => h("li", { "data-transfer": o.number },
        h("span", {}, h("strong", {}, o.number), " ", h("span", { class: "muted" }, `${t("from")} ${o.from_warehouse} · ${o.lines.length} ${t(o.lines.length === 1 ? "line" : "lines")}`)),
        done.get(o.number) === "pending"
          ? h("span", { class: "pending", "data-field": "waiting" }, t("waiting to send"))
          : h("button", { class: "primary", onclick: () => go(`#/transfers-in/${encodeURIComponent(o.number)}`) }, t("receive")))))
      : h("p", { class: "muted" }, t("no transfers in")));
  };
  working(async (code) => {  // the transfer's number, scanned off its papers
    const found = (await incomingTransfers()).find((o) => o.number === code);
    if (!found) {
      scan.error();
      return say("error", `${t("unknown code")}: ${code}`);
    }
    scan.ok();
    go(`#/transfers-in/${encodeURIComponent(code)}`);
  });
  await draw();
  listen(sync.events, "status", draw);  // a receipt sent from here leaves the list once applied
  // Once the outbox is sent, the list as the server has it (a transfer received elsewhere meanwhile leaves it too).
  listen(sync.events, "pushed", async () => { if (await refreshTransfersIn()) await draw(); });
  if (await refreshTransfersIn()) await draw();
}

/** The bin of this warehouse that already holds most of the transfer's goods (the device's own copy of its stock), as the
 *  put-away suggests one; none when the warehouse holds none of them. The worker may scan any other bin. */
async function suggestedBin(wh, order) {
  for (const line of order.lines) {
    const rows = (await store.bySku("balance", line.sku)).filter((row) => row.scope === `wh:${wh}` && dec(row.data.qty) > 0);
    const usable = [];
    for (const row of rows) {
      const place = (await store.byCode("location", row.data.location))[0]?.data;
      if (place && place.kind === "bin" && !place.quarantine && place.active !== false) usable.push(row.data);
    }
    usable.sort((a, b) => dec(b.qty) - dec(a.qty) || a.location.localeCompare(b.location));
    if (usable.length) return usable[0].location;
  }
  return null;
}

/** Receiving one transfer: scan the bin (or keep the suggested one), then each item — a carton counts its pack, a lot label
 *  or a GS1 lot picks the lot's line, a serial number its line — and see what was shipped against what is scanned. "Everything
 *  scanned" asks why for each line short, and the receipt goes to the outbox, offline or not. */
export async function transferIn(number) {
  const here = location.hash;
  const wh = await warehouse();
  let order = await store.getDoc(KIND, number);
  if (!order || order.to_warehouse !== wh) return transfersIn();
  if ((await receivedHere()).has(number)) {
    say("ok", `${number}: ${t("waiting to send")}`);
    return go("#/transfers-in");
  }
  // What was scanned outlives the screen (another language, a look-up in between): counts and serials by line number.
  const work = unfinishedWork(`transfer-in:${number}`, () => ({ bin: null, counts: new Map(), serials: new Map(), current: null,
    lotOf: new Map(), notes: new Map(), choosing: null, reviewing: false }));
  const suggested = await suggestedBin(wh, order);
  const panel = h("div", { id: "transfer-in" });
  const lines = () => order.lines.filter((line) => dec(line.shipped) > 0);
  const counted = (line) => work.counts.get(line.line) || 0;
  const named = (line) => work.serials.get(line.line) || [];
  const bin = () => work.bin || suggested;

  const draw = () => {
    if (!showing(here)) return;
    if (work.reviewing) return review();
    working(scanned);
    const current = order.lines.find((line) => line.line === work.current);
    panel.replaceChildren(...[
      h("p", { id: "receive-into" }, `${t("receive into")}: `, bin() ? h("strong", { "data-field": "bin" }, bin()) : h("span", { class: "pending" }, t("no bin yet")),
        !work.bin && suggested ? h("span", { class: "muted", "data-field": "suggested" }, ` (${t("suggested")})`) : ""),
      h("p", { class: "muted" }, `${t("from")} ${order.from_warehouse} · ${t("scan bin or items")}`),
      work.choosing ? lotChoice() : null,
      current ? currentLine(current) : null,
      h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, t("item")), h("th", { class: "num" }, t("expected qty")), h("th", { class: "num" }, t("scanned")))),
        h("tbody", {}, lines().map((line) => h("tr", { "data-line": line.line, "data-sku": line.sku },
          h("td", {}, h("strong", {}, line.sku), line.lot ? ` · ${t("lot")} ${line.lot}` : "", h("div", { class: "muted" }, nameOf(line))),
          h("td", { class: "num", "data-field": "expected" }, line.shipped),
          h("td", { class: `num ${counted(line) < dec(line.shipped) ? "pending" : ""}`, "data-field": "scanned" }, fmt(counted(line))))))),
      h("div", { class: "actions" },
        h("button", { class: "primary", "data-action": "transfer-done", onclick: () => { work.reviewing = true; draw(); } }, t("transfer done"))),
    ].filter(Boolean));
  };

  /** The line last counted, with its count to set by hand (a box counted by eye, a scan too many taken back). */
  const currentLine = (line) => {
    const qty = h("input", { name: "qty", inputmode: "decimal", autocomplete: "off", value: fmt(counted(line)), "aria-label": `${t("qty")} ${line.sku}` });
    return h("form", { class: "stack", id: "current", "data-line": line.line, onsubmit: (event) => { event.preventDefault(); setCount(line, qty.value); } },
      h("p", {}, h("strong", {}, line.sku), line.lot ? ` · ${t("lot")} ${line.lot}` : "", " · ", t("counted here"), " ",
        h("strong", { "data-field": "count" }, fmt(counted(line)))),
      h("label", {}, t("qty"), qty),
      h("button", { type: "submit", "data-action": "set-qty" }, t("set qty")));
  };

  /** An item shipped in several lots, scanned without its lot: which lot's line it counts into (a lot label answers too). */
  const lotChoice = () => h("div", { class: "stack", "data-form": "which-lot" }, h("strong", {}, `${work.choosing.sku} · ${t("which lot")}`),
    h("div", { class: "actions" }, work.choosing.lines.map((no) => {
      const line = order.lines.find((l) => l.line === no);
      return h("button", { type: "button", "data-lot": line.lot || "", onclick: () => chooseLot(line) }, line.lot || "—");
    }), h("button", { type: "button", onclick: () => { work.choosing = null; draw(); } }, t("cancel"))));

  const chooseLot = (line) => {
    const { qty } = work.choosing;
    work.choosing = null;
    work.lotOf.set(line.sku, line.line);
    count(line, qty, null);
  };

  const refuse = (text) => {
    scan.error();
    say("error", text);
  };

  const count = (line, qty, serial) => {
    if (counted(line) + qty > dec(line.shipped) + 1e-9) return refuse(`${t("more than shipped")}: ${line.sku} ${fmt(counted(line) + qty)} / ${line.shipped}`);
    if (line.serials.length && (serial ? counted(line) > named(line).length : named(line).length)) return refuse(`${t("serials or codes")}: ${line.sku}`);
    if (serial) work.serials.set(line.line, [...named(line), serial]);
    work.counts.set(line.line, Math.round((counted(line) + qty) * 10000) / 10000);
    work.current = line.line;
    scan.ok();
    quiet();
    draw();
  };

  const setCount = (line, value) => {
    const wanted = dec(String(value).replace(",", "."));
    if (!/^\d+(\.\d{1,4})?$/.test(String(value).trim().replace(",", ".")) || wanted > dec(line.shipped)) {
      return refuse(`${t("bad qty")}: ${value} (0–${line.shipped})`);
    }
    if (named(line).length && wanted !== named(line).length) return refuse(`${t("serials or codes")}: ${line.sku}`);
    work.counts.set(line.line, wanted);
    scan.ok();
    draw();
  };

  /** What a scan means here: a bin of this warehouse to receive into, a lot label, an item (its pack, its GS1 lot or serial),
   *  or a serial number shipped on the transfer. */
  async function scanned(code) {
    const found = await scan.resolve(code);
    if (!showing(here) || work.reviewing) return;
    if (found.kind === "location") {
      if (found.location.kind !== "bin" || found.location.warehouse !== wh || found.location.quarantine) return refuse(`${t("bin elsewhere")}: ${code}`);
      work.bin = found.code;
      scan.ok();
      quiet();
      return draw();
    }
    const ofSku = lines().filter((line) => line.sku === found.sku);
    if (found.kind === "lot") {
      const line = ofSku.find((l) => l.lot === found.lot);
      if (!line) return refuse(`${t("lot not on transfer")}: ${found.sku} · ${found.lot}`);
      work.lotOf.set(line.sku, line.line);
      work.current = line.line;
      if (work.choosing?.sku === line.sku) return chooseLot(line);
      scan.ok();
      return draw();
    }
    if (found.kind !== "item") {
      const owner = lines().find((line) => line.serials.includes(code));  // a serial number's own label
      if (owner) return bySerial(owner, code);
      return refuse(`${t("unknown code")}: ${code}`);
    }
    if (!ofSku.length) return refuse(`${t("not on transfer")}: ${found.sku}`);
    if (found.serial) {
      const owner = ofSku.find((line) => line.serials.includes(found.serial));
      return owner ? bySerial(owner, found.serial) : refuse(`${t("serial not on transfer")}: ${found.sku} · ${found.serial}`);
    }
    const qty = dec(found.qty || 1);
    let candidates = found.lot ? ofSku.filter((line) => line.lot === found.lot) : ofSku;
    if (!candidates.length) return refuse(`${t("lot not on transfer")}: ${found.sku} · ${found.lot}`);
    const chosen = candidates.find((line) => line.line === work.lotOf.get(found.sku));
    if (chosen) candidates = [chosen];
    const open = candidates.filter((line) => counted(line) + qty <= dec(line.shipped) + 1e-9);
    if (new Set(candidates.map((line) => line.lot || "")).size > 1 && !found.lot) {
      work.choosing = { sku: found.sku, qty, lines: (open.length ? open : candidates).map((line) => line.line) };
      scan.ok();
      return draw();
    }
    return count(open[0] || candidates[0], qty, null);
  }

  const bySerial = (line, serial) => {
    if (named(line).includes(serial)) return refuse(`${t("serial scanned")}: ${serial}`);
    return count(line, 1, serial);
  };

  /** Everything scanned: each line's shipped against scanned, a reason for each one short, then the receipt is queued. */
  const review = () => {
    working(null);
    const short = lines().filter((line) => counted(line) < dec(line.shipped));
    const notes = new Map(short.map((line) => [line.line, h("input", { name: `note-${line.line}`, autocomplete: "off", maxlength: 200,
      value: work.notes.get(line.line) || "", oninput: (event) => work.notes.set(line.line, event.target.value) })]));
    panel.replaceChildren(
      h("p", {}, `${t("receive into")}: `, bin() ? h("strong", { "data-field": "bin" }, bin()) : h("span", { class: "pending" }, t("no bin yet"))),
      h("p", { class: "muted" }, t(short.length ? "short lines" : "all arrived")),
      h("ul", { class: "list decisions" }, lines().map((line) => h("li", { "data-line": line.line, "data-sku": line.sku },
        h("span", {}, h("strong", {}, line.sku), ` ${nameOf(line)}`, line.lot ? ` · ${t("lot")} ${line.lot}` : "", " · ",
          h("strong", { "data-field": "scanned" }, fmt(counted(line))), ` / ${line.shipped}`,
          counted(line) < dec(line.shipped) ? h("span", { class: "pending", "data-field": "short" }, ` · ${t("short by")} ${fmt(dec(line.shipped) - counted(line))}`) : ""),
        notes.has(line.line) ? h("div", {}, h("label", {}, `${t("why short")} · ${line.sku}`, notes.get(line.line))) : null))),
      h("div", { class: "actions" },
        h("button", { class: "primary", "data-action": "confirm-transfer", onclick: () => confirm(notes) }, t("confirm transfer")),
        h("button", { "data-action": "back", onclick: () => { work.reviewing = false; draw(); } }, t("back to scanning"))));
    notes.values().next().value?.focus();
  };

  const confirm = async (notes) => {
    if (!bin()) {
      work.reviewing = false;
      draw();
      return refuse(t("no bin yet"));
    }
    for (const [no, input] of notes) {
      if (!input.value.trim()) {
        input.focus();
        return refuse(`${t("short needs note")}: ${order.lines.find((l) => l.line === no).sku}`);
      }
    }
    const where = bin();
    const payload = { transfer: number, version: order.version, lines: lines().map((line) => ({
      line: line.line, qty: fmt(counted(line)), location: where,
      ...(notes.has(line.line) ? { note: notes.get(line.line).value.trim() } : {}),
      ...(named(line).length ? { serials: named(line) } : {}),
    })) };
    unfinished.delete(`transfer-in:${number}`);
    await sync.queue(OP, payload, inBoth((t) => `${t("transfers in")} ${number} → ${where}`));
    scan.ok();
    say("ok", `${t("transfer received")} ${number} → ${where}`);
    go("#/transfers-in");
  };

  screen(`${t("transfer in")} ${number}`, panel);
  draw();
  // Fetched again when online: the copy on the device may be older (or the transfer received elsewhere meanwhile).
  try {
    const fresh = await sync.api(`/api/v1/transfers/${encodeURIComponent(number)}`);
    if (fresh.status !== "shipped") await store.dropDoc(KIND, number);
    else await store.putDoc(KIND, fresh);
    if (!showing(here)) return;
    if (fresh.status !== "shipped") {
      unfinished.delete(`transfer-in:${number}`);
      scan.error();
      say("error", `${number}: ${t("not in transit")}`);
      return go("#/transfers-in");
    }
    if (fresh.version !== order.version) {
      order = fresh;
      draw();
    }
  } catch { /* offline: the copy on the device stands */ }
}
