// Approvals on the phone: purchase orders, requisitions and transfer orders to decide, level by level, online or not.

import * as store from "../store.js";
import * as sync from "../sync.js";
import * as scan from "../scan.js";
import { addText, inBoth, language, t } from "../i18n.js";
import { h, say, money, screen, working, showing, go, table } from "../ui.js";
import { changeList } from "./changes.js";
import { DECISIONS, decisionOf } from "./shared.js";

addText({
  "transfer order": ["调拨单", "Transfer order"],
  "from to": ["调出 → 调入", "From → to"],
  "level of": ["第 {level}/{of} 级", "Level {level} of {of}"],
  "waits for": ["待{role}审批", "awaiting: {role}"],
  "estimated value": ["估算金额", "Estimated value"],
  "value at cost": ["成本金额", "Value at cost"],
});

/** Orders, requisitions and transfer orders waiting for this user's decision, kept on the device (as they were, without a
 *  signal). */
export async function refreshApprovals() {
  try {
    const [orders, requests, transfers] = await Promise.all(["purchase-orders", "requisitions", "transfers"].map((path) =>
      sync.api(`/api/v1/${path}`, { params: { awaiting_me: "true", limit: 100 } })));
    // A decision made here on a version hides that version, waiting to be sent or sent (the list may have been read just
    // before the server applied it); one the server refused (a conflict) does not: it is to be made again.
    const decided = new Set((await sync.ownOps()).filter((op) => decisionOf(op) && !["rejected", "conflict"].includes(op.state))
      .map((op) => `${op.payload[decisionOf(op).key]}@${op.payload.version}`));
    await store.replaceDocs("approval", [...orders.items, ...requests.items.map((req) => ({ ...req, what: "requisition" })),
      ...transfers.items.map((order) => ({ ...order, what: "transfer" }))]
      .filter((doc) => !decided.has(`${doc.number}@${doc.version}`)));
  } catch { /* offline: the list on the device stands */ }
}

// In another currency, the yuan the approval rules judged it by beside it: "1,808.00 USD (12,836.80 CNY)".
const totalOf = (po) => po.total == null ? `— ${po.currency}` : `${money(po.total)} ${po.currency}`
  + (po.currency !== "CNY" && po.total_cny != null ? ` (${money(po.total_cny)} CNY)` : "");

export async function approvals() {
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
      : doc.what === "transfer"
      ? h("li", { "data-transfer": doc.number },
        h("span", {}, h("strong", {}, doc.number), " ", t("transfer order"),
          h("div", { class: "muted" }, `${doc.from_warehouse} → ${doc.to_warehouse} · ${doc.created_by || ""} · ${doc.lines.length} ${t("lines")}`)),
        review(DECISIONS.transfer.hash(doc.number)))
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
 *  makes the decision a conflict). Null when it waits no more for this user (approving is no longer among its actions). */
async function toDecide(kind, number) {
  try {
    const fresh = await sync.api(`/api/v1/${DECISIONS[kind].path}/${encodeURIComponent(number)}`);
    if (!(fresh.actions || []).includes("approve")) {
      await store.dropDoc("approval", number);
      return null;
    }
    const doc = kind === "po" ? fresh : { ...fresh, what: kind };
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
    for (const stale of (await sync.status()).issues.filter((op) => op.type.startsWith(`${kind}.`) && decisionOf(op) && op.payload[key] === number)) {
      await sync.discard(stale);
    }
    scan.ok();
    say("ok", `${verdict === "approve" ? t("approved") : t("rejected")} ${number}`);
    go("#/approvals");
  };
  return h("form", { class: "stack", onsubmit: (event) => event.preventDefault() },
    h("label", {}, t("comment"), comment),
    h("button", { class: "primary", type: "button", "data-action": "approve", onclick: () => decide("approve") }, t("approve")),
    h("button", { type: "button", "data-action": "reject", onclick: () => decide("reject") }, t("reject")));
}

export async function approval(number) {
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

/** Where a document stands in its approval: the level it waits at and for which role, then the decisions standing on it. */
function levels(doc) {
  const roles = doc.approval_roles || [];
  const given = (doc.approvals || []).filter((a) => !a.void);
  const level = given.filter((a) => a.decision === "approved").length + 1;
  if (!roles.length) return null;
  return h("p", { class: "muted", "data-field": "levels" },
    [`${t("level of").replace("{level}", level).replace("{of}", roles.length)} · ${t("waits for").replace("{role}", t(`office.role ${roles[level - 1]}`))}`,
      ...given.map((a) => `${t(`office.role ${a.role}`)} ${a.user}: ${t(`office.decision ${a.decision}`)}${a.comment ? ` (${a.comment})` : ""}`)].join(" · "));
}

/** A requisition raised by someone who may only ask: what, where, by when and why, then approve or reject. */
export async function requisitionApproval(number) {
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
    req.estimated_value != null ? h("p", { "data-field": "value" }, `${t("estimated value")}: ${money(req.estimated_value)} CNY`) : null,
    levels(req),
    decisionForm("requisition", number, req.version));
}

/** A transfer order one warehouse asks another for: from where to where, what, by when, then approve or reject. */
export async function transferApproval(number) {
  const here = location.hash;
  working(null);
  const order = await toDecide("transfer", number);
  if (!showing(here)) return;
  if (!order) return approvals();
  const name = (line) => (language() === "zh" ? line.name_zh : line.name_en || line.name_zh) || "";
  screen(`${number} · ${t("transfer order")}`,
    table([t("from to"), t("requested by"), t("needed by")],
      [[`${order.from_warehouse} → ${order.to_warehouse}`, order.created_by || "—", order.needed_by || "—"]], { id: "transfer-facts" }),
    table([t("item"), { text: t("qty"), num: true }],
      order.lines.map((line) => h("tr", { "data-sku": line.sku }, h("td", {}, line.sku, h("div", { class: "muted" }, name(line))),
        h("td", { class: "num" }, `${line.qty}${line.unit ? ` ${line.unit}` : ""}`))), { id: "transfer-lines" }),
    order.note ? h("p", { "data-field": "note" }, `${t("note")}: ${order.note}`) : null,
    order.value != null ? h("p", { "data-field": "value" }, `${t("value at cost")}: ${money(order.value)} CNY`) : null,
    levels(order),
    decisionForm("transfer", number, order.version));
}
