// The app: sign-in, home (tasks and sync status), receiving against a purchase order, stock look-up, the issue inbox.
// Screens are plain functions that draw into <main>; the scan field stays ready on every working screen.

import * as store from "./store.js";
import * as sync from "./sync.js";
import * as scan from "./scan.js";
import { browserLanguage, inBoth, inLanguage, language, languageTag, said, setLanguage, shown, t } from "./i18n.js";
import { scanWithCamera } from "./camera.js";
import { office } from "./office.js";
import { customers, newOrder, orders } from "./selling.js";
import { h, say, quiet, noticeKind, dec, fmt, money, screen, working, showing, go, table, saveFile, frame } from "./ui.js";

const syncBadge = document.getElementById("sync");
const homeButton = document.getElementById("home");

// Session and start-up --------------------------------------------------------------------------------

async function warehouse() {
  return (await store.get("warehouse")) || null;
}

/** A warehouse's slices: its bins and stock; its open tasks only for those who do them. */
function scopesFor(code, current) {
  return ["catalog", `wh:${code}`, `stock:${code}`, ...(worksInWarehouse(current) ? [`tasks:${code}`] : [])];
}

// What a user may do is the permissions the server sends with them (server/auth/permissions.py); the screens follow.
// Whoever may move stock, receive or pick works in a warehouse: they choose it first and see its tasks. Everyone else
// (approvers, sales, finance) goes straight home, to what their permissions reach.
const WAREHOUSE_WORK = ["stock.move", "purchase.receive", "sales.fulfil"];
const WAREHOUSE_SCREENS = ["receive", "pick", "putaway", "transfer", "count", "scan", "pack", "warehouse"];
// A session kept from before the server sent permissions, with no signal to ask: every screen, as before.
const can = (current, permission) => !current.user.permissions || current.user.permissions.includes(permission);
const worksInWarehouse = (current) => WAREHOUSE_WORK.some((permission) => can(current, permission));
const mayApprove = (current) => can(current, "purchase.approve");

/** A session kept from before the server sent permissions learns them once, when there is a signal. */
async function withPermissions(current) {
  if (!current || current.user.permissions) return current;
  try {
    const session = { ...current, user: await sync.api("/api/v1/auth/me") };
    await store.set("session", session);
    return session;
  } catch {
    return current;
  }
}

/** What the device keeps in step: a worker's warehouse (once chosen); for anyone else, the stock of each item in each
 *  warehouse they may see, and their own warehouse's bins when they have just one. */
async function startSync(current) {
  const wh = await warehouse();
  if (wh) return sync.start(scopesFor(wh, current));
  if (worksInWarehouse(current)) return;
  sync.start(["catalog", ...(await warehousesOf(current)).map((code) => `stock:${code}`)]);
}

function installCamera() {
  const viewfinder = document.getElementById("viewfinder");
  const video = document.getElementById("video");
  let stop = null;
  const close = () => {
    if (stop) stop();
    stop = null;
    viewfinder.hidden = true;
  };
  document.getElementById("camera").addEventListener("click", async () => {
    viewfinder.hidden = false;
    try {
      stop = await scanWithCamera(video, (code) => {
        close();
        scan.dispatch(code);
      });
    } catch (error) {
      close();
      scan.error();
      say("error", error.name === "NotAllowedError" ? t("camera refused") : t("no camera"));
    }
  });
  document.getElementById("camera-close").addEventListener("click", close);
  window.addEventListener("hashchange", close);
}

async function start() {
  showLanguage((await store.get("language")) || browserLanguage());
  scan.installWedge(document.getElementById("scan"));
  installCamera();
  homeButton.addEventListener("click", () => go("#/home"));
  document.getElementById("language").addEventListener("click", switchLanguage);
  sync.events.addEventListener("status", (event) => showStatus(event.detail));
  sync.events.addEventListener("signed-out", () => signOut());
  const tell = (event) => say("error", `${shown(event.detail.op.label) || event.detail.op.type}: ${inLanguage(event.detail.result.details, event.detail.result.message)}`);
  sync.events.addEventListener("issue", tell);
  sync.events.addEventListener("exception", tell);
  window.addEventListener("hashchange", route);
  registerWorker();
  navigator.storage?.persist?.();
  const current = await withPermissions(await sync.session());
  if (current) startSync(current);
  if (current) listenForNotifications();
  showStatus(await sync.status());
  route();
  if (current) followUser();
}

// Language: a first visit shows the browser's; a choice is kept on the device and sent to the server, and the user's
// choice there wins at sign-in and start (so another device of theirs starts in it). Without a signal the device's stands.

function showLanguage(value) {
  setLanguage(value);
  frame();
}

/** The header's language button: the whole page, header and all, is drawn again in the other language. */
async function switchLanguage() {
  await useLanguage(language() === "zh" ? "en" : "zh");
  await store.set("language-unsent", true);
  await sendLanguage();
}

