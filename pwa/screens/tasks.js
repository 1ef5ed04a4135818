// Picking and put-away: the warehouse's open tasks, a synced slice, one on screen at a time.

import * as store from "../store.js";
import * as sync from "../sync.js";
import * as scan from "../scan.js";
import { inBoth, language, t } from "../i18n.js";
import { h, say, quiet, dec, fmt, screen, working, showing, listen } from "../ui.js";
import { warehouse } from "./shared.js";

/** The warehouse's open picks and put-aways are a synced slice (`tasks:<warehouse>`), pulled with the others: a task
 * done anywhere leaves it, a new one arrives, at once while the websocket is up (its poke starts a pull). */
export async function refreshTasks() {
  await sync.pull();
}

/** A kind of task of this warehouse as last synced, less those confirmed on this device: waiting to be sent (or refused
 * and in the inbox), or applied and not pulled as done yet. So a task done here never shows again. */
async function openTasks(kind, confirmedBy) {
  const wh = await warehouse();
  const confirmed = new Set((await sync.ownOps()).filter((op) => op.type === confirmedBy).map((op) => op.payload.task));
  return (await store.inScope(`tasks:${wh}`)).filter((row) => row.kind === kind && !confirmed.has(Number(row.key)))
    .map((row) => ({ ...row.data, id: Number(row.key) }));
}

/** Open pick tasks not yet confirmed on this device, in route order (wave, then bin order). */
export async function openPicks() {
  return (await openTasks("pick", "pick.confirm")).sort((a, b) => a.wave.localeCompare(b.wave) || a.seq - b.seq);
}

/** Call `draw` again whenever a pull changes the warehouse's tasks, for as long as `panel` is on screen. */
async function followTasks(panel, draw) {
  const scope = `tasks:${await warehouse()}`;
  listen(sync.events, "changed", (event) => {
    if (panel.isConnected && event.detail.scope === scope) draw();
  });
  refreshTasks();  // what changed while the phone slept shows now, not at the next timer
}

export async function pickRoute() {
  const here = location.hash;
  // The task on screen and what was scanned for it (its bin, its item, the quantity typed): another task on screen
  // starts again with nothing ticked, so a scan never counts for a task it was not made for.
  let picking = null;
  let onScreen = "";
  const panel = h("div", { id: "pick" });
  screen(t("pick"), panel);
  const draw = async () => {
    const [task, ...rest] = await openPicks();
    if (!showing(here) || !panel.isConnected) return;
    if (picking?.id !== task?.id) {
      picking = task ? { id: task.id, bin: null, sku: null, qty: h("input", { name: "qty", inputmode: "decimal", value: task.qty }),
        reason: h("input", { name: "short_reason", placeholder: t("short reason") }) } : null;
    }
    const view = JSON.stringify([task, rest.length, picking?.bin, picking?.sku]);
    if (view === onScreen) return;  // nothing shown changes: a quantity being typed is left alone
    onScreen = view;
    if (!task) {
      working(null);
      return panel.replaceChildren(h("p", { class: "muted" }, t("no picks")));
    }
    const ticks = picking;
    const { qty, reason } = ticks;
    const confirm = async () => {
      if (picking !== ticks || !ticks.sku) return;  // sent already (a second tap), or no longer the task on screen
      const taken = dec(qty.value);
      if (!(taken >= 0) || taken > dec(task.qty)) {
        scan.error();
        return say("error", `${t("bad qty")}: ${qty.value}`);
      }
      if (taken < dec(task.qty) && !reason.value.trim()) {
        scan.error();
        reason.focus();
        return say("error", t("short needs reason"));
      }
      const payload = { task: task.id, qty: fmt(taken), location: task.location, ...(task.lot ? { lot: task.lot } : {}),
        ...(taken < dec(task.qty) ? { short_reason: reason.value.trim() } : {}) };
      ticks.bin = null;
      ticks.sku = null;
      await sync.queue("pick.confirm", payload, inBoth((t) => `${t("pick")} ${task.order} ${task.sku} × ${fmt(taken)} @ ${task.location}`));
      scan.ok();
      say("ok", `${t("picked")} ${task.sku} × ${fmt(taken)}`);
      draw();
    };
    panel.replaceChildren(
      h("p", { class: "muted" }, `${task.wave} · ${task.order} · ${rest.length + 1} ${t("to pick")}`),
      h("table", {}, h("tbody", {},
        h("tr", {}, h("th", {}, t("location")), h("td", { "data-field": "location", class: ticks.bin ? "done" : "" }, task.location, ticks.bin ? " ✓" : "")),
        h("tr", {}, h("th", {}, t("item")), h("td", { "data-field": "sku", class: ticks.sku ? "done" : "" },
          task.sku, " ", language() === "zh" ? task.name_zh : task.name_en, ticks.sku ? " ✓" : "")),
        task.lot ? h("tr", {}, h("th", {}, t("lot")), h("td", {}, task.lot)) : null,
        h("tr", {}, h("th", {}, t("qty")), h("td", { class: "num" }, task.qty)))),
      h("p", {}, !ticks.bin ? t("scan the bin") : !ticks.sku ? t("scan the item") : t("confirm the qty")),
      ticks.bin && ticks.sku ? h("form", { class: "stack", onsubmit: (event) => { event.preventDefault(); confirm(); } },
        h("label", {}, t("qty"), qty), h("label", {}, t("short reason"), reason),
        h("button", { class: "primary", type: "submit", "data-action": "confirm-pick" }, t("confirm"))) : "");
    working(async (code) => {
      const found = await scan.resolve(code);
      if (picking !== ticks) return scan.error();  // another task came on screen while the scan was read: look again
      if (!ticks.bin) {
        if (code === task.location || (found.kind === "location" && found.code === task.location)) {
          ticks.bin = task.location;
          scan.ok();
          quiet();
        } else {
          scan.error();
          say("error", `${t("wrong bin")}: ${code} ≠ ${task.location}`);
        }
      } else if (found.kind === "item" && found.sku === task.sku && (!found.lot || !task.lot || found.lot === task.lot)) {
        ticks.sku = found.sku;
        scan.ok();
        quiet();
      } else {
        scan.error();
        say("error", `${t("wrong item")}: ${code}`);
      }
      draw();
    });
  };
  await followTasks(panel, draw);
  await draw();
}

