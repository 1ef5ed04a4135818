// Receiving against a purchase order by scanning, then inspecting and completing the receipt.

import * as store from "../store.js";
import * as sync from "../sync.js";
import * as scan from "../scan.js";
import { inBoth, language, said, t } from "../i18n.js";
import { h, say, dec, fmt, screen, working, showing, go, listen } from "../ui.js";
import { keep, printLabels, warehouse } from "./shared.js";

/** Orders this warehouse may receive against, kept on the device for when there is no signal. */
export async function refreshOrders() {
  const wh = await warehouse();
  return keep("po", async () => (await Promise.all(["approved", "partially_received"].map((status) =>
    sync.api("/api/v1/purchase-orders", { params: { warehouse: wh, status, limit: 100 } })))).flatMap((list) => list.items));
}


export async function receiveList() {
  const here = location.hash;
  const wh = await warehouse();
  let drawn = null;  // the orders on screen: drawn again only when the fetched list differs (a tap is not lost to a redraw)
  const draw = async () => {
    const orders = (await store.docs("po")).filter((d) => d.warehouse === wh).sort((a, b) => a.number.localeCompare(b.number));
    const seen = orders.map((po) => `${po.number}@${po.version}`).join();
    if (!showing(here) || seen === drawn) return;
    drawn = seen;
    screen(t("open orders"), orders.length
      ? h("ul", { class: "list" }, orders.map((po) => h("li", { "data-po": po.number },
          h("span", {}, h("strong", {}, po.number), " ", h("span", { class: "muted" }, po.supplier)),
          h("button", { class: "primary", onclick: () => go(`#/receive/${encodeURIComponent(po.number)}`) }, t("receive")))))
      : h("p", { class: "muted" }, t("no orders")));
  };
  working(async (code) => {
    const po = await store.getDoc("po", code);
    if (po) {
      scan.ok();
      go(`#/receive/${encodeURIComponent(code)}`);
    } else {
      scan.error();
      say("error", `${t("unknown code")}: ${code}`);
    }
  });
  await draw();
  if (await refreshOrders()) await draw();
}

async function pendingFor(number) {
  const ops = await store.outbox();
  const by = {};
  for (const op of ops) {
    if (op.type === "receive.line" && op.payload.po === number && op.state === "pending") by[op.payload.sku] = (by[op.payload.sku] || 0) + dec(op.payload.qty);
  }
  return by;
}

/** Receiving against an order by scanning. A lot-tracked item asks its lot (and expiry) once: that item and lot is the
 *  current line, and every further scan of the item adds to it (a carton its pack) until "new lot" starts another. The
 *  quantity field sets the current line's count at once; "receiving done" inspects and completes the receipt. */
