// After-sales service in the back office (售后服务): tickets about goods a customer was sold, opened from a scanned serial
// number (or a lot, or — goods tracked by neither — the item and its delivery note's number) that fills in the customer,
// order, invoice and warranty; worked on, resolved by a repair, a replacement
// or a refund — with the return, replacement order and credit note that takes — and closed.

import * as sync from "../sync.js";
import { said } from "../i18n.js";
import { h, go, say } from "../ui.js";
import {
  back, by, deskTexts, documentActions, enc, facts, fail, formField, grid, history, link, load, may, named, pagedList, put, recordForm, row, when,
} from "../desk.js";

// Door names read from the desk's own table (documentActions reads "action <door>" there).
deskTexts({
  "action start": ["开始处理", "Start work"],
  "action create-return": ["办理退货", "Take back (return)"],
  "action replace": ["换货", "Ship a replacement"],
  "action refund": ["退款", "Refund"],
  "action resolve": ["解决", "Resolve"],
  "action reopen": ["重新打开", "Reopen"],
});

const { t, known, stateOptions } = deskTexts({
  "service-tickets": ["售后服务", "After-sales"],
  "new ticket": ["新建售后服务单", "New ticket"],
  "open ticket": ["创建服务单", "Open the ticket"],
  "edit ticket": ["修改售后服务单", "Change the ticket"],
  serial: ["序列号", "Serial number"],
  "serial hint": ["扫描或输入序列号；批次商品请填写商品、批次和客户；无序列号和批次的商品请填写商品和送货单号",
    "Scan or type the serial number; for goods by lot, give the item, lot and customer; for other goods, the item and the delivery note number"],
  "delivery note": ["送货单号", "Delivery note number"],
  "delivery note hint": ["即发货的销售订单号，如 SO-2026-00001", "The number of the sales order the goods shipped on, like SO-2026-00001"],
  "claimable": ["未退回、未登记售后", "Not returned or claimed yet"],
  "serial or lot": ["序列号 / 批次", "Serial / lot"],
  item: ["商品", "Item"],
  customer: ["客户", "Customer"],
  "sales order": ["销售订单", "Sales order"],
  invoice: ["销售发票", "Invoice"],
  "not invoiced": ["尚未开票", "Not invoiced yet"],
  problem: ["问题描述", "Problem"],
  "resolution in view": ["拟处理方式", "Resolution in view"],
  resolution: ["处理方式", "Resolution"],
  "not decided": ["待定", "Not decided yet"],
  "resolution repair": ["维修", "Repair"],
  "resolution replacement": ["换货", "Replacement"],
  "resolution refund": ["退款", "Refund"],
  "what was done": ["处理结果", "What was done"],
  warranty: ["保修", "Warranty"],
  "warranty days": ["保修天数", "Warranty (days)"],
  "warranty default": ["不填则按系统设置", "Leave empty for the company's usual warranty"],
  "in warranty until": ["保修期内，至", "In warranty until"],
  "out of warranty since": ["已过保修期，保修至", "Out of warranty since"],
  "shipped on": ["发货日期", "Shipped on"],
  "reported on": ["报修日期", "Reported on"],
  "with the customer": ["客户持有", "With the customer"],
  "sold unit": ["已售商品", "Sold goods"],
  "looking up": ["正在查找…", "Looking up…"],
  "has open ticket": ["已有未关闭的服务单", "Already has an open ticket"],
  "assigned to": ["处理人", "Handled by"],
  "assigned hint": ["用户名；留空则无人处理", "A username; empty leaves it to nobody"],
  documents: ["相关单据", "Documents"],
  "no documents": ["尚无退货、换货或退款单据", "No return, replacement or refund yet"],
  "customer return": ["退货单", "Return"],
  "replacement order": ["换货订单", "Replacement order"],
  "credit note": ["红字发票（退款）", "Credit note (refund)"],
  "return waits": ["等待仓库收货后，才能换货或退款", "Replacement or refund once the warehouse has received it"],
  log: ["处理记录", "Log"],
  "add note": ["添加备注", "Add a note"],
  "note text": ["备注内容", "Note"],
  document: ["单据", "Document"],
  "log create": ["创建", "Opened"],
  "log update": ["修改", "Changed"],
  "log start": ["开始处理", "Work started"],
  "log return": ["办理退货", "Return opened"],
  "log replace": ["换货", "Replacement ordered"],
  "log refund": ["退款", "Refunded"],
  "log resolve": ["解决", "Resolved"],
  "log reopen": ["重新打开", "Reopened"],
  "log close": ["关闭", "Closed"],
  "log cancel": ["取消", "Cancelled"],
  "log note": ["备注", "Note"],
  "state open": ["待处理", "Open"],
  "state in_progress": ["处理中", "In progress"],
  "state resolved": ["已解决", "Resolved"],
  "state closed": ["已关闭", "Closed"],
  "state cancelled": ["已取消", "Cancelled"],
  // The states of the documents a ticket links: its return, replacement order and credit note.
  "state draft": ["草稿", "Draft"],
  "state confirmed": ["已确认", "Confirmed"],
  "state picking": ["拣货中", "Picking"],
  "state packed": ["已包装", "Packed"],
  "state shipped": ["已发货", "Shipped"],
  "state invoiced": ["已开票", "Invoiced"],
  "state received": ["已收货", "Received"],
  "state done": ["已完成", "Done"],
  "state posted": ["已过账", "Posted"],
  "state partially_paid": ["部分结清", "Partly settled"],
  "state paid": ["已结清", "Settled"],
}, "service");
const STATES = ["open", "in_progress", "resolved", "closed", "cancelled"];
const RESOLUTIONS = ["repair", "replacement", "refund"];

