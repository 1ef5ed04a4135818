// The app on the phone: start-up, language, the service worker, sign-in and the router. Each screen is a module of
// screens/; a screen draws into <main>, and the scan field stays ready on every working screen.

import * as store from "./store.js";
import * as sync from "./sync.js";
import * as scan from "./scan.js";
import { browserLanguage, inLanguage, language, languageTag, said, setLanguage, shown, t } from "./i18n.js";
import { scanWithCamera } from "./camera.js";
import { office } from "./office.js";
import { customers, newOrder, orders } from "./screens/selling.js";
import { h, say, quiet, noticeKind, screen, working, go, frame, mount, setRouter } from "./ui.js";
import { approval, approvals, refreshApprovals, requisitionApproval, transferApproval } from "./screens/approvals.js";
import { countBins, counts } from "./screens/counting.js";
import { home } from "./screens/home.js";
import { issueInbox } from "./screens/inbox.js";
import { scanAnything, stockLookup } from "./screens/lookup.js";
import { packList, packOrder } from "./screens/packing.js";
import { receiveList, receiveOrder } from "./screens/receiving.js";
import { WAREHOUSE_SCREENS, can, scopesFor, signOut, warehouse, worksInWarehouse } from "./screens/shared.js";
import { pickRoute, putaway } from "./screens/tasks.js";
import { transfer } from "./screens/transfer.js";
import { transferIn, transfersIn } from "./screens/transfer_in.js";

const syncBadge = document.getElementById("sync");
const homeButton = document.getElementById("home");

// Session and start-up --------------------------------------------------------------------------------

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
  setRouter(route);
  window.addEventListener("hashchange", route);
  registerWorker();
  navigator.storage?.persist?.();
  const current = await withPermissions(await sync.session());
  if (current) startSync(current);
  if (current) listenForNotifications();
  await sync.announce();
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
  await sync.announce();
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

let lastRouted = null;

async function route() {
  // An error stays until the person goes somewhere else; a screen drawn again by something arriving keeps it.
  if (noticeKind() === "error" && location.hash !== lastRouted) quiet();
  lastRouted = location.hash;
  scan.hold();
  mount();
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
    case "approvals": return arg === "requisition" && rest[0] ? requisitionApproval(rest[0])
      : arg === "transfer" && rest[0] ? transferApproval(rest[0]) : arg ? approval(arg) : approvals();
    case "putaway": return putaway();
    case "transfer": return transfer(arg);
    case "transfers-in": return !can(current, "stock.move") ? go("#/home") : arg ? transferIn(arg) : transfersIn();
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


start();