export async function receiveOrder(number) {
  const po = await store.getDoc("po", number);
  if (!po) return receiveList();
  const here = location.hash;
  const table = h("tbody");
  const lots = new Map();  // lots received here on this visit: their labels can be printed once the receipt reached the server
  const labels = h("div", { class: "actions" });
  const counted = new Map();  // "sku|lot" -> {sku, lot, expiry, tracked, qty}: what this visit counted, line by line
  const lotOf = new Map();  // sku -> the line its scans count into
  const panel = h("div", { id: "current" });
  let current = null;  // the line shown, which the quantity field sets
  let lotForm = null;  // the lot form while it is open: scans go into it
  const lineOf = (sku, lot, expiry, tracked) => {
    const key = `${sku}|${lot || ""}`;
    if (!counted.has(key)) counted.set(key, { sku, lot, expiry, tracked, qty: 0 });
    return counted.get(key);
  };
  const draw = async () => {
    const order = await store.getDoc("po", number);
    const pending = await pendingFor(number);
    if (!showing(here)) return;
    labels.replaceChildren(lots.size ? h("button", { "data-action": "print-lots", onclick: () => printLabels({ kind: "lot", lots: [...lots.values()] }) },
      `${t("print lot labels")} (${lots.size})`) : "");
    table.replaceChildren(...order.lines.map((line) => h("tr", { "data-sku": line.sku },
      h("td", {}, h("strong", {}, line.sku), h("div", { class: "muted" }, language() === "zh" ? line.name_zh : line.name_en || line.name_zh)),
      h("td", { class: "num" }, line.qty),
      h("td", { class: "num", "data-field": "received" }, line.received),
      h("td", { class: `num ${pending[line.sku] ? "pending" : ""}`, "data-field": "pending" }, fmt(pending[line.sku] || 0)))));
  };
  const refresh = async () => {
    try {
      await store.putDoc("po", await sync.api(`/api/v1/purchase-orders/${encodeURIComponent(number)}`));
    } catch { /* offline: the copy on the device stands */ }
    await draw();
  };
  /** Whether the order takes `qty` more of `sku` (the server says how much more it will take); says why not. */
  const fits = async (sku, qty) => {
    const line = (await store.getDoc("po", number)).lines.find((l) => l.sku === sku);
    const pending = (await pendingFor(number))[sku] || 0;
    if (pending + qty <= dec(line.may_receive) + 1e-9) return true;
    scan.error();
    say("error", `${t("over receipt")}: ${sku} ${fmt(dec(line.received) + pending + qty)} / ${line.qty}`);
    return false;
  };
  const count = async (line, qty) => {
    const payload = { po: number, sku: line.sku, qty: fmt(qty), ...(line.lot ? { lot: line.lot } : {}), ...(line.expiry ? { expiry: line.expiry } : {}) };
    await sync.queue("receive.line", payload, inBoth((t) => `${t("receive")} ${number} ${line.sku}${line.lot ? ` · ${line.lot}` : ""} × ${fmt(qty)}`));
    line.qty += qty;
    current = line;
    if (line.lot) lots.set(`${line.sku}|${line.lot}`, { sku: line.sku, lot: line.lot });
    scan.ok();
    say("ok", `${t("received one")} ${line.sku} × ${fmt(qty)}`);
    drawCurrent();
    await draw();
  };
  const askFor = async (sku) => {
    lotForm = lotForm?.sku === sku ? lotForm : askLot(sku);  // two quick scans of a new item share its one form
    const answer = await lotForm.answer;
    lotForm = null;
    return answer;
  };
  const newLot = async () => {
    if (!current || lotForm) return;
    const answer = await askFor(current.sku);
    if (!answer) return;
    current = lineOf(current.sku, answer.lot, answer.expiry, true);
    lotOf.set(current.sku, current);
    drawCurrent();
  };
  const setCount = async (value) => {
    const wanted = dec(value);
    if (!String(value).trim() || !(wanted >= 0)) {
      scan.error();
      return say("error", `${t("bad qty")}: ${value}`);
    }
    const more = Math.round((wanted - current.qty) * 10000) / 10000;
    if (more < 0) {
      scan.error();
      return say("error", `${t("count only goes up")} (${fmt(current.qty)})`);
    }
    if (more > 0 && (await fits(current.sku, more))) await count(current, more);
  };
  const drawCurrent = () => {
    if (!current) return panel.replaceChildren();
    const qty = h("input", { name: "qty", inputmode: "decimal", autocomplete: "off", value: fmt(current.qty) });
    panel.replaceChildren(h("form", { class: "stack", "data-sku": current.sku, "data-lot": current.lot || "",
      onsubmit: (event) => { event.preventDefault(); setCount(qty.value); } },
    h("p", {}, h("strong", {}, current.sku), current.lot ? ` · ${t("lot")} ` : "", current.lot ? h("strong", { "data-field": "lot" }, current.lot) : "",
      current.expiry ? ` · ${current.expiry}` : "", " · ", t("counted here"), " ", h("strong", { "data-field": "count" }, fmt(current.qty))),
    h("label", {}, t("qty"), qty),
    h("div", { class: "actions" },
      h("button", { class: "primary", type: "submit", "data-action": "set-qty" }, t("set qty")),
      current.tracked ? h("button", { type: "button", "data-action": "new-lot", onclick: newLot }, t("new lot")) : null)));
  };
  const receiving = async (code) => {
    if (lotForm) return lotForm.take(code);
    const found = await scan.resolve(code);
    const order = await store.getDoc("po", number);
    if (found.kind === "lot" && order.lines.some((l) => l.sku === found.sku)) {  // a lot label: its item's scans count into it
      current = lineOf(found.sku, found.lot, found.expiry || null, true);
      lotOf.set(found.sku, current);
      scan.ok();
      return drawCurrent();
    }
    if (found.kind !== "item") {
      scan.error();
      return say("error", `${t("unknown code")}: ${code}`);
    }
    if (!order.lines.some((l) => l.sku === found.sku)) {
      scan.error();
      return say("error", `${t("not on order")}: ${found.sku}`);
    }
    const qty = dec(found.qty || 1);
    if (!(await fits(found.sku, qty))) return;
    const tracked = found.item?.tracking === "lot";
    let line = !tracked ? lineOf(found.sku, null, null, false) : found.lot ? lineOf(found.sku, found.lot, found.expiry || null, true) : lotOf.get(found.sku);
    if (!line) {
      const answer = await askFor(found.sku);
      if (!answer) return;
      line = lineOf(found.sku, answer.lot, answer.expiry, true);
    }
    if (tracked) lotOf.set(found.sku, line);
    await count(line, qty);
  };
  const scanning = () => {
    working(receiving);
    screen(`${t("receive")} ${number}`,
      h("p", { class: "muted" }, po.supplier, " · ", t("scan an item")),
      panel,
      h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, t("item")), h("th", { class: "num" }, t("ordered")),
        h("th", { class: "num" }, t("received")), h("th", { class: "num" }, t("to send")))), table),
      h("div", { class: "actions" },
        h("button", { class: "primary", "data-action": "receiving-done", onclick: () => receivingDone(number, scanning) }, t("receiving done"))),
      labels);
    drawCurrent();
    return draw();
  };
  await scanning();
  const redraw = () => refresh();
  listen(sync.events, "pushed", redraw);
  refresh();
}

