// What the phone's screens share: the warehouse worked in, what the user may do, documents kept for offline work,
// work not sent yet, label printing, signing out.

import * as store from "../store.js";
import * as sync from "../sync.js";
import * as scan from "../scan.js";
import { said, t } from "../i18n.js";
import { say, go, saveFile } from "../ui.js";

export async function warehouse() {
  return (await store.get("warehouse")) || null;
}

/** A warehouse's slices: its bins and stock; its open tasks only for those who do them. */
export function scopesFor(code, current) {
  return ["catalog", `wh:${code}`, `stock:${code}`, ...(worksInWarehouse(current) ? [`tasks:${code}`] : [])];
}

// What a user may do is the permissions the server sends with them (server/auth/permissions.py); the screens follow.
// Whoever may move stock, receive or pick works in a warehouse: they choose it first and see its tasks. Everyone else
// (approvers, sales, finance) goes straight home, to what their permissions reach.
const WAREHOUSE_WORK = ["stock.move", "purchase.receive", "sales.fulfil"];
export const WAREHOUSE_SCREENS = ["receive", "pick", "putaway", "transfer", "transfers-in", "count", "scan", "pack", "warehouse"];
// A session kept from before the server sent permissions, with no signal to ask: every screen, as before.
export const can = (current, permission) => !current.user.permissions || current.user.permissions.includes(permission);
export const worksInWarehouse = (current) => WAREHOUSE_WORK.some((permission) => can(current, permission));
export const mayApprove = (current) => can(current, "purchase.approve") || can(current, "transfers.approve");

export async function signOut() {
  await sync.api("/api/v1/auth/logout", { method: "POST" }).catch(() => {});
  await store.del("session");
  sync.stop();
  unfinished.clear();  // the next user starts with nothing of this one's
  go("#/login");
}

/** Fetch a kind of document the device works on offline and keep it; false when the server cannot be reached. */
export async function keep(kind, fetchList) {
  try {
    await store.replaceDocs(kind, await fetchList());
    return true;
  } catch {
    return false;
  }
}

// Work on a working screen that is not sent yet — a transfer's lines, a bin's count, boxes being packed — outlives the
// screen: drawn again in the other language, or left for a look-up and come back to, it is as it was left.
export const unfinished = new Map();

export function unfinishedWork(key, fresh) {
  if (!unfinished.has(key)) unfinished.set(key, fresh());
  return unfinished.get(key);
}

// What is decided on the phone: a purchase order (#/approvals/<number>) or a requisition (#/approvals/requisition/<number>).
export const DECISIONS = {
  po: { key: "po", path: "purchase-orders", hash: (number) => `#/approvals/${encodeURIComponent(number)}` },
  requisition: { key: "requisition", path: "requisitions", hash: (number) => `#/approvals/requisition/${encodeURIComponent(number)}` },
  transfer: { key: "transfer", path: "transfers", hash: (number) => `#/approvals/transfer/${encodeURIComponent(number)}` },
};

/** What an operation decides on, when it is a decision (po.approve, transfer.reject…; not transfer.receive): its DECISIONS entry. */
export const decisionOf = (op) => {
  const [kind, verb] = op.type.split(".");
  return ["approve", "reject"].includes(verb) ? DECISIONS[kind] : undefined;
};

/** Labels to the warehouse's label printer when it has one, else as a PDF on this device. */
export async function printLabels(request) {
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