// Put-away ---------------------------------------------------------------------------------------

/** Open put-away tasks not yet confirmed on this device, oldest first. */
export async function openPutaways() {
  return (await openTasks("putaway", "putaway.confirm")).sort((a, b) => a.id - b.id);
}

export async function putaway() {
  const here = location.hash;
  const panel = h("div", { id: "putaway" });
  const sent = new Set();  // tasks put away from this screen: a scanner reading one label twice puts a task away once
  let onScreen = "";
  screen(t("putaway"), panel);
  const draw = async () => {
    const [task, ...rest] = await openPutaways();
    if (!showing(here) || !panel.isConnected) return;
    const view = JSON.stringify([task, rest.length]);
    if (view === onScreen) return;
    onScreen = view;
    if (!task) {
      working(null);
      return panel.replaceChildren(h("p", { class: "muted" }, t("nothing to put away")));
    }
    panel.replaceChildren(
      h("p", { class: "muted" }, `${task.receipt} · ${rest.length + 1} ${t("to put away")}`),
      h("table", {}, h("tbody", {},
        h("tr", {}, h("th", {}, t("item")), h("td", { "data-field": "sku" }, task.sku, " ", language() === "zh" ? task.name_zh : task.name_en)),
        task.lot ? h("tr", {}, h("th", {}, t("lot")), h("td", {}, task.lot)) : null,
        h("tr", {}, h("th", {}, t("qty")), h("td", { class: "num" }, task.qty)),
        h("tr", {}, h("th", {}, t("from")), h("td", {}, task.from)),
        h("tr", {}, h("th", {}, t("suggested")), h("td", { "data-field": "suggested" }, h("strong", {}, task.suggested || "—"))))),
      h("p", {}, t("scan the bin to confirm")));
    working(async (code) => {
      const found = await scan.resolve(code);
      if (found.kind !== "location" || found.location.kind !== "bin") {
        scan.error();
        return say("error", `${t("not a bin")}: ${code}`);
      }
      if (sent.has(task.id)) return;  // the same scan read twice before the next task came on screen
      sent.add(task.id);
      await sync.queue("putaway.confirm", { task: task.id, location: found.code }, inBoth((t) => `${t("putaway")} ${task.sku} × ${task.qty} → ${found.code}`));
      scan.ok();
      say("ok", `${task.sku} × ${task.qty} → ${found.code}${task.suggested && found.code !== task.suggested ? ` (${t("not the suggested bin")})` : ""}`);
      draw();
    });
  };
  await followTasks(panel, draw);
  await draw();
}
