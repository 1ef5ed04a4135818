// Pack and ship.

import * as store from "../store.js";
import * as sync from "../sync.js";
import * as scan from "../scan.js";
import { inBoth, language, t } from "../i18n.js";
import { h, say, dec, fmt, screen, working, showing, go, table } from "../ui.js";
import { keep, printLabels, unfinished, unfinishedWork, warehouse } from "./shared.js";

/** Orders of this warehouse being picked or packed, kept on the device to pack with no signal. */
export async function refreshShipments() {
  const wh = await warehouse();
  // An order shipped on this device and not refused stays off the list, though the server may not have applied it yet.
  const shipped = new Set((await sync.ownOps()).filter((op) => op.type === "so.ship" && !["rejected", "conflict"].includes(op.state))
    .map((op) => op.payload.order));
  return keep("so", async () => (await Promise.all(["picking", "packed"].map((status) =>
    sync.api("/api/v1/sales-orders", { params: { status, limit: 100 } })))).flatMap((list) => list.items)
    .filter((so) => so.warehouse === wh && !shipped.has(so.number)));
}

export async function packList() {
  const here = location.hash;
  working(async (code) => go(`#/pack/${encodeURIComponent(code)}`));
  const wh = await warehouse();
  let drawn = null;  // the orders on screen: drawn again only when the fetched list differs (a tap is not lost to a redraw)
  const draw = async () => {
    const orders = (await store.docs("so")).filter((d) => d.warehouse === wh).sort((a, b) => a.number.localeCompare(b.number));
    const seen = orders.map((so) => `${so.number}@${so.version}:${so.status}`).join();
    if (!showing(here) || seen === drawn) return;
    drawn = seen;
    screen(t("pack"), orders.length ? h("ul", { class: "list" }, orders.map((so) => h("li", { "data-so": so.number },
      h("span", {}, h("strong", {}, so.number), " ", so.customer, h("div", { class: "muted" }, t(`status ${so.status}`))),
      h("button", { class: "primary", onclick: () => go(`#/pack/${encodeURIComponent(so.number)}`) }, t("pack")))))
      : h("p", { class: "muted" }, t("no orders to pack")));
  };
  await draw();
  if (await refreshShipments()) await draw();
}