async function useLanguage(value) {
  showLanguage(value);
  await store.set("language", language());
  quiet();  // a notice said in the other language
  showStatus(await sync.status());
  route();
}

/** The device's choice becomes the signed-in user's; without a signal it waits on the device for the next start or sign-in. */
async function sendLanguage() {
  const current = await sync.session();
  if (!current) return;
  try {
    const user = await sync.api("/api/v1/auth/me", { method: "PATCH", body: { language: languageTag() } });
    await store.set("session", { ...current, user });
    await store.del("language-unsent");
  } catch { /* offline: sent later */ }
}

/** Signed in at start: a choice made here without a signal goes to the server; else the user's choice there is shown. */
async function followUser() {
  if (await store.get("language-unsent")) return sendLanguage();
  try {
    const user = await sync.api("/api/v1/auth/me");
    if (user.language && user.language !== languageTag()) await useLanguage(user.language);
  } catch { /* offline: the device's choice stands */ }
}

async function registerWorker() {
  if (!("serviceWorker" in navigator)) return;
  const registration = await navigator.serviceWorker.register("/sw.js").catch(() => null);
  if (!registration) return;  // service workers blocked (private mode, policy): the app works online only
  // A new version waits until nothing is left to send, then takes over (and the page reloads into it).
  const activateWhenEmpty = async () => {
    if (!registration.waiting || (await sync.status()).pending !== 0) return;
    // Asked again after the wait: the first version ever installed takes over by itself meanwhile, and is waiting no more.
    registration.waiting?.postMessage({ type: "activate" });
  };
  registration.addEventListener("updatefound", () => {
    const next = registration.installing;
    next?.addEventListener("statechange", () => { if (next.state === "installed") activateWhenEmpty(); });
  });
  activateWhenEmpty();  // one that was already waiting when the page opened
  sync.events.addEventListener("status", activateWhenEmpty);
  let reloaded = false;
  // Controlled already (the first version claimed the page before this listener was there, or an earlier visit's): the
  // next change of controller is a new version, and the page reloads into it.
  if (navigator.serviceWorker.controller) sessionStorage.setItem("cangku-controlled", "1");
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (!reloaded && navigator.serviceWorker.controller && sessionStorage.getItem("cangku-controlled")) {
      reloaded = true;
      location.reload();
    }
    sessionStorage.setItem("cangku-controlled", "1");
  });
}

function showStatus(status) {
  const issues = status.issues.length;
  const when = status.lastSync ? new Date(status.lastSync).toLocaleTimeString(languageTag()) : t("never");
  syncBadge.dataset.state = issues ? "issues" : status.online ? "online" : "offline";
  syncBadge.dataset.pending = String(status.pending);
  syncBadge.textContent = `${status.online ? "" : `${t("offline")} · `}${t("pending ops")} ${status.pending}${issues ? ` · ⚠ ${issues}` : ""} · ${when}`;
}

async function signOut() {
  await sync.api("/api/v1/auth/logout", { method: "POST" }).catch(() => {});
  await store.del("session");
  sync.stop();
  unfinished.clear();  // the next user starts with nothing of this one's
  go("#/login");
}

let lastRouted = null;

async function route() {
  // An error stays until the person goes somewhere else; a screen drawn again by something arriving keeps it.
  if (noticeKind() === "error" && location.hash !== lastRouted) quiet();
  lastRouted = location.hash;
  scan.hold();
  try {
    await openScreen(await sync.session());
  } finally {
    scan.settle();
  }
}