/** The lot (and expiry) of an item being received: {answer, take}. A scan while it is open fills it — a lot label goes
 *  into the lot field; a GS1 code carrying its lot (10) and expiry (17) fills both and answers at once. */
function askLot(sku) {
  let resolve = null;
  const answer = new Promise((done) => { resolve = done; });
  const lot = h("input", { name: "lot", required: true, autocomplete: "off" });
  const expiry = h("input", { name: "expiry", type: "date" });
  const close = (value) => {
    form.remove();
    document.getElementById("scan").focus();
    resolve(value);
  };
  const form = h("form", { class: "stack", "data-form": "lot", onsubmit: (event) => {
    event.preventDefault();
    close({ lot: lot.value.trim(), expiry: expiry.value || null });
  } }, h("strong", {}, `${sku} · ${t("lot asked once")}`), h("label", {}, t("lot"), lot), h("label", {}, t("expiry"), expiry),
  h("button", { class: "primary", type: "submit", "data-action": "lot-ok" }, t("ok")),
  h("button", { type: "button", onclick: () => close(null) }, t("cancel")));
  document.getElementById("app").prepend(form);
  lot.focus();
  const take = async (code) => {
    const found = await scan.resolve(code);
    if (found.gs1?.lot) {
      lot.value = found.gs1.lot;
      if (found.gs1.expiry) expiry.value = found.gs1.expiry;
      scan.ok();
      return found.gs1.expiry ? form.requestSubmit() : expiry.focus();
    }
    if (found.kind === "item") {
      scan.error();
      return say("error", t("scan the lot"));
    }
    lot.value = found.kind === "lot" ? found.lot : code;
    if (found.kind === "lot" && found.sku === sku && found.expiry) expiry.value = found.expiry;
    scan.ok();
    expiry.focus();
  };
  return { sku, answer, take };
}

/** Receiving done: the receipt's lines as the server has them, each accepted or partly rejected with a reason. The
 *  decision goes through the outbox and completes the receipt; the next scan of the order starts a new one. */
