// The issue inbox: operations the server refused, judged a conflict, or applied with an exception.

import * as sync from "../sync.js";
import * as scan from "../scan.js";
import { inLanguage, shown, t } from "../i18n.js";
import { h, say, screen, working, showing, go, redraw } from "../ui.js";
import { changeList } from "./changes.js";
import { decisionOf } from "./shared.js";

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

/** Every operation the server refused, judged a conflict, or applied with an exception, with what can be done about it. */
let shownIssues = "";

export async function issueInbox() {
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
  if (homeIssues !== null && homeIssues !== event.detail.issues.length) redraw();
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