const api = sync.api;
const redraw = () => go(location.hash);
const resolutionText = (value) => (value ? known("resolution", value) : "—");
const warrantyText = (x) => `${t(x.in_warranty ? "in warranty until" : "out of warranty since")} ${x.warranty_until}`;
/** The goods a ticket is about: its serial number, its lot and quantity, or (goods tracked by neither) the quantity. */
const goods = (x) => (x.serial ? x.serial : x.lot ? `${t("lot")} ${x.lot} × ${x.qty} ${x.unit}` : `× ${x.qty} ${x.unit}`);
/** A sales document's number, as a link to it for those who may open it (an invoice needs prices.read). */
const invoiceLink = (number) => (number ? (may("prices.read") ? link("invoices", number) : number) : t("not invoiced"));

// The list -----------------------------------------------------------------------------------------

async function tickets(here, panel, number) {
  if (number === "new") return ticketForm(here, panel);
  if (number) return ticket(here, panel, number);
  put(panel,
    may("service.write") ? h("p", { class: "actions" }, h("a", { href: "#/office/service-tickets/new", class: "button", "data-action": "new" }, t("new ticket")))
      : null,
    pagedList(here, {
      key: "service-tickets",
      filters: [{ name: "status", label: t("status"), options: stateOptions(STATES) }, { name: "customer", label: t("customer"), placeholder: t("code") },
        { name: "serial", label: t("serial"), placeholder: t("serial") }, { name: "sku", label: t("sku"), placeholder: t("sku") }],
      columns: [by("number", t("number")), by("status", t("status")), by("customer", t("customer")), by("sku", t("sku")), t("serial or lot"),
        by("order", t("sales order")), by("resolution", t("resolution")), t("warranty"), by("reported_on", t("reported on"))],
      fetchPage: (params) => api("/api/v1/service-tickets", { params }),
      draw: (x) => row({ "data-ticket": x.number }, [link("service-tickets", x.number), known("state", x.status), x.customer, x.sku, goods(x),
        link("sales-orders", x.order), resolutionText(x.resolution), t(x.in_warranty ? "yes" : "no"), x.reported_on]),
    }));
}

// Opening one --------------------------------------------------------------------------------------