/** Scan what goes into each box, close the box, send the packing; then ship. Works offline through the outbox. */
export async function packOrder(number) {
  const here = location.hash;
  const so = await store.getDoc("so", number);
  if (!so) {
    scan.error();
    say("error", `${t("unknown code")}: ${number}`);
    return go("#/pack");
  }
  // Closed boxes not sent yet ([{lines: Map(line -> qty), weight}]), the box being filled, and its weight as typed.
  const work = unfinishedWork(`pack:${number}`, () => ({ boxes: [], box: new Map(), weight: "" }));
  const boxes = work.boxes;
  const weight = h("input", { name: "weight", inputmode: "decimal", placeholder: "kg", value: work.weight, oninput: () => { work.weight = weight.value; } });
  const panel = h("div", { id: "pack" });
  const inBoxes = (lineNo) => [...boxes.map((b) => b.lines), work.box].reduce((sum, lines) => sum + (lines.get(lineNo) || 0), 0);
  const open = (line) => dec(line.picked) - dec(line.packed) - inBoxes(line.line);
  const closeBox = () => {
    if (!work.box.size) return;
    boxes.push({ lines: work.box, weight: weight.value.trim() || null });
    work.box = new Map();
    weight.value = work.weight = "";
  };
  const send = async () => {
    closeBox();
    if (!boxes.length) return say("error", t("box empty"));
    const packages = boxes.map((b) => ({ lines: [...b.lines].map(([line, qty]) => ({ line, qty: fmt(qty) })), ...(b.weight ? { weight_kg: b.weight } : {}) }));
    await sync.queue("so.pack", { order: number, packages }, inBoth((t) => `${t("pack")} ${number} · ${packages.length} ${t("boxes")}`));
    for (const b of boxes) for (const [lineNo, qty] of b.lines) {
      const line = so.lines.find((l) => l.line === lineNo);
      line.packed = fmt(dec(line.packed) + qty);
    }
    so.status = "packed";
    so.sent_boxes = (so.sent_boxes || 0) + boxes.length;
    await store.putDoc("so", so);
    boxes.length = 0;
    scan.ok();
    say("ok", `${t("packed")} ${number}`);
    draw();
  };
  const shipIt = async () => {
    if (work.box.size || boxes.length) return say("error", t("send boxes first"));
    if (so.lines.some((line) => dec(line.packed) > 0) && so.lines.some((line) => dec(line.picked) > dec(line.packed))) {
      scan.error();
      return say("error", t("not all packed"));
    }
    const short = so.lines.filter((line) => dec(line.picked) < dec(line.qty));
    const decided = short.length ? await askRemainder(short) : null;
    if (short.length && !decided) return;  // back to packing
    const remainder = decided?.remainder;
    const rest = (t) => (remainder ? ` · ${t(`rest ${remainder}`)}` : "");
    await sync.queue("so.ship", { order: number, ...(remainder ? { remainder } : {}), ...(decided?.reason ? { reason: decided.reason } : {}) },
      inBoth((t) => `${t("ship")} ${number}${rest(t)}`));
    await store.dropDoc("so", number);
    unfinished.delete(`pack:${number}`);
    scan.ok();
    say("ok", `${t("shipped")} ${number}${rest(t)}`);
    go("#/pack");
  };
  const draw = () => {
    if (!showing(here)) return;
    // A scan counted while the weight is being typed draws the box again: the weight field keeps its focus and caret.
    const typing = document.activeElement === weight ? [weight.selectionStart, weight.selectionEnd] : null;
    panel.replaceChildren(
      h("p", {}, h("strong", {}, so.customer), so.ship_to ? ` · ${so.ship_to}` : ""),
      table([t("item"), { text: t("picked"), num: true }, { text: t("packed"), num: true }, { text: t("this box"), num: true }],
        so.lines.filter((line) => dec(line.picked) > 0).map((line) => h("tr", { "data-line": line.line, "data-sku": line.sku },
          h("td", {}, line.sku, h("div", { class: "muted" }, language() === "zh" ? line.name_zh : line.name_en)),
          h("td", { class: "num" }, line.picked), h("td", { class: "num", "data-field": "packed" }, fmt(dec(line.packed) + inBoxes(line.line) - (work.box.get(line.line) || 0))),
          h("td", { class: "num", "data-field": "box" }, fmt(work.box.get(line.line) || 0))))),
      h("p", { class: "muted" }, `${t("boxes")}: ${boxes.length} ${t("closed")}${so.sent_boxes ? ` · ${so.sent_boxes} ${t("sent")}` : ""}`),
      h("div", { class: "actions" },
        h("label", {}, t("weight"), weight),
        h("button", { "data-action": "close-box", onclick: () => { closeBox(); scan.ok(); draw(); } }, t("close box")),
        h("button", { class: "primary", "data-action": "send-packing", onclick: send }, t("send packing")),
        h("button", { "data-action": "ship", onclick: shipIt }, t("ship")),
        h("button", { "data-action": "print-packages", onclick: () => printLabels({ kind: "package", order: number, size: "100x150" }) }, t("print box labels"))));
    if (typing) {
      weight.focus();
      weight.setSelectionRange(...typing);
    }
  };
  working(async (code) => {
    const found = await scan.resolve(code);
    if (found.kind !== "item") {
      scan.error();
      return say("error", `${t("unknown code")}: ${code}`);
    }
    const line = so.lines.find((l) => l.sku === found.sku && open(l) > 0);
    if (!line) {
      scan.error();
      return say("error", so.lines.some((l) => l.sku === found.sku) ? `${found.sku}: ${t("nothing left to pack")}` : `${found.sku}: ${t("not on order")}`);
    }
    const qty = Math.min(dec(found.qty || 1), open(line));
    work.box.set(line.line, (work.box.get(line.line) || 0) + qty);
    scan.ok();
    draw();
  });
  screen(`${t("pack")} ${number}`, panel);
  draw();
}

/** Shipping less than was ordered: what is short, and what becomes of the rest — {remainder: "backorder" | "cancel",
 *  reason} (the reason told to the customer's order when the rest is cancelled), or null (back to packing). */
function askRemainder(short) {
  return new Promise((resolve) => {
    const reason = h("input", { name: "reason", autocomplete: "off", maxlength: 500 });
    const dialog = h("dialog", { id: "ship-short", "aria-labelledby": "ship-short-title" },
      h("h3", { id: "ship-short-title" }, t("short to ship")),
      table([t("item"), { text: t("ordered"), num: true }, { text: t("picked"), num: true }],
        short.map((line) => h("tr", { "data-line": line.line, "data-sku": line.sku },
          h("td", {}, line.sku, h("div", { class: "muted" }, language() === "zh" ? line.name_zh : line.name_en)),
          h("td", { class: "num", "data-field": "ordered" }, line.qty), h("td", { class: "num", "data-field": "picked" }, line.picked)))),
      h("div", { class: "actions" },
        h("button", { class: "primary", "data-action": "backorder", onclick: () => dialog.close("backorder") }, t("ship and backorder")),
        h("button", { "data-action": "cancel-rest", onclick: () => dialog.close("cancel") }, t("ship and cancel the rest")),
        h("button", { "data-action": "back", onclick: () => dialog.close("") }, t("back"))),
      h("label", {}, t("cancel reason"), reason));
    dialog.addEventListener("close", () => {  // Escape closes it too, as Back
      dialog.remove();
      resolve(dialog.returnValue ? { remainder: dialog.returnValue, reason: dialog.returnValue === "cancel" ? reason.value.trim() : "" } : null);
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}