async function receivingDone(number, back) {
  const here = location.hash;
  await sync.push().catch(() => {});
  if (Object.keys(await pendingFor(number)).length) {
    scan.error();
    return say("error", t("send scans first"));
  }
  let receipt = null;
  try {
    receipt = (await sync.api("/api/v1/receipts", { params: { po: number, status: "open", limit: 100 } })).items
      .sort((a, b) => a.number.localeCompare(b.number))[0];
  } catch (error) {
    scan.error();
    return say("error", error.status === 0 ? t("needs network") : said(error));
  }
  if (!showing(here)) return;
  if (!receipt) {
    scan.error();
    return say("error", t("nothing received yet"));
  }
  const order = await store.getDoc("po", number);
  const name = (sku) => {
    const line = order.lines.find((l) => l.sku === sku);
    return line ? (language() === "zh" ? line.name_zh : line.name_en || line.name_zh) : "";
  };
  const rows = receipt.lines.map((line) => decisionRow(line, name(line.sku)));
  const complete = async () => {
    const lines = [];
    for (const row of rows) {
      const { line, qty, rejected, reason } = row.decision();
      if (!(rejected >= 0) || rejected > qty) {
        scan.error();
        row.focus("rejected");
        return say("error", `${t("bad qty")}: ${line} · ${fmt(rejected)} / ${fmt(qty)}`);
      }
      if (rejected > 0 && !reason) {
        scan.error();
        row.focus("reason");
        return say("error", t("reject needs reason"));
      }
      lines.push({ line, accepted: fmt(qty - rejected), rejected: fmt(rejected), ...(rejected > 0 ? { reason } : {}) });
    }
    await sync.queue("receipt.complete", { receipt: receipt.number, version: receipt.version, lines },
      inBoth((t) => `${t("receiving done")} ${receipt.number}`));
    scan.ok();
    say("ok", `${t("receipt completed")} ${receipt.number}`);
    go(`#/receive/${encodeURIComponent(number)}`);
  };
  working(null);
  screen(`${t("receiving done")} ${receipt.number}`,
    h("p", { class: "muted" }, t("inspect each line")),
    h("ul", { class: "list decisions" }, rows.map((row) => row.element)),
    h("div", { class: "actions" },
      h("button", { class: "primary", "data-action": "complete-receipt", onclick: complete }, t("complete receipt")),
      h("button", { "data-action": "back", onclick: back }, t("back to scanning"))));
}

/** One receipt line to inspect: accepted as a whole, or a rejected quantity and its reason. */
function decisionRow(line, name) {
  const rejected = h("input", { name: "rejected", inputmode: "decimal", autocomplete: "off", value: line.qty });
  const reason = h("input", { name: "reason", autocomplete: "off" });
  const rejecting = h("div", { hidden: true }, h("label", {}, t("rejected qty"), rejected), h("label", {}, t("reject reason"), reason));
  const verdict = h("strong", { "data-field": "verdict" }, t("qc accepted"));
  const choose = (reject) => {
    rejecting.hidden = !reject;
    verdict.textContent = t(reject ? "qc rejecting" : "qc accepted");
    if (reject) rejected.focus();
  };
  const element = h("li", { "data-line": line.line, "data-sku": line.sku },
    h("span", {}, h("strong", {}, line.sku), ` ${name}`, line.lot ? ` · ${t("lot")} ${line.lot}` : "", " × ",
      h("strong", { "data-field": "qty" }, line.qty), " · ", verdict),
    h("div", { class: "actions" },
      h("button", { type: "button", "data-action": "accept", onclick: () => choose(false) }, t("qc accept")),
      h("button", { type: "button", class: "danger", "data-action": "reject", onclick: () => choose(true) }, t("qc reject"))),
    rejecting);
  return {
    element,
    decision: () => ({ line: line.line, qty: dec(line.qty), rejected: rejecting.hidden ? 0 : dec(rejected.value), reason: reason.value.trim() }),
    focus: (field) => (field === "reason" ? reason : rejected).focus(),
  };
}