/** What the serial (or lot) is: the sold goods, their customer, order, invoice and warranty, as the server found them. */
function soldPanel(sold) {
  return [
    h("h4", {}, t("sold unit")),
    facts([
      [t("item"), `${sold.sku} ${named(sold)}`, { "data-field": "item" }],
      sold.serial ? [t("serial"), sold.serial, { "data-field": "serial" }]
        : sold.lot ? [t("with the customer"), `${t("lot")} ${sold.lot} × ${sold.qty} ${sold.unit}`, { "data-field": "lot" }]
          : [t("claimable"), `${sold.qty} ${sold.unit}`, { "data-field": "qty" }],
      [t("customer"), `${sold.customer} ${named({ name_zh: sold.customer_name_zh, name_en: sold.customer_name_en })}`, { "data-field": "customer" }],
      [t("sales order"), link("sales-orders", sold.order), { "data-field": "order" }],
      [t("invoice"), invoiceLink(sold.invoice), { "data-field": "invoice" }],
      [t("shipped on"), sold.shipped_on, { "data-field": "shipped" }],
      [t("warranty"), warrantyText(sold), { "data-field": "warranty" }],
      sold.open_ticket ? [t("has open ticket"), link("service-tickets", sold.open_ticket), { "data-field": "open-ticket" }] : null,
    ]),
  ];
}

/** A new ticket: the clerk scans or types the serial number (or the item, lot and customer; or the item and the delivery
 *  note's number), sees what was sold to whom and whether it is in warranty, and writes down the problem. */
async function ticketForm(here, panel) {
  const customers = await load(here, panel, api("/api/v1/partners", { params: { kind: "customer", limit: 500 } }));
  if (!customers) return;
  const sold = h("section", { id: "sold-unit", class: "sold-unit", "aria-live": "polite" });
  let asked = "";
  const lookUp = async () => {
    const value = (name) => form.querySelector(`[name=${name}]`).value.trim();
    const params = value("serial") ? { serial: value("serial"), ...(value("sku") ? { sku: value("sku") } : {}) }
      : value("lot") && value("sku") && value("customer") ? { sku: value("sku"), lot: value("lot"), customer: value("customer") }
        : !value("lot") && value("sku") && value("order")
          ? { sku: value("sku"), order: value("order"), ...(value("customer") ? { customer: value("customer") } : {}) } : null;
    const key = JSON.stringify(params);
    if (!params || key === asked) return;
    asked = key;
    delete sold.dataset.order;
    put(sold, h("p", { class: "muted" }, t("looking up")));
    let found;
    try {
      found = await api("/api/v1/service-tickets/lookup", { params });
    } catch (error) {
      if (asked === key) put(sold, h("p", { class: "form-error", role: "alert", "data-field": "lookup-error" }, said(error)));
      return;
    }
    if (asked !== key) return;  // the serial changed again meanwhile
    form.querySelector("[name=customer]").value = found.customer;
    form.querySelector("[name=order]").value = found.order;
    if (!found.serial) form.querySelector("[name=qty]").placeholder = found.qty;
    put(sold, soldPanel(found));
    sold.dataset.order = found.order;
  };
  const form = recordForm({
    id: "ticket-form", title: t("new ticket"), label: t("open ticket"),
    fields: [
      formField({ name: "serial", label: t("serial"), autocomplete: "off", hint: t("serial hint"), onchange: lookUp, onkeydown: (event) => {
        if (event.key !== "Enter") return;  // a scanner ends with Enter: look it up, do not save yet
        event.preventDefault();
        lookUp();
      } }),
      formField({ name: "sku", label: t("sku"), list: "ticket-items", onchange: lookUp }),
      formField({ name: "lot", label: t("lot"), onchange: lookUp }),
      formField({ name: "qty", label: t("qty"), inputmode: "decimal" }),
      formField({ name: "customer", label: t("customer"), required: true, list: "ticket-customers", onchange: lookUp }),
      formField({ name: "order", label: t("delivery note"), autocomplete: "off", hint: t("delivery note hint"), onchange: lookUp }),
      formField({ name: "problem", label: t("problem"), type: "textarea", required: true }),
      formField({ name: "resolution", label: t("resolution in view"), options: [["", t("not decided")], ...RESOLUTIONS.map((r) => [r, known("resolution", r)])] }),
      formField({ name: "warranty_days", label: t("warranty days"), type: "number", min: 0, max: 36500, hint: t("warranty default") }),
      formField({ name: "note", label: t("note"), type: "textarea" }),
    ],
    submit: (values) => {
      const body = { ...values };
      if (body.warranty_days !== undefined) body.warranty_days = Number(body.warranty_days);
      return api("/api/v1/service-tickets", { method: "POST", body });
    },
    saved: (x) => {
      say("ok", `${x.number} · ${t("saved")}`);
      go(`#/office/service-tickets/${enc(x.number)}`);
    },
  });
  form.querySelector(".fields").after(sold);
  put(panel, back("service-tickets"), form,
    h("datalist", { id: "ticket-customers" }, customers.items.map((c) => h("option", { value: c.code }, named(c)))),
    h("datalist", { id: "ticket-items" }));
  form.querySelector("[name=serial]").focus();
}