async function openScreen(current) {
  const [path, arg, ...rest] = location.hash.replace(/^#\//, "").split("/").map(decodeURIComponent);
  if (!current) return login();
  if (path === "office") return office(current, arg, ...rest);  // the desk works across warehouses
  const worker = worksInWarehouse(current);
  if (worker && !(await warehouse())) return chooseWarehouse(current);
  if (!worker && WAREHOUSE_SCREENS.includes(path)) return go("#/home");
  homeButton.hidden = path === "home" || !path;
  switch (path) {
    case "receive": return arg ? receiveOrder(arg) : receiveList();
    case "pick": return pickRoute();
    case "approvals": return arg === "requisition" && rest[0] ? requisitionApproval(rest[0]) : arg ? approval(arg) : approvals();
    case "putaway": return putaway();
    case "transfer": return transfer(arg);
    case "count": return arg ? countBins(arg) : counts();
    case "stock": return stockLookup(arg);
    case "customers": return customers(arg);
    case "orders": return orders(arg);
    case "order": return newOrder(arg);
    case "scan": return scanAnything(arg);
    case "pack": return arg ? packOrder(arg) : packList();
    case "issues": return issueInbox();
    case "warehouse": return chooseWarehouse(current);
    default: return home(current);
  }
}

// Sign-in -------------------------------------------------------------------------------------------

function login() {
  working(null);
  homeButton.hidden = true;
  const username = h("input", { name: "username", autocomplete: "username", required: true });
  const password = h("input", { name: "password", type: "password", autocomplete: "current-password", required: true });
  const totp = h("input", { name: "totp", inputmode: "numeric", autocomplete: "one-time-code", pattern: "\\d{6}" });
  const totpLabel = h("label", { hidden: true }, t("totp"), totp);
  const form = h("form", { class: "stack", onsubmit: async (event) => {
    event.preventDefault();
    quiet();
    try {
      const answer = await sync.api("/api/v1/auth/login", {
        method: "POST",
        body: { username: username.value, password: password.value, device_id: await sync.clientId(), ...(totp.value ? { totp: totp.value } : {}) },
      });
      await store.set("session", { token: answer.token, user: answer.user });
      if (await store.get("language-unsent")) {
        await sendLanguage();  // chosen on this screen (or without a signal): newer than the server's
      } else if (answer.user.language) {
        showLanguage(answer.user.language);
        await store.set("language", language());
      }
      if (answer.user.warehouses.length === 1) await store.set("warehouse", answer.user.warehouses[0]);
      startSync(await sync.session());
      listenForNotifications();
      go("#/home");
    } catch (error) {
      if (error.body.error === "totp_required") {
        totpLabel.hidden = false;
        totp.focus();
      }
      say("error", said(error, t("bad sign in")));
    }
  } },
  h("label", {}, t("username"), username), h("label", {}, t("password"), password), totpLabel,
  h("button", { class: "primary", type: "submit" }, t("sign in")));
  screen(t("sign in"), form);
  username.focus();
}

/** The warehouses a user may work in: theirs, or every one when none is named (none without a signal). */
async function warehousesOf(current) {
  if (current.user.warehouses.length) return current.user.warehouses;
  try {
    return (await sync.api("/api/v1/locations", { params: { kind: "warehouse", limit: 100 } })).items.map((w) => w.code);
  } catch {
    return [];
  }
}

async function chooseWarehouse(current) {
  working(null);
  const codes = await warehousesOf(current);
  screen(t("warehouse"), h("div", { class: "tiles" }, codes.map((code) => h("button", { onclick: async () => {
    await store.set("warehouse", code);
    sync.start(scopesFor(code, current));
    go("#/home");
  } }, code))));
}

// Home ----------------------------------------------------------------------------------------------

async function home(current, refreshed = false) {
  const here = location.hash;
  const worker = worksInWarehouse(current);
  working(async (code) => go(`#/${worker ? "scan" : "stock"}/${encodeURIComponent(code)}`));  // what a scan here looks up
  const status = await sync.status();
  const wh = await warehouse();
  const counts = {
    receive: (await store.docs("po")).filter((d) => d.warehouse === wh).length,
    pick: (await openPicks()).length,
    putaway: (await openPutaways()).length,
    count: (await store.docs("count")).length,
    approvals: (await store.docs("approval")).length,
    pack: (await store.docs("so")).filter((d) => d.warehouse === wh && d.lines.some((line) => dec(line.picked) > dec(line.packed) || d.status === "packed")).length,
  };
  if (!showing(here)) return;  // nothing is awaited from here on: another screen cannot be drawn over
  const badge = (n) => (n ? h("span", { class: "badge" }, n) : null);
  const tile = (task, label, n) => h("button", { onclick: () => go(`#/${task}`), "data-task": task }, t(label), " ", badge(n));
  screen(`${current.user.display_name || current.user.username}${wh ? ` · ${wh}` : ""}`,
    h("div", { class: "tiles" },
      worker ? [
        tile("receive", "receive", counts.receive),
        tile("pick", "pick", counts.pick),
        tile("putaway", "putaway", counts.putaway),
        tile("pack", "pack", counts.pack),
        tile("transfer", "transfer", 0),
        tile("count", "count", counts.count),
        tile("scan", "scan anything", 0),
      ] : null,
      tile("stock", "stock", 0),
      can(current, "sales.write") ? [tile("order", "new order", 0), tile("orders", "my orders", 0), tile("customers", "customers", 0)] : null,
      mayApprove(current) ? tile("approvals", "approvals", counts.approvals) : null,
      tile("issues", "issues", status.issues.length),
      tile("office", "office", 0),
      worker ? h("button", { onclick: () => sync.syncNow() }, t("sync now")) : null,
      worker ? h("button", { onclick: () => go("#/warehouse") }, t("warehouse")) : null,
      h("button", { onclick: () => signOut() }, t("sign out"))));
  if (refreshed) return;
  // The tasks of the day, fetched again when online; the tiles are drawn again with their new counts.
  await Promise.all([...(worker ? [refreshOrders(), refreshTasks(), refreshCounts(), refreshShipments()] : []),
    mayApprove(current) ? refreshApprovals() : null]);
  if (showing(here)) home(current, true);
}

/** Fetch a kind of document the device works on offline and keep it; false when the server cannot be reached. */
async function keep(kind, fetchList) {
  try {
    await store.replaceDocs(kind, await fetchList());
    return true;
  } catch {
    return false;
  }
}

/** Orders this warehouse may receive against, kept on the device for when there is no signal. */
async function refreshOrders() {
  const wh = await warehouse();
  return keep("po", async () => (await Promise.all(["approved", "partially_received"].map((status) =>
    sync.api("/api/v1/purchase-orders", { params: { warehouse: wh, status, limit: 100 } })))).flatMap((list) => list.items));
}

// Receiving -----------------------------------------------------------------------------------------

async function receiveList() {
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
async function receiveOrder(number) {
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
  sync.events.addEventListener("pushed", redraw);
  window.addEventListener("hashchange", () => sync.events.removeEventListener("pushed", redraw), { once: true });
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

// Picking ------------------------------------------------------------------------------------------

/** The warehouse's open picks and put-aways are a synced slice (`tasks:<warehouse>`), pulled with the others: a task
 * done anywhere leaves it, a new one arrives, at once while the websocket is up (its poke starts a pull). */
async function refreshTasks() {
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
async function openPicks() {
  return (await openTasks("pick", "pick.confirm")).sort((a, b) => a.wave.localeCompare(b.wave) || a.seq - b.seq);
}

/** Call `draw` again whenever a pull changes the warehouse's tasks, for as long as `panel` is on screen. */
async function followTasks(panel, draw) {
  const scope = `tasks:${await warehouse()}`;
  const changed = (event) => {
    if (!panel.isConnected) sync.events.removeEventListener("changed", changed);
    else if (event.detail.scope === scope) draw();
  };
  sync.events.addEventListener("changed", changed);
  refreshTasks();  // what changed while the phone slept shows now, not at the next timer
}

async function pickRoute() {
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
async function openPutaways() {
  return (await openTasks("putaway", "putaway.confirm")).sort((a, b) => a.id - b.id);
}

async function putaway() {
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

// Transfer ---------------------------------------------------------------------------------------

// Work on a working screen that is not sent yet — a transfer's lines, a bin's count, boxes being packed — outlives the
// screen: drawn again in the other language, or left for a look-up and come back to, it is as it was left.
const unfinished = new Map();

function unfinishedWork(key, fresh) {
  if (!unfinished.has(key)) unfinished.set(key, fresh());
  return unfinished.get(key);
}

/** Bin to bin: scan where from, the items (each scan counts its pack), then where to; every line goes to the outbox. */
async function transfer(startAt) {
  const work = unfinishedWork("transfer", () => ({ from: null, lines: new Map() }));  // lines: sku|lot -> {sku, lot, qty}
  if (startAt && !work.lines.size) work.from = startAt;  // started from a bin's scan screen: that bin is the source
  const lines = work.lines;
  const panel = h("div", { id: "transfer" });
  screen(t("transfer"), panel);
  const draw = () => {
    panel.replaceChildren(
      h("p", {}, !work.from ? t("scan the from bin") : !lines.size ? t("scan the items") : t("scan the to bin")),
      h("p", {}, `${t("from")}: `, h("strong", { "data-field": "from" }, work.from || "—")),
      h("ul", { class: "list" }, [...lines.values()].map((l) => h("li", { "data-sku": l.sku }, `${l.sku}${l.lot ? ` · ${l.lot}` : ""}`,
        h("strong", {}, fmt(l.qty))))),
      work.from ? h("button", { type: "button", onclick: () => { work.from = null; lines.clear(); quiet(); draw(); } }, t("cancel")) : "");
  };
  working(async (code) => {
    const found = await scan.resolve(code);
    if (found.kind === "location") {
      if (!work.from) {
        work.from = found.code;
      } else if (!lines.size) {
        work.from = found.code;  // a second bin before any item: the picker changed their mind
      } else {
        if (found.code === work.from) {
          scan.error();
          return say("error", t("same bin"));
        }
        // Taken off the screen at once, so a scan arriving meanwhile starts the next transfer.
        const [source, carried] = [work.from, [...lines.values()]];
        work.from = null;
        lines.clear();
        draw();
        for (const line of carried) {
          await sync.queue("transfer.confirm", { sku: line.sku, qty: fmt(line.qty), from: source, to: found.code, ...(line.lot ? { lot: line.lot } : {}) },
            inBoth((t) => `${t("transfer")} ${line.sku} × ${fmt(line.qty)} ${source} → ${found.code}`));
        }
        say("ok", `${t("moved")} ${carried.length} ${t(carried.length === 1 ? "line" : "lines")} ${source} → ${found.code}`);
      }
      scan.ok();
      return draw();
    }
    if (found.kind !== "item" || !work.from) {
      scan.error();
      return say("error", work.from ? `${t("unknown code")}: ${code}` : t("scan the from bin"));
    }
    const key = `${found.sku}|${found.lot || ""}`;
    const line = lines.get(key) || { sku: found.sku, lot: found.lot || null, qty: 0 };
    line.qty += dec(found.qty || 1);
    lines.set(key, line);
    scan.ok();
    draw();
  });
  draw();
}

// Stocktake --------------------------------------------------------------------------------------

/** Stocktakes in progress and where each expects what (never how much: the count is blind), for counting offline. */
async function refreshCounts() {
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

async function counts() {
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
async function countBins(number) {
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

// Approvals ----------------------------------------------------------------------------------------

/** Orders and requisitions waiting for this user's decision, kept on the device (as they were, without a signal). */
async function refreshApprovals() {
  try {
    const [orders, requests] = await Promise.all(["purchase-orders", "requisitions"].map((path) =>
      sync.api(`/api/v1/${path}`, { params: { awaiting_me: "true", limit: 100 } })));
    // A decision made here on a version hides that version, waiting to be sent or sent (the list may have been read just
    // before the server applied it); one the server refused (a conflict) does not: it is to be made again.
    const decided = new Set((await sync.ownOps()).filter((op) => decisionOf(op) && !["rejected", "conflict"].includes(op.state))
      .map((op) => `${op.payload[decisionOf(op).key]}@${op.payload.version}`));
    await store.replaceDocs("approval", [...orders.items, ...requests.items.map((req) => ({ ...req, what: "requisition" }))]
      .filter((doc) => !decided.has(`${doc.number}@${doc.version}`)));
  } catch { /* offline: the list on the device stands */ }
}

// What is decided on the phone: a purchase order (#/approvals/<number>) or a requisition (#/approvals/requisition/<number>).
const DECISIONS = {
  po: { key: "po", path: "purchase-orders", hash: (number) => `#/approvals/${encodeURIComponent(number)}` },
  requisition: { key: "requisition", path: "requisitions", hash: (number) => `#/approvals/requisition/${encodeURIComponent(number)}` },
};

/** What an operation decides on, when it is a decision (po.approve, requisition.reject…): its DECISIONS entry. */
const decisionOf = (op) => DECISIONS[op.type.split(".")[0]];

const totalOf = (po) => `${po.total == null ? "—" : money(po.total)} ${po.currency}`;

async function approvals() {
  const here = location.hash;
  working(null);
  let drawn = null;  // the documents on screen: drawn again when the device's list differs (whoever refreshed it)
  const draw = async () => {
    const list = (await store.docs("approval")).sort((a, b) => a.number.localeCompare(b.number));
    const seen = list.map((doc) => `${doc.number}@${doc.version}`).join();
    if (!showing(here) || seen === drawn) return;
    drawn = seen;
    const review = (hash) => h("button", { class: "primary", onclick: () => go(hash) }, t("review"));
    screen(t("approvals"), list.length ? h("ul", { class: "list" }, list.map((doc) => (doc.what === "requisition"
      ? h("li", { "data-req": doc.number },
        h("span", {}, h("strong", {}, doc.number), " ", t("requisition"), h("div", { class: "muted" }, `${doc.warehouse} · ${doc.requested_by} · ${doc.lines.length} ${t("lines")}`)),
        review(DECISIONS.requisition.hash(doc.number)))
      : h("li", { "data-po": doc.number },
        h("span", {}, h("strong", {}, doc.number), " ", doc.supplier, h("div", { class: "muted" }, totalOf(doc))),
        review(DECISIONS.po.hash(doc.number))))))
      : h("p", { class: "muted" }, t("no approvals")));
  };
  await draw();
  await refreshApprovals();
  await draw();
}

/** The newest version of a document waiting for a decision, online; the device's, offline (a newer one on the server
 *  makes the decision a conflict). Null when it waits no more. */
async function toDecide(kind, number) {
  try {
    const fresh = await sync.api(`/api/v1/${DECISIONS[kind].path}/${encodeURIComponent(number)}`);
    if (fresh.status !== "pending") {
      await store.dropDoc("approval", number);
      return null;
    }
    const doc = kind === "requisition" ? { ...fresh, what: "requisition" } : fresh;
    await store.putDoc("approval", doc);
    return doc;
  } catch {
    return (await store.getDoc("approval", number)) || null;
  }
}

/** A comment and the two decisions; the decision goes to the outbox (offline too) signed on the version shown. */
function decisionForm(kind, number, version) {
  const { key } = DECISIONS[kind];
  const comment = h("input", { name: "comment", maxlength: 500 });
  const decide = async (verdict) => {
    if (verdict === "reject" && !comment.value.trim()) {
      scan.error();
      comment.focus();
      return say("error", t("reject needs comment"));
    }
    await sync.queue(`${kind}.${verdict}`, { [key]: number, version, comment: comment.value.trim() },
      inBoth((t) => `${t(verdict)} ${number} v${version}`));
    await store.dropDoc("approval", number);
    for (const stale of (await sync.status()).issues.filter((op) => op.type.startsWith(`${kind}.`) && op.payload[key] === number)) await sync.discard(stale);
    scan.ok();
    say("ok", `${verdict === "approve" ? t("approved") : t("rejected")} ${number}`);
    go("#/approvals");
  };
  return h("form", { class: "stack", onsubmit: (event) => event.preventDefault() },
    h("label", {}, t("comment"), comment),
    h("button", { class: "primary", type: "button", "data-action": "approve", onclick: () => decide("approve") }, t("approve")),
    h("button", { type: "button", "data-action": "reject", onclick: () => decide("reject") }, t("reject")));
}

async function approval(number) {
  const here = location.hash;
  working(null);
  const po = await toDecide("po", number);
  if (!showing(here)) return;
  if (!po) return approvals();
  const changes = h("div", { id: "changes" });
  screen(`${number} · ${po.supplier}`,
    h("p", {}, h("strong", {}, totalOf(po)), " · ", po.warehouse, " · v", po.version),
    table([t("item"), { text: t("qty"), num: true }, { text: t("price"), num: true }, { text: t("net"), num: true }],
      po.lines.map((line) => [h("span", {}, line.sku, h("div", { class: "muted" }, language() === "zh" ? line.name_zh : line.name_en)),
        { text: line.qty, num: true }, { text: money(line.unit_price), num: true }, { text: money(line.net), num: true }])),
    po.approvals.length ? h("p", { class: "muted" }, po.approvals.filter((a) => !a.void).map((a) => `${t(`office.role ${a.role}`)} ${a.user}: ${t(`office.decision ${a.decision}`)}`).join(" · ")) : null,
    changes,
    decisionForm("po", number, po.version));
  if (po.version > 1) {
    try {
      const version = await sync.api(`/api/v1/purchase-orders/${encodeURIComponent(number)}/versions/${po.version}`);
      if (!showing(here)) return;
      changes.replaceChildren(h("h3", {}, t("changed since")),
        changeList(version.changes_since_previous, po.lines) || h("p", { class: "muted" }, t("no changes")));
    } catch { /* offline: the changes are shown when the server can be asked */ }
  }
}

/** A requisition raised by someone who may only ask: what, where, by when and why, then approve or reject. */
async function requisitionApproval(number) {
  const here = location.hash;
  working(null);
  const req = await toDecide("requisition", number);
  if (!showing(here)) return;
  if (!req) return approvals();
  const name = (line) => (language() === "zh" ? line.name_zh : line.name_en || line.name_zh) || "";
  screen(`${number} · ${t("requisition")}`,
    table([t("warehouse"), t("requested by"), t("needed by")], [[req.warehouse, req.requested_by, req.needed_by || "—"]], { id: "req-facts" }),
    req.supplier ? h("p", { "data-field": "supplier" }, `${t("supplier")}: ${req.supplier}`) : null,
    table([t("item"), { text: t("qty"), num: true }],
      req.lines.map((line) => h("tr", { "data-sku": line.sku }, h("td", {}, line.sku, h("div", { class: "muted" }, name(line))),
        h("td", { class: "num" }, `${line.qty}${line.unit ? ` ${line.unit}` : ""}`))), { id: "req-lines" }),
    req.note ? h("p", { "data-field": "note" }, `${t("note")}: ${req.note}`) : null,
    decisionForm("requisition", number, req.version));
}

/** The user's notifications as they commit: a new approval shows up (badge and notice) while the app is open. */
let listening = false;

function listenForNotifications() {
  if (listening) return;  // one socket per page, reconnecting by itself
  listening = true;
  let socket = null;
  const connect = () => {
    if (socket || !navigator.onLine) return;
    socket = sync.openSocket("/api/v1/notifications/ws");
    socket.onmessage = async (event) => {
      const message = JSON.parse(event.data);
      if (message.type !== "notification") return;
      say("ok", language() === "zh" ? message.title_zh : message.title_en);
      if (message.kind === "approval.pending") {
        await refreshApprovals();
        if (location.hash === "#/approvals" || location.hash === "#/home" || !location.hash) route();
      }
    };
    socket.onclose = () => {
      socket = null;
      setTimeout(async () => { if (await sync.session()) connect(); }, 3000);
    };
  };
  connect();
  window.addEventListener("online", connect);
}

// Universal scan ------------------------------------------------------------------------------------

/** Scan anything: what it is, what this warehouse holds of it, and what can be done with it from here. */
async function scanAnything(code) {
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

/** Labels to the warehouse's label printer when it has one, else as a PDF on this device. */
async function printLabels(request) {
  const wh = await warehouse();
  try {
    let printer = null;
    try {
      printer = (await sync.api("/api/v1/printers", { params: { warehouse: wh } })).items.find((p) => p.active) || null;
    } catch (error) {
      if (error.status === 0) throw error;
    }
    if (printer) {
      const done = await sync.api("/api/v1/labels/print", { method: "POST", body: { ...request, printer: printer.id } });
      scan.ok();
      return say("ok", `${t("printed")} ${done.labels} → ${done.printer}`);
    }
    saveFile(await sync.fetchFile("/api/v1/labels/print", { method: "POST", body: { ...request, format: "pdf" } }));
    say("ok", t("labels ready"));
  } catch (error) {
    scan.error();
    say("error", error.status === 0 ? t("needs network") : said(error));
  }
}

// Pack and ship -------------------------------------------------------------------------------------

/** Orders of this warehouse being picked or packed, kept on the device to pack with no signal. */
async function refreshShipments() {
  const wh = await warehouse();
  // An order shipped on this device and not refused stays off the list, though the server may not have applied it yet.
  const shipped = new Set((await sync.ownOps()).filter((op) => op.type === "so.ship" && !["rejected", "conflict"].includes(op.state))
    .map((op) => op.payload.order));
  return keep("so", async () => (await Promise.all(["picking", "packed"].map((status) =>
    sync.api("/api/v1/sales-orders", { params: { status, limit: 100 } })))).flatMap((list) => list.items)
    .filter((so) => so.warehouse === wh && !shipped.has(so.number)));
}

async function packList() {
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
async function packOrder(number) {
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

// Stock look-up -------------------------------------------------------------------------------------

async function stockLookup(code) {
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
  sync.events.addEventListener("stock", onStock);
  sync.events.addEventListener("changed", changed);
  window.addEventListener("hashchange", () => {
    sync.events.removeEventListener("stock", onStock);
    sync.events.removeEventListener("changed", changed);
    sync.watch([]);
  }, { once: true });
  // Drawn once it listens: what the device stored before is read now, and what it stores from here on draws again.
  await draw();
}

// Issues --------------------------------------------------------------------------------------------

// Fields of a refused operation a person may correct before sending it again.
const EDITABLE = ["qty", "location", "from", "to", "lot", "short_reason", "comment"];
const STALE = "stale_version";
// Why an operation was refused decides what can be done about it. Sent again as it is, it passes only when what refused
// it can pass by itself: stock arriving, a recount finished, credit freed, the goods picked and packed meanwhile.
const LATER = ["insufficient_stock", "recount_pending", "credit_limit_exceeded", "not_picked", "not_packed", "nothing_to_ship"];
// A refusal about a value the person gave is corrected by editing that field; anything else (not found, not allowed, done
// by someone else) can only be let go.
const PLACES = ["unknown_location", "virtual_location", "inactive_location", "outside_warehouse", "warehouse_not_allowed", "wrong_warehouse",
  "warehouse_mismatch", "wrong_bin", "wrong_location", "same_location", "not_a_transfer", "location_required", "outside_count"];
const CAUSES = {
  qty: ["insufficient_stock", "over_receipt", "bad_pick_qty", "qty_required", "over_allocation", "over_return"],
  location: PLACES, from: PLACES, to: PLACES,
  lot: ["unknown_lot", "lot_required", "wrong_lot", "lot_not_tracked", "lot_expiry_differs", "expiry_mismatch", "lot_required_for_date"],
  short_reason: ["reason_required"],
  comment: ["comment_required"],
};

/** The fields of a refused operation its refusal is about: the field the server names (a malformed one in `$.field`),
 *  else those its kind of refusal concerns, narrowed to the one holding the place or lot it names (a transfer has two). */
function causes(op, details) {
  const present = EDITABLE.filter((field) => field in op.payload);
  const named = details.field ?? /`\$\.(\w+)`/.exec(details.message_en || "")?.[1];
  if (present.includes(named)) return [named];
  const about = present.filter((field) => CAUSES[field].includes(details.error));
  const holding = (about.length ? about : present).filter((field) => field !== "qty" && Object.values(details).includes(op.payload[field]));
  return holding.length ? holding : about;
}

// What changed in an order, as a person reads it. Only what they decide on is shown; bookkeeping (who approved, the
// status) is left out. How each field's values read:
const CHANGED = {
  supplier: String, expected_date: String, note: String, total: money,
  sku: String, qty: String, unit_price: money, vat_rate: (rate) => `${rate}%`,
};

/** A text with its {placeholders} filled in. */
const fill = (key, values) => t(key).replace(/\{(\w+)\}/g, (_, name) => values[name]);

const changed = (field, value) => (value === null || value === undefined || value === "" ? "—" : CHANGED[field](value));

/** One change ({line, field, before, after}) in words, or null for one a person need not read; `lines` (the order's
 *  lines now) name the item of a line that changed. */
function changeText(c, lines = []) {
  if (c.field === "line") {
    const { sku, qty, unit_price: price } = c.after || c.before;
    const what = fill(price == null ? "change line goods" : "change line goods at", { sku, qty, price: money(price) });
    return fill(c.before === null ? "change line added" : "change line removed", { n: c.line, what });
  }
  if (!Object.hasOwn(CHANGED, c.field)) return null;
  const text = `${t(`change ${c.field}`)} ${changed(c.field, c.before)} → ${changed(c.field, c.after)}`;
  if (!c.line) return text;
  const sku = lines.find((line) => line.line === c.line)?.sku;
  return `${sku ? fill("change in line of", { n: c.line, sku }) : fill("change in line", { n: c.line })}${text}`;
}

/** The changes a person reads, as a list; null when none is left to read. */
function changeList(changes, lines = []) {
  const items = changes.map((c) => [c, changeText(c, lines)]).filter(([, text]) => text);
  return items.length ? h("ul", { class: "changes" }, items.map(([c, text]) => h("li", { "data-change": c.field }, text))) : null;
}

/** Every operation the server refused, judged a conflict, or applied with an exception, with what can be done about it. */
let shownIssues = "";

async function issueInbox() {
  working(null);
  const here = location.hash;
  const { issues } = await sync.status();
  if (!showing(here)) return;
  shownIssues = issues.map((op) => `${op.seq}:${op.state}`).sort().join();
  const again = () => { if (showing(here)) issueInbox(); };
  screen(t("issues"), issues.length
    ? h("ul", { class: "list issues" }, issues.sort((a, b) => a.seq - b.seq).map((op) => issueRow(op, again)))
    : h("p", { class: "muted" }, t("no issues")));
}

// The home screen's issue count follows the outbox too.
let homeIssues = null;
sync.events.addEventListener("status", (event) => {
  const here = location.hash;
  if (here !== "#/home" && here !== "") return;
  if (homeIssues !== null && homeIssues !== event.detail.issues.length) route();
  homeIssues = event.detail.issues.length;
});

// The inbox follows the outbox: an answer arriving while it is open shows at once (an open edit is left alone otherwise).
sync.events.addEventListener("status", (event) => {
  if (location.hash !== "#/issues") return;
  if (event.detail.issues.map((op) => `${op.seq}:${op.state}`).sort().join() !== shownIssues) issueInbox();
});

function issueRow(op, again) {
  const details = op.result?.details || {};
  const row = h("li", { "data-op": op.op_id, "data-state": op.state, "data-error": details.error || null });
  const actions = h("div", { class: "actions" });
  const body = h("div", { class: "issue" },
    h("strong", {}, shown(op.label) || op.type), " ",
    h("span", { class: `state ${op.state}` }, t(`state ${op.state}`)),
    h("p", { class: "message" }, inLanguage(details, op.result?.message)));
  const changes = changeList(details.changes || []);
  if (changes) body.append(h("h3", {}, t("changed since")), changes);
  if (op.state === "applied_with_exception") {
    body.append(h("p", { class: "muted", "data-field": "exception" },
      `${t("book had")} ${details.book_available ?? "?"} · ${t("taken")} ${details.taken ?? "?"} · ${t("shortfall")} ${details.shortfall ?? "?"}`,
      details.recount ? ` · ${t("recount doc")} ${details.recount}` : ""));
    actions.append(h("button", { class: "primary", "data-action": "acknowledge", onclick: async () => { await sync.discard(op); again(); } }, t("noted")));
  } else {
    // Signed on a version that is gone: decided again on the current one. Else sent again only when that can pass, and
    // corrected only in the fields the refusal is about.
    const fields = details.error === STALE ? [] : causes(op, details);
    const decision = decisionOf(op);
    if (details.error === STALE && decision && op.payload[decision.key]) {
      actions.append(h("button", { class: "primary", "data-action": "review", onclick: () => go(decision.hash(op.payload[decision.key])) },
        t("review current")));
    } else if (!details.error || LATER.includes(details.error)) {
      actions.append(h("button", { "data-action": "retry", onclick: async () => { await sync.retry(op); again(); } }, t("retry")));
    }
    if (fields.length) {
      actions.append(h("button", { "data-action": "edit", onclick: () => row.append(editForm(op, again, fields)) }, t("edit")));
    }
    actions.append(h("button", { "data-action": "discard", onclick: () => {
      actions.replaceChildren(h("span", { class: "muted" }, t("discard?")),
        h("button", { class: "danger", "data-action": "confirm-discard", onclick: async () => { await sync.discard(op); again(); } }, t("discard")),
        h("button", { "data-action": "keep", onclick: again }, t("keep")));
    } }, t("discard")));
  }
  row.append(body, actions);
  return row;
}

/** The refused operation's fields at fault, to correct and send as a new operation. */
function editForm(op, again, fields) {
  const inputs = fields.map((field) => [field, h("input", { name: field, value: op.payload[field] ?? "" })]);
  const form = h("form", { class: "stack", "data-form": "edit", onsubmit: async (event) => {
    event.preventDefault();
    const payload = { ...op.payload };
    for (const [field, input] of inputs) {
      const value = input.value.trim();
      if (value) payload[field] = value;
      else delete payload[field];
    }
    await sync.replace(op, payload);
    scan.ok();
    say("ok", `${t("sent again")}: ${shown(op.label) || op.type}`);
    again();
  } },
  inputs.map(([field, input]) => h("label", {}, t(`field ${field}`), input)),
  h("button", { class: "primary", type: "submit", "data-action": "send-edited" }, t("send again")),
  h("button", { type: "button", onclick: () => form.remove() }, t("cancel")));
  return form;
}

start();