// One ticket ----------------------------------------------------------------------------------------

/** Resolve: how (repair, replacement, refund) and what was done, in a dialog; the server says if the ticket is not there yet. */
function resolveDialog(x) {
  const problem = h("p", { class: "form-error", role: "alert", hidden: true });
  const choice = h("select", { name: "resolution" }, RESOLUTIONS.map((r) => h("option", { value: r, selected: r === x.resolution }, known("resolution", r))));
  const note = h("textarea", { name: "note", rows: 3, maxlength: 500 });
  const dialog = h("dialog", { class: "ask resolve", "aria-label": t("action resolve") },
    h("form", { method: "dialog", onsubmit: async (event) => {
      event.preventDefault();
      try {
        await api(`/api/v1/service-tickets/${enc(x.number)}/resolve`, { method: "POST", body: { version: x.version, resolution: choice.value, note: note.value.trim() } });
      } catch (error) {
        fail(error);
        problem.textContent = said(error);
        problem.hidden = false;
        return;
      }
      dialog.close();
      say("ok", `${t("action resolve")} · ${t("done")}`);
      redraw();
    } },
    h("h3", {}, t("action resolve")),
    h("label", {}, t("resolution"), choice),
    h("label", {}, t("what was done"), note),
    problem,
    h("div", { class: "actions" },
      h("button", { class: "primary", "data-action": "ok" }, t("save")),
      h("button", { type: "button", "data-action": "back", onclick: () => dialog.close() }, t("go back")))));
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  choice.focus();
}

/** Change what the ticket's state still allows: while open the problem, resolution, warranty, who handles it and the note;
 *  in progress who handles it, the resolution and the note. */
function ticketEdit(x, element) {
  const open = x.status === "open";
  const form = recordForm({
    id: "ticket-edit-form", title: t("edit ticket"),
    fields: [
      open ? formField({ name: "problem", label: t("problem"), type: "textarea", required: true, value: x.problem }) : null,
      formField({ name: "resolution", label: t("resolution in view"), value: x.resolution ?? "",
        options: [["", t("not decided")], ...RESOLUTIONS.map((r) => [r, known("resolution", r)])] }),
      open ? formField({ name: "warranty_days", label: t("warranty days"), type: "number", min: 0, max: 36500, value: x.warranty_days }) : null,
      formField({ name: "assigned_to", label: t("assigned to"), value: x.assigned_to ?? "", hint: t("assigned hint") }),
      formField({ name: "note", label: t("note"), type: "textarea", value: x.note }),
    ].filter(Boolean),
    submit: (values) => {
      const body = { version: x.version, assigned_to: values.assigned_to ?? "", note: values.note ?? "" };
      if (values.resolution) body.resolution = values.resolution;
      if (open) Object.assign(body, { problem: values.problem ?? "", ...(values.warranty_days !== undefined ? { warranty_days: Number(values.warranty_days) } : {}) });
      return api(`/api/v1/service-tickets/${enc(x.number)}`, { method: "PATCH", body });
    },
    saved: () => {
      say("ok", t("saved"));
      redraw();
    },
    cancel: () => put(element),
  });
  put(element, form);
  form.querySelector("textarea, select, input")?.focus();
}

/** The return, replacement order and credit note resolving the ticket, each with its state. */
function documentsOf(x) {
  const rows = [
    x.customer_return ? ["return", t("customer return"), link("returns", x.customer_return.number), x.customer_return.status] : null,
    x.replacement ? ["replacement", t("replacement order"), link("sales-orders", x.replacement.number), x.replacement.status] : null,
    x.credit_note ? ["credit-note", t("credit note"), may("prices.read") ? link("invoices", x.credit_note.number) : x.credit_note.number, x.credit_note.status]
      : null,
  ].filter(Boolean);
  const waiting = x.customer_return && x.customer_return.status === "open" && ["open", "in_progress"].includes(x.status);
  return [
    h("h4", {}, t("documents")),
    rows.length
      ? grid([t("document"), t("number"), t("status")], rows.map(([kind, what, number, status]) => row({ "data-document": kind }, [what, number, known("state", status)])),
        { id: "ticket-documents" })
      : h("p", { class: "muted", id: "ticket-documents" }, t("no documents")),
    waiting ? h("p", { class: "muted", "data-field": "return-waits" }, t("return waits")) : null,
  ];
}

function noteForm(x) {
  const text = h("textarea", { name: "text", rows: 2, cols: 60, maxlength: 500, required: true, "aria-label": t("note text") });
  return h("form", { class: "record-form", id: "ticket-note-form", "aria-label": t("add note"), onsubmit: async (event) => {
    event.preventDefault();
    if (!text.value.trim()) return text.focus();
    try {
      await api(`/api/v1/service-tickets/${enc(x.number)}/notes`, { method: "POST", body: { text: text.value.trim() } });
    } catch (error) {
      return fail(error);
    }
    say("ok", t("saved"));
    redraw();
  } }, text, h("div", { class: "actions" }, h("button", { type: "submit", "data-action": "add-note" }, t("add note"))));
}

async function ticket(here, panel, number) {
  const x = await load(here, panel, api(`/api/v1/service-tickets/${enc(number)}`));
  if (!x) return;
  const editing = h("div", { id: "ticket-edit" });
  put(panel,
    back("service-tickets"),
    h("h3", {}, `${x.number} · ${x.customer}`),
    h("div", { id: "ticket-facts" }, facts([
      [t("status"), known("state", x.status), { "data-field": "status" }],
      [t("customer"), h("span", {}, link("partners", x.customer), " ", named({ name_zh: x.customer_name_zh, name_en: x.customer_name_en })), { "data-field": "customer" }],
      [t("item"), h("span", {}, link("items", x.sku), " ", named(x)), { "data-field": "item" }],
      [x.serial ? t("serial") : x.lot ? t("lot") : t("qty"), x.serial ? link("trace", x.serial) : x.lot ? `${x.lot} × ${x.qty} ${x.unit}` : `${x.qty} ${x.unit}`,
        { "data-field": "goods" }],
      [t("sales order"), link("sales-orders", x.order), { "data-field": "order" }],
      [t("invoice"), invoiceLink(x.invoice), { "data-field": "invoice" }],
      [t("shipped on"), x.shipped_on, { "data-field": "shipped" }],
      [t("reported on"), x.reported_on],
      [t("warranty"), `${warrantyText(x)} (${x.warranty_days})`, { "data-field": "warranty", class: x.in_warranty ? null : "below-cost" }],
      [t("problem"), x.problem, { "data-field": "problem" }],
      [t("resolution"), resolutionText(x.resolution), { "data-field": "resolution" }],
      x.resolution_note ? [t("what was done"), x.resolution_note, { "data-field": "resolution-note" }] : null,
      [t("assigned to"), x.assigned_to, { "data-field": "assigned" }],
      [t("note"), x.note],
      [t("created by"), x.created_by], [t("created"), when(x.created_at)], [t("version"), x.version],
    ])),
    documentActions(x, { path: `/api/v1/service-tickets/${enc(x.number)}`, ask: { cancel: "reason", reopen: "reason" },
      run: { edit: () => ticketEdit(x, editing), resolve: () => resolveDialog(x) }, done: redraw }),
    editing,
    documentsOf(x),
    h("h4", {}, t("log")),
    grid([t("when"), t("who"), t("what"), t("note"), t("document")], x.log.map((e) => row({ "data-action": e.action }, [when(e.at), e.user || "—",
      known("log", e.action), { text: e.text, wrap: true }, e.document || ""])), { id: "ticket-log" }),
    may("service.write") ? noteForm(x) : null,
    history("service_ticket", x.number));
}

export const sections = {
  "service-tickets": { draw: tickets, group: "sales", label: () => t("service-tickets") },
};
