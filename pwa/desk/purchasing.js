// Purchasing in the back office: requisitions and reorder suggestions, purchase orders from draft to approval and their
// history, receipts with their inspection and put-away, and supplier bills with the three-way match.

import * as sync from "../sync.js";
import { language } from "../i18n.js";
import { h, say, showing, go, scroller, money } from "../ui.js";
import {
  amount, back, deskTexts, documentActions, enc, facts, fail, formField, grid, link, load, may, named, num, pagedList, put, recordForm, row,
  totals, when, history, by,
} from "../desk.js";
import { printLink } from "./print.js";
import { emailPanel } from "./email.js";
import { discounted, figure, inPacks, inUnit, offerUnits as offerUnitsOf, qtyCell, unitChoices, unitText } from "./units.js";
import { withSupplierScores } from "./supplier_scores.js";
import { approvalTrail, restartsApproval } from "./approvals.js";

const { t, known, stateOptions } = deskTexts({
  requisitions: ["请购单", "Requisitions"],
  receipts: ["收货单", "Receipts"],
  bills: ["供应商发票", "Supplier bills"],
  "state open": ["进行中", "Open"],
  "state ordered": ["已下单", "Ordered"],
  "state inspecting": ["待质检", "Awaiting inspection"],
  "state putaway": ["待上架", "Awaiting put-away"],
  "state done": ["已完成", "Done"],
  "state blocked": ["匹配不符已冻结", "Blocked by a mismatch"],
  "state posted": ["已过账", "Posted"],
  "state partially_paid": ["部分付款", "Partially paid"],
  "state paid": ["已结清", "Paid"],
  "source manual": ["手工", "By hand"],
  "source reorder": ["再订货建议", "Reorder suggestion"],
  "qc pending": ["待质检", "Awaiting inspection"],
  "qc accepted": ["合格", "Accepted"],
  "qc rejected": ["拒收", "Rejected"],
  "qc partial": ["部分拒收", "Partly rejected"],
  "task open": ["待上架", "To put away"],
  "task done": ["已上架", "Put away"],
  "task cancelled": ["已取消", "Cancelled"],
  source: ["来源", "Source"],
  "needed by": ["需求日期", "Needed by"],
  "requested by": ["申请人", "Requested by"],
  po: ["采购订单", "Purchase order"],
  "new requisition": ["新建请购单", "New requisition"],
  "check reorder": ["立即检查再订货点", "Check reorder levels now"],
  "reorder raised": ["再订货检查新建的请购单：", "Requisitions the reorder check raised:"],
  "reorder none": ["再订货检查完成：没有商品低于再订货点。", "Reorder check done: no item is below its reorder level."],
  select: ["选择", "Select"],
  "select requisition": ["选择请购单", "Select requisition"],
  "make po": ["生成采购订单", "Make a purchase order"],
  "make po from": ["用所选请购单生成采购订单", "Make a purchase order from the selected requisitions"],
  "selected requisitions": ["已选请购单", "Selected requisitions"],
  "optional supplier": ["供应商（可选）", "Supplier (optional)"],
  "add line": ["添加一行", "Add a line"],
  "remove line": ["删除行", "Remove line"],
  "no lines yet": ["还没有行，请添加一行。", "No line yet: add one."],
  "unit price": ["单价", "Unit price"],
  "vat rate": ["税率 %", "VAT %"],
  "price hint": ["留空：用供应商价目表或上次价格", "Empty: the supplier's list or last price"],
  "vat hint": ["留空：用商品税率", "Empty: the item's rate"],
  "new po": ["新建采购订单", "New purchase order"],
  "edit po": ["修改采购订单", "Change the purchase order"],
  "awaiting me": ["待我审批", "Awaiting my approval"],
  "expected date": ["预计到货日期", "Expected date"],
  promised: ["供应商承诺交期", "Promised by the supplier"],
  create: ["创建", "Create"],
  "no changes": ["这个版本没有可读的修改。", "Nothing a person decides on changed in this version."],
  "enter bill": ["登记供应商发票", "Enter a bill"],
  "enter bill for": ["为采购订单登记发票", "Enter a bill for a purchase order"],
  "po number": ["采购订单号", "Purchase order number"],
  "supplier ref": ["供应商发票号", "Supplier's bill number"],
  "bill date": ["发票日期", "Bill date"],
  "due date": ["到期日", "Due date"],
  "po line": ["订单行", "Order line"],
  paid: ["已付", "Paid"],
  open: ["未付", "Open"],
  "why blocked": ["为什么这张发票被冻结", "Why this bill is blocked"],
  "what to do": ["怎么办：把各行改成供应商发票上的实际数量、单价和税率（数量不能超过已收货合格且未开票的数量；单价与订单不符时请供应商开正确的发票），保存后再过账；或取消这张发票。",
    "What to do: correct the lines to what the supplier really billed (no more than was received, accepted and not yet billed; if the price differs from the order, ask the supplier for a corrected bill), save, and post again — or cancel this bill."],
  "correct lines": ["更正各行", "Correct the lines"],
  "edit bill": ["更正发票", "Correct the bill"],
  problem: ["问题", "Problem"],
  "record payment": ["登记付款", "Record a payment"],
  dock: ["收货区", "Dock"],
  serials: ["序列号", "Serials"],
  "serials hint": ["SN1 SN2 …（数量即个数）", "SN1 SN2 … (the quantity is how many)"],
  rejected: ["拒收", "Rejected"],
  inspection: ["质检", "Inspection"],
  "qc note": ["质检说明", "Inspection note"],
  "inspect lines": ["质检", "Inspection"],
  "record inspection": ["保存质检结果", "Record the inspection"],
  "reject needs reason": ["有拒收时必须写明原因", "Say why when anything is rejected"],
  putaway: ["上架任务", "Put-away tasks"],
  from: ["从", "From"],
  suggested: ["建议库位", "Suggested bin"],
  "put to": ["上架到", "Put away to"],
  "nothing billable": ["这张采购订单没有已收货合格且未开票的数量。", "Nothing on this purchase order is received, accepted and not yet billed."],
  "supplier currency": ["供应商的币种", "The supplier's currency"],
  "currency hint": ["默认为所选供应商的币种", "By default, the chosen supplier's currency"],
  "exchange rate": ["汇率", "Exchange rate"],
  "total cny": ["折合人民币合计", "Total in yuan"],
  "bill rate": ["发票汇率（可选）", "Bill's exchange rate (optional)"],
  "bill rate hint": ["1 单位外币折合人民币；留空则按发票日期的汇率", "Yuan per unit; empty: the rate of the bill's day"],
  "purchase-returns": ["采购退货单", "Purchase returns"],
  "print po": ["打印采购订单", "Print the order"],
  "print grn": ["打印入库单", "Print the goods received note"],
  "state shipped": ["已退出", "Shipped"],
  "state cancelled": ["已取消", "Cancelled"],
  returned: ["已退货", "Returned"],
  "return to supplier": ["退货给供应商", "Return to supplier"],
  "new purchase return": ["新建采购退货单", "New purchase return"],
  "create purchase return": ["创建采购退货单", "Create the purchase return"],
  "returns of po": ["本订单的采购退货", "Returns of this order"],
  "show lines": ["显示可退货的行", "Show what may go back"],
  "nothing to return": ["这张采购订单没有可退的货物。", "Nothing of this purchase order may go back."],
  "return ref": ["供应商退货授权号", "Supplier's return authorisation"],
  "where now": ["所在库位", "Where it is"],
  "on hand": ["库存", "On hand"],
  "may return": ["可退", "May go back"],
  "qty to return": ["退货数量", "Qty to return"],
  reason: ["原因", "Reason"],
  "from quarantine": ["不合格品（隔离区）", "Rejected (quarantine)"],
  "from stock": ["合格品（库存）", "Accepted (stock)"],
  pool: ["类别", "Kind"],
  "debit note": ["红字发票", "Debit note"],
  "debited": ["已开票部分", "Billed part"],
  "return value": ["退货成本", "Value returned"],
  shipped: ["退货时间", "Shipped"],
  kind: ["类型", "Kind"],
  "kind bill": ["发票", "Bill"],
  "kind debit_note": ["红字发票", "Debit note"],
  "kind opening": ["期初应付", "Opening balance"],
  credits: ["冲减发票", "Against bill"],
  credited: ["红字冲减", "Debit notes"],
  "apply note": ["核销到其他发票", "Apply to another bill"],
  "apply note hint": ["该供应商同币种的未结发票；金额留空则核销尽可能多的金额", "An open bill of the same supplier and currency; leave the amount empty to apply all it can"],
  "bill number": ["发票号", "Bill number"],
  "amount optional": ["金额（可选）", "Amount (optional)"],
  "apply": ["核销", "Apply"],
}, "purchasing");

const REQ_STATES = ["pending", "open", "ordered", "rejected", "cancelled"];
const PO_STATES = ["draft", "pending", "approved", "rejected", "partially_received", "received", "closed", "cancelled"];
const RECEIPT_STATES = ["open", "inspecting", "putaway", "done", "cancelled"];
const BILL_STATES = ["draft", "blocked", "posted", "partially_paid", "paid", "cancelled"];
const RETURN_STATES = ["open", "shipped", "cancelled"];

const said = (zh, en) => (language() === "zh" ? zh : en);
// The books are kept in yuan (the API's *_cny figures): a document in it has the rate 1 and nothing to convert.
const YUAN = "CNY";
/** A document's rate as a person reads it: "1 USD = 7.1 CNY". */
const rateText = (currency, rate) => `1 ${currency} = ${rate} ${YUAN}`;

/** What a document in another currency is in yuan: its rate, and its total when the person may see it. */
function inYuan(doc) {
  if (!doc.currency || doc.currency === YUAN) return [];
  return [[t("exchange rate"), rateText(doc.currency, doc.exchange_rate), { "data-field": "exchange-rate" }],
    doc.total_cny === null || doc.total_cny === undefined ? null : [t("total cny"), `${money(doc.total_cny)} ${YUAN}`, { "data-field": "total-cny" }]];
}

function heading(text) {
  return h("h3", { tabindex: "-1" }, text);
}

/** After a redraw, the cursor goes to the record's heading, where a keyboard user reads on. */
function focusTitle(panel) {
  panel.querySelector("h3")?.focus();
}

function toolbar(...buttons) {
  const shown = buttons.filter(Boolean);
  return shown.length ? h("p", { class: "actions" }, shown) : null;
}

// Lines typed in a form --------------------------------------------------------------------------

/**
 * The lines of a form, typed into a table: one row per line, added and removed with buttons. Each input is named
 * `line-<row>-<field>` (one name a refusal can point at; desk.js's fieldOf keeps only what comes before a "." or "[").
 *   columns: [{name, label, type, inputmode, hint, width}], or {name, label, units: true}: a choice of the units the row's
 *   item counts in (empty: its own), or {name, label, shown: (values) => text}: a read-only cell;
 *   fixed: a read-only first cell per row (e.g. the order line).
 */
function lineEditor({ id, columns, rows = [], addable = true, fixed = null }) {
  const body = h("tbody");
  const unitsOf = unitChoices();
  const offerUnits = (tr) => offerUnitsOf(unitsOf, tr.querySelector("select[data-units]"), tr.querySelector("[data-name=sku]"));
  const control = (c, values) => {
    if (c.shown) return c.shown(values);
    const attrs = { "data-name": c.name, "data-label": c.label };
    if (c.units) {
      return h("select", { ...attrs, "data-units": "", onfocus: (event) => offerUnits(event.currentTarget.closest("tr")) },
        h("option", { value: "" }, values.base_unit || t("item unit")),
        values.unit ? h("option", { value: values.unit, selected: true }, unitText(values.unit, values.unit_factor, values.base_unit)) : null);
    }
    return h("input", {
      ...attrs, type: c.type || "text", value: values[c.name] ?? "", autocomplete: "off", inputmode: c.inputmode || null, placeholder: c.hint || null,
      size: c.size || 10,
    });
  };
  const empty = h("p", { class: "muted", "data-field": "no-lines", hidden: true }, t("no lines yet"));
  const renumber = () => {
    [...body.rows].forEach((tr, i) => {
      tr.dataset.row = String(i);
      for (const input of tr.querySelectorAll("[data-name]")) {
        input.name = `line-${i}-${input.dataset.name}`;
        input.setAttribute("aria-label", `${input.dataset.label} · ${t("line")} ${i + 1}`);
      }
      const remove = tr.querySelector("[data-action=remove-line]");
      remove.setAttribute("aria-label", `${t("remove line")} ${i + 1}`);
    });
    empty.hidden = body.rows.length > 0;
  };
  const add = (values = {}) => {
    const tr = h("tr", { dataset: { fixed: values.fixed ?? "" } },
      fixed ? h("td", { "data-field": "fixed" }, fixed(values)) : null,
      columns.map((c) => h("td", c.shown ? { "data-field": c.name } : {}, control(c, values))),
      h("td", {}, h("button", { type: "button", "data-action": "remove-line", onclick: () => {
        const at = [...body.rows].indexOf(tr);
        tr.remove();
        renumber();
        (body.rows[Math.min(at, body.rows.length - 1)]?.querySelector("input") || addButton || body.closest("form")?.querySelector("button"))?.focus();
      } }, "×")));
    body.append(tr);
    renumber();
    if (tr.querySelector("select[data-units]")) {
      tr.querySelector("[data-name=sku]")?.addEventListener("change", () => offerUnits(tr));
      if (values.sku) offerUnits(tr);
    }
    return tr;
  };
  const addButton = addable ? h("button", { type: "button", "data-action": "add-line", onclick: () => add().querySelector("input").focus() }, t("add line")) : null;
  rows.forEach(add);
  if (!rows.length && addable) add();
  // A group, not a fieldset: a fieldset grows to its table's width, and the table must scroll inside it on a phone.
  const element = h("div", { class: "lines", id, role: "group", "aria-labelledby": `${id}-title` },
    h("h4", { id: `${id}-title` }, t("lines")),
    scroller(h("table", {},
      h("thead", {}, h("tr", {}, fixed ? h("th", { scope: "col" }, t("po line")) : null, columns.map((c) => h("th", { scope: "col" }, c.label)),
        h("th", { scope: "col" }, h("span", { class: "muted" }, "")))),
      body)),
    empty, addButton ? h("p", {}, addButton) : null);
  renumber();
  return {
    element,
    /** The lines as typed (rows left wholly empty are not sent), and the rows they came from, in the same order. */
    read() {
      const sent = [...body.rows].filter((tr) => [...tr.querySelectorAll("input")].some((input) => input.value.trim()));
      const lines = sent.map((tr) => {
        const line = tr.dataset.fixed ? { line: Number(tr.dataset.fixed) } : {};
        for (const input of tr.querySelectorAll("[data-name]")) if (input.value.trim()) line[input.dataset.name] = input.value.trim();
        return line;
      });
      return { lines, rows: sent };
    },
  };
}

/** Point a refusal at the input it is about: the server names a line's field as `lines[2].qty` (the third line sent). */
function pointAt(error, sentRows = []) {
  const details = error?.body?.details;
  if (!details) return error;
  const key = String(details.field || details.errors?.[0]?.key || details.fields?.[0] || "").replace(/^\$\.?/, "");
  const line = key.match(/^lines\[(\d+)\](?:\.(\w+))?/);
  if (line) {
    const tr = sentRows[Number(line[1])];
    const input = tr && (tr.querySelector(`[data-name="${line[2]}"]`) || tr.querySelector("input"));
    if (input) details.field = input.name;
  } else if (key) {
    details.field = key.split(/[.[]/)[0];
  }
  return error;
}

/** Send what a form of a document with lines says; a refusal comes back pointed at its input. */
async function sending(request, sentRows) {
  try {
    return await request;
  } catch (error) {
    throw pointAt(error, sentRows);
  }
}

// Requisitions -----------------------------------------------------------------------------------

// The requisitions picked to go on one purchase order, kept while the purchaser pages and filters.
const picked = new Map();
let lastCheck = null;  // what the last reorder check raised, shown above the list until another is run

const linesText = (lines) => lines.map((l) => `${l.sku} × ${l.qty}`).join(", ");

async function requisitions(here, panel, number) {
  if (number === "new") return requisitionForm(here, panel);
  if (number) return requisition(here, panel, number);
  const order = h("div", { id: "order-box" });
  const drawOrder = () => put(order, picked.size ? orderForm(here, [...picked.values()], () => { picked.clear(); drawOrder(); redraw(); }) : null);
  const choose = (req) => {
    if (!req.actions.includes("order")) return "";
    return h("input", { type: "checkbox", "data-pick": req.number, "aria-label": `${t("select requisition")} ${req.number}`, checked: picked.has(req.number),
      onchange: (event) => {
        for (const box of document.querySelectorAll(`[data-pick="${req.number}"]`)) box.checked = event.currentTarget.checked;
        if (event.currentTarget.checked) picked.set(req.number, req);
        else picked.delete(req.number);
        drawOrder();
      } });
  };
  const columns = [t("select"), by("number", t("number")), by("status", t("status")), by("source", t("source")), by("warehouse", t("warehouse")),
    by("supplier", t("supplier")), by("needed_by", t("needed by")), t("lines"), by("po", t("po")), by("created_at", t("created"))];
  const draw = (req) => row({ "data-req": req.number }, [choose(req), link("requisitions", req.number), known("state", req.status), known("source", req.source),
    req.warehouse, req.supplier || "", req.needed_by || "", { text: linesText(req.lines), wrap: true }, req.po ? link("purchase-orders", req.po) : "", when(req.created_at)]);
  const raised = h("div", { id: "reorder-result", "aria-live": "polite" });
  const showRaised = async () => {
    if (!lastCheck) return put(raised);
    if (!lastCheck.length) return put(raised, h("p", { class: "muted" }, t("reorder none")));
    const found = await Promise.all(lastCheck.map((n) => sync.api(`/api/v1/requisitions/${enc(n)}`).catch(() => null)));
    if (!showing(here)) return;
    put(raised, h("h4", {}, t("reorder raised")), grid(columns, found.filter(Boolean).map(draw)));
  };
  const check = async (event) => {
    const button = event.currentTarget;
    button.disabled = true;
    try {
      lastCheck = (await sync.api("/api/v1/reorder-rules/check", { method: "POST", body: {} })).requisitions;
    } catch (error) {
      return fail(error);
    } finally {
      button.disabled = false;
    }
    say("ok", lastCheck.length ? `${t("reorder raised")} ${lastCheck.join(", ")}` : t("reorder none"));
    if (showing(here)) redraw();
  };
  const redraw = () => {
    put(panel,
      toolbar(may("purchase.request") ? h("button", { type: "button", "data-action": "new-requisition", onclick: () => go("#/office/requisitions/new") },
        t("new requisition")) : null,
      may("purchase.request") ? h("button", { type: "button", "data-action": "check-reorder", onclick: check }, t("check reorder")) : null),
      raised,
      pagedList(here, {
        key: "requisitions",
        filters: [{ name: "status", label: t("status"), options: stateOptions(REQ_STATES) },
          { name: "warehouse", label: t("warehouse"), placeholder: t("code") }, { name: "supplier", label: t("supplier"), placeholder: t("code") }],
        columns,
        fetchPage: (params) => sync.api("/api/v1/requisitions", { params }),
        draw,
      }),
      order);
    showRaised();
    drawOrder();
  };
  redraw();
}

/** Make one purchase order of open requisitions (their warehouse's, from one supplier); it opens when made. */
function orderForm(here, reqs, cleared) {
  const first = reqs[0];
  return withSupplierScores(recordForm({
    id: "order-form",
    title: t("make po from"),
    label: t("make po"),
    fields: [
      h("p", { "data-field": "selected" }, `${t("selected requisitions")}: ${reqs.map((r) => r.number).join(", ")}`),
      { name: "supplier", label: t("supplier"), value: reqs.find((r) => r.supplier)?.supplier || "", required: true },
      { name: "warehouse", label: t("warehouse"), value: first.warehouse, required: true },
      { name: "expected_date", label: t("expected date"), type: "date", value: reqs.map((r) => r.needed_by).filter(Boolean).sort()[0] || "" },
    ],
    submit: (values) => sending(sync.api("/api/v1/purchase-orders", { method: "POST", body: {
      supplier: values.supplier, warehouse: values.warehouse, requisitions: reqs.map((r) => r.number),
      ...(values.expected_date ? { expected_date: values.expected_date } : {}) } })),
    saved: (po) => {
      picked.clear();
      say("ok", `${po.number} · ${t("saved")}`);
      go(`#/office/purchase-orders/${enc(po.number)}`);
    },
    cancel: cleared,
  }), reqs.flatMap((r) => r.lines.map((l) => l.sku)));
}

function requisitionForm(here, panel) {
  const editor = lineEditor({ id: "requisition-lines", columns: [
    { name: "sku", label: t("sku") }, { name: "qty", label: t("qty"), inputmode: "decimal" }] });
  let sent = [];
  put(panel, back("requisitions"), recordForm({
    id: "requisition-form",
    title: t("new requisition"),
    label: t("create"),
    fields: [
      { name: "warehouse", label: t("warehouse"), required: true },
      { name: "supplier", label: t("optional supplier") },
      { name: "needed_by", label: t("needed by"), type: "date" },
      { name: "note", label: t("note"), type: "textarea" },
      editor.element,
    ],
    submit: (values) => {
      const { lines, rows } = editor.read();
      sent = rows;
      const body = { warehouse: values.warehouse || "", lines };
      for (const key of ["supplier", "needed_by", "note"]) if (values[key]) body[key] = values[key];
      return sending(sync.api("/api/v1/requisitions", { method: "POST", body }), sent);
    },
    saved: (req) => {
      say("ok", `${req.number} · ${t("saved")}`);
      go(`#/office/requisitions/${enc(req.number)}`);
    },
    cancel: () => go("#/office/requisitions"),
  }));
  panel.querySelector("[name=warehouse]").focus();
}

async function requisition(here, panel, number) {
  const req = await load(here, panel, sync.api(`/api/v1/requisitions/${enc(number)}`));
  if (!req) return;
  const extra = h("div", { id: "req-order" });
  put(panel,
    back("requisitions"),
    heading(`${req.number}${req.supplier ? ` · ${req.supplier}` : ""}`),
    facts([[t("status"), known("state", req.status), { "data-field": "status" }], [t("source"), known("source", req.source)],
      [t("warehouse"), req.warehouse], [t("supplier"), req.supplier ? link("partners", req.supplier) : null], [t("needed by"), req.needed_by],
      [t("po"), req.po ? link("purchase-orders", req.po) : null, { "data-field": "po" }], [t("note"), req.note],
      [t("requested by"), req.requested_by, { "data-field": "requested-by" }], [t("created"), when(req.created_at)]]),
    h("h4", {}, t("lines")),
    grid([num(t("line")), t("sku"), num(t("qty"))], req.lines.map((l) => row({ "data-sku": l.sku }, [num(String(l.line)), link("items", l.sku), num(l.qty)])),
      { id: "req-lines" }),
    approvalTrail(req, "req-approvals"),
    documentActions(req, {
      path: `/api/v1/requisitions/${enc(number)}`,
      ask: { cancel: "reason", reject: "comment" },
      run: { order: () => {
        put(extra, recordForm({
          id: "order-form",
          title: t("make po"),
          label: t("make po"),
          fields: [{ name: "supplier", label: t("supplier"), value: req.supplier || "", required: true }],
          submit: (values) => sending(sync.api(`/api/v1/requisitions/${enc(number)}/order`, { method: "POST",
            body: { version: req.version, supplier: values.supplier || "" } })),
          saved: (po) => {
            say("ok", `${po.number} · ${t("saved")}`);
            go(`#/office/purchase-orders/${enc(po.number)}`);
          },
          cancel: () => put(extra),
        }));
        withSupplierScores(extra.querySelector("form"), req.lines.map((l) => l.sku));
        extra.querySelector("[name=supplier]").focus();
      } },
      done: async () => {
        await requisition(here, panel, number);
        focusTitle(panel);
      },
    }),
    extra,
    may("purchase.request") && ["pending", "open"].includes(req.status) ? requisitionEdit(here, panel, req) : null,
    history("requisition", req.number));
}

/** Change a requisition: its lines too while it waits for approval (which then starts again), else what ordering it needs. */
function requisitionEdit(here, panel, req) {
  const pending = req.status === "pending";
  const editor = pending ? lineEditor({ id: "requisition-edit-lines", rows: req.lines.map((l) => ({ sku: l.sku, qty: l.qty })), columns: [
    { name: "sku", label: t("sku") }, { name: "qty", label: t("qty"), inputmode: "decimal" }] }) : null;
  let sent = [];
  return h("details", { "data-field": "edit" }, h("summary", {}, t("edit")),
    pending ? restartsApproval() : null,
    recordForm({
      id: "requisition-edit",
      fields: [
        { name: "supplier", label: t("optional supplier"), value: req.supplier || "" },
        { name: "needed_by", label: t("needed by"), type: "date", value: req.needed_by || "" },
        { name: "note", label: t("note"), type: "textarea", value: req.note },
        ...(editor ? [editor.element] : []),
      ],
      submit: (values) => {
        const body = { version: req.version, note: values.note || "" };
        for (const key of ["supplier", "needed_by"]) if (values[key]) body[key] = values[key];
        if (editor) {
          const { lines, rows } = editor.read();
          sent = rows;
          body.lines = lines;
        }
        return sending(sync.api(`/api/v1/requisitions/${enc(req.number)}`, { method: "PATCH", body }), sent);
      },
      saved: async (saved) => {
        say("ok", `${saved.number} · ${t("saved")}`);
        if (showing(here)) await requisition(here, panel, req.number);
      },
    }));
}

// Purchase orders --------------------------------------------------------------------------------

async function purchaseOrders(here, panel, number) {
  if (number === "new") return poForm(here, panel);
  if (number) return purchaseOrder(here, panel, number);
  put(panel,
    toolbar(may("purchase.write") ? h("button", { type: "button", "data-action": "new-po", onclick: () => go("#/office/purchase-orders/new") }, t("new po")) : null),
    pagedList(here, {
      key: "purchase-orders",
      filters: [{ name: "status", label: t("status"), options: stateOptions(PO_STATES) },
        { name: "supplier", label: t("supplier"), placeholder: t("code") }, { name: "warehouse", label: t("warehouse"), placeholder: t("code") },
        ...(may("purchase.approve") ? [{ name: "awaiting_me", label: t("awaiting me"), options: [["", t("all")], ["true", t("awaiting me")]] }] : [])],
      columns: [by("number", t("number")), by("status", t("status")), by("supplier", t("supplier")), by("warehouse", t("warehouse")),
        by("expected_date", t("expected")), by("total", num(t("total")), may("prices.read")), by("currency", t("currency")), by("created_at", t("created"))],
      fetchPage: (params) => sync.api("/api/v1/purchase-orders", { params }),
      draw: (po) => row({ "data-po": po.number }, [link("purchase-orders", po.number), known("state", po.status), po.supplier, po.warehouse,
        po.expected_date || "", amount(po.total), po.currency, when(po.created_at)]),
    }));
}

// Quantity and price count in the unit chosen (empty: the item's own); the discount is the line's own, in per cent.
const PO_LINE_COLUMNS = () => [
  { name: "sku", label: t("sku") }, { name: "qty", label: t("qty"), inputmode: "decimal", size: 8 }, { name: "unit", label: t("unit"), units: true },
  { name: "unit_price", label: t("unit price"), inputmode: "decimal", hint: t("price hint"), size: 14 },
  { name: "discount", label: t("discount"), inputmode: "decimal", size: 6 },
  { name: "vat_rate", label: t("vat rate"), inputmode: "decimal", hint: t("vat hint"), size: 8 },
];
const orderDiscountField = (value = "") => ({ name: "discount", label: t("order discount"), inputmode: "decimal", hint: t("discount hint"), size: 6, value });

async function poForm(here, panel) {
  const currencies = await load(here, panel, sync.api("/api/v1/currencies"));
  if (!currencies) return;
  const editor = lineEditor({ id: "po-form-lines", columns: PO_LINE_COLUMNS() });
  const form = recordForm({
    id: "po-form",
    title: t("new po"),
    label: t("create"),
    fields: [
      { name: "supplier", label: t("supplier"), required: true },
      { name: "warehouse", label: t("warehouse"), required: true },
      { name: "expected_date", label: t("expected date"), type: "date" },
      { name: "currency", label: t("currency"), value: "", hint: t("currency hint"),
        options: [["", t("supplier currency")], ...currencies.map((c) => [c.code, `${c.code} · ${named(c)}`])] },
      orderDiscountField(),
      { name: "note", label: t("note"), type: "textarea" },
      editor.element,
    ],
    submit: (values) => {
      const { lines, rows } = editor.read();
      const body = { supplier: values.supplier || "", warehouse: values.warehouse || "", lines };
      for (const key of ["expected_date", "currency", "discount", "note"]) if (values[key]) body[key] = values[key];
      return sending(sync.api("/api/v1/purchase-orders", { method: "POST", body }), rows);
    },
    saved: (po) => {
      say("ok", `${po.number} · ${t("saved")}`);
      go(`#/office/purchase-orders/${enc(po.number)}`);
    },
    cancel: () => go("#/office/purchase-orders"),
  });
  // The currency follows the supplier typed, until the purchaser picks one: then it is theirs. Left at "the supplier's
  // currency", the server takes the supplier's.
  const { supplier, currency } = form.elements;
  let picked = false;
  currency.addEventListener("change", () => { picked = currency.value !== ""; });
  supplier.addEventListener("change", async () => {
    const code = supplier.value.trim();
    if (!code || picked) return;
    const partner = await sync.api(`/api/v1/partners/${enc(code)}`).catch(() => null);
    if (!partner || picked || supplier.value.trim() !== code || !showing(here)) return;
    if ([...currency.options].some((o) => o.value === partner.currency)) currency.value = partner.currency;
  });
  put(panel, back("purchase-orders"), form);
  supplier.focus();
}

/** Change an order where its state lets it change: only what was changed is sent, so a frozen field is refused only
 *  when the person really changed it (the server says which, at the field). */
function poEditForm(po, saved, cancel) {
  const key = (l) => [l.sku, l.qty, l.unit ?? "", l.unit_price ?? "", l.discount ?? "", l.vat_rate ?? ""].join("|");
  // Each line as it was ordered: counted in its unit (none when it is the item's own), its discount when it has one.
  const rows = po.lines.map((l) => ({ sku: l.sku, qty: l.unit_qty, unit: l.unit === l.base_unit ? "" : l.unit, unit_factor: l.unit_factor,
    base_unit: l.base_unit, unit_price: l.unit_price ?? "", discount: discounted(l.discount) ? l.discount : "", vat_rate: l.vat_rate }));
  const editor = lineEditor({ id: "po-edit-lines", columns: PO_LINE_COLUMNS(), rows });
  const hasPrices = po.discount !== null && po.discount !== undefined;
  return recordForm({
    id: "po-edit",
    title: t("edit po"),
    fields: [
      { name: "expected_date", label: t("expected date"), type: "date", value: po.expected_date || "" },
      hasPrices ? orderDiscountField(discounted(po.discount) ? po.discount : "") : null,
      { name: "note", label: t("note"), type: "textarea", value: po.note },
      editor.element,
    ].filter(Boolean),
    submit: (values) => {
      const { lines, rows: sent } = editor.read();
      const body = { version: po.version };
      if (lines.map(key).join("\n") !== rows.map(key).join("\n")) body.lines = lines;
      if (hasPrices && Number(values.discount || 0) !== Number(po.discount)) body.discount = values.discount || "0";
      if ((values.expected_date || "") !== (po.expected_date || "") && values.expected_date) body.expected_date = values.expected_date;
      if ((values.note || "") !== po.note) body.note = values.note || "";
      return sending(sync.api(`/api/v1/purchase-orders/${enc(po.number)}`, { method: "PATCH", body }), sent);
    },
    saved,
    cancel,
  });
}

/** The changes of one version, as the server words them in the language showing. */
function changeList(changes) {
  const read = changes.map((c) => [c, said(c.said_zh, c.said_en)]).filter(([, text]) => text);
  return read.length ? h("ul", { class: "changes" }, read.map(([c, text]) => h("li", { "data-change": c.field, "data-line": c.line ?? "" }, text)))
    : h("p", { class: "muted" }, t("no changes"));
}

async function purchaseOrder(here, panel, number) {
  const path = `/api/v1/purchase-orders/${enc(number)}`;
  const [po, receipts, bills, returned] = await Promise.all([
    load(here, panel, sync.api(path)),
    sync.api("/api/v1/receipts", { params: { po: number, limit: 100 } }).catch(() => null),
    may("prices.read") ? sync.api("/api/v1/bills", { params: { po: number, limit: 100 } }).catch(() => null) : null,
    sync.api("/api/v1/purchase-returns", { params: { po: number, limit: 100 } }).catch(() => null),
  ]);
  if (!po || !showing(here)) return;
  const again = async () => {
    await purchaseOrder(here, panel, number);
    focusTitle(panel);
  };
  const changes = h("div", { id: "po-changes" });
  const editing = h("div", { id: "po-editing" });
  const showVersion = async (version) => {
    for (const button of panel.querySelectorAll("[data-version]")) button.setAttribute("aria-pressed", String(button.dataset.version === String(version)));
    const answer = await load(here, changes, sync.api(`${path}/versions/${version}`));
    if (!answer) return;
    put(changes, h("h5", {}, `v${version} · ${t("changes in")}`),
      version === 1 ? h("p", { class: "muted" }, t("first version")) : changeList(answer.changes_since_previous));
  };
  const billable = may("purchase.bill") && po.lines.some((l) => l.to_bill !== "0");
  const packed = inPacks(po.lines);
  const lineDiscounts = po.lines.some((l) => discounted(l.discount));
  const returnable = may("purchase.write") && po.lines.some((l) => l.may_return_rejected !== "0" || l.may_return_accepted !== "0");
  put(panel,
    back("purchase-orders"),
    heading(`${po.number} · ${po.supplier}`),
    facts([[t("status"), known("state", po.status), { "data-field": "status" }], [t("supplier"), link("partners", po.supplier)],
      [t("warehouse"), po.warehouse], [t("currency"), po.currency, { "data-field": "currency" }], ...inYuan(po),
      discounted(po.discount) ? [t("order discount"), po.discount, { "data-field": "discount" }] : null,
      [t("expected"), po.expected_date, { "data-field": "expected_date" }],
      // The date the order went out with: on-time delivery is judged by it, so it shows when the expected date has moved.
      po.promised_date && po.promised_date !== po.expected_date ? [t("promised"), po.promised_date, { "data-field": "promised_date" }] : null,
      [t("note"), po.note, { "data-field": "note" }],
      [t("version"), po.version, { "data-field": "version" }], [t("approval roles"), po.approval_roles.map((r) => known("role", r)).join(" → ")],
      [t("created by"), po.created_by], [t("created"), when(po.created_at)]]),
    documentActions(po, {
      path,
      ask: { reject: "comment", cancel: "reason", close: "reason" },
      run: { edit: () => {
        put(editing, poEditForm(po, async (saved) => {
          say("ok", `${saved.number} v${saved.version} · ${t("saved")}`);
          await again();
        }, () => put(editing)));
        editing.querySelector("input, textarea")?.focus();
      } },
      done: again,
    }),
    printLink(`${path}/pdf`, t("print po")),
    emailPanel("purchase_order", po.number, { status: po.status }),
    editing,
    h("h4", {}, t("lines")),
    // Received, accepted, returned and billed count in the item's own unit, as the warehouse counts them.
    grid([num(t("line")), t("sku"), t("name"), num(t("qty")), num(t("price")), ...(lineDiscounts ? [num(t("discount"))] : []), num(t("vat")), num(t("net")),
      num(t("received")), num(t("accepted")), num(t("returned")), num(t("billed"))],
    po.lines.map((l) => row({ "data-sku": l.sku, "data-line": l.line, "data-unit": l.unit }, [num(String(l.line)), link("items", l.sku), named(l),
      qtyCell(l, packed), amount(l.unit_price), ...(lineDiscounts ? [num(l.discount)] : []), num(l.vat_rate), amount(l.net), num(l.received),
      num(l.accepted), num(l.returned), num(l.billed)])), { id: "po-lines" }),
    totals(po),
    po.approvals.length ? [h("h4", {}, t("approvals")), grid([t("role"), t("decision"), t("comment"), t("version"), t("at")],
      po.approvals.map((a) => row({ class: a.void ? "void" : null, "data-approval": a.level }, [`${a.level} · ${known("role", a.role)} · ${a.user}`,
        known("decision", a.decision), a.comment, `v${a.version}`, when(a.at)])), { id: "po-approvals" })] : null,
    receipts?.items.length ? [h("h4", {}, t("receipts")), grid([t("number"), t("status"), t("dock"), t("lines"), t("created")],
      receipts.items.map((r) => row({ "data-receipt": r.number }, [link("receipts", r.number), known("state", r.status), r.dock,
        { text: linesText(r.lines), wrap: true }, when(r.created_at)])), { id: "po-receipts" })] : null,
    bills?.items.length ? [h("h4", {}, t("bills")), grid([t("number"), t("kind"), t("status"), t("supplier ref"), num(t("total"))],
      bills.items.map((b) => row({ "data-bill": b.number }, [link("bills", b.number), known("kind", b.kind), known("state", b.status), b.supplier_ref,
        amount(b.total)])), { id: "po-bills" })] : null,
    returned?.items.length ? [h("h4", {}, t("returns of po")), grid([t("number"), t("status"), t("return ref"), t("lines"), t("debit note")],
      returned.items.map((r) => row({ "data-return": r.number }, [link("purchase-returns", r.number), known("state", r.status), r.supplier_ref,
        { text: linesText(r.lines), wrap: true }, r.debit_note && may("prices.read") ? link("bills", r.debit_note) : r.debit_note || ""])),
      { id: "po-returns" })] : null,
    h("p", { class: "actions" },
      billable ? h("button", { type: "button", "data-action": "enter-bill", onclick: () => go(`#/office/bills/new/${enc(po.number)}`) }, t("enter bill")) : null,
      returnable ? h("button", { type: "button", "data-action": "return-to-supplier", onclick: () => go(`#/office/purchase-returns/new/${enc(po.number)}`) },
        t("return to supplier")) : null),
    h("h4", {}, t("versions")),
    h("p", { class: "versions" }, Array.from({ length: po.version }, (_, i) => i + 1).map((v) =>
      h("button", { type: "button", "data-version": v, "aria-pressed": "false", onclick: () => showVersion(v) }, `v${v}`))),
    changes,
    history("po", po.number));
  if (po.version > 1) await showVersion(po.version);  // what changed last is what a person opening the order asks first
}

// Receipts ---------------------------------------------------------------------------------------

async function receipts(here, panel, number) {
  if (number) return receipt(here, panel, number);
  put(panel, pagedList(here, {
    key: "receipts",
    filters: [{ name: "status", label: t("status"), options: stateOptions(RECEIPT_STATES) },
      { name: "po", label: t("po"), placeholder: "PO-…" }, { name: "warehouse", label: t("warehouse"), placeholder: t("code") }],
    columns: [by("number", t("number")), by("status", t("status")), by("po", t("po")), by("warehouse", t("warehouse")), by("dock", t("dock")), t("lines"),
      by("created_at", t("created"))],
    fetchPage: (params) => sync.api("/api/v1/receipts", { params }),
    draw: (r) => row({ "data-receipt": r.number }, [link("receipts", r.number), known("state", r.status), link("purchase-orders", r.po), r.warehouse, r.dock,
      { text: linesText(r.lines), wrap: true }, when(r.created_at)]),
  }));
}

async function receipt(here, panel, number) {
  const r = await load(here, panel, sync.api(`/api/v1/receipts/${enc(number)}`));
  if (!r) return;
  const path = `/api/v1/receipts/${enc(r.number)}`;
  const again = async () => {
    await receipt(here, panel, number);
    focusTitle(panel);
  };
  // Inspection at the desk: each line awaiting it gets what was accepted and rejected (a reason with any reject;
  // rejected goods go to the warehouse's quarantine), and accepted goods a put-away task.
  const pending = r.actions.includes("inspect") ? r.lines.filter((l) => l.qc_status === "pending") : [];
  const inspection = pending.length ? [h("h4", {}, t("inspect lines")), ...pending.map((l) => recordForm({
    id: `inspect-${l.line}`,
    title: `${t("line")} ${l.line} · ${l.sku}${l.lot ? ` · ${l.lot}` : ""} · ${t("received")} ${l.qty}`,
    label: t("record inspection"),
    fields: [
      { name: "accepted", label: t("accepted"), inputmode: "decimal", value: l.qty, required: true, size: 8 },
      { name: "rejected", label: t("rejected"), inputmode: "decimal", value: "0", size: 8 },
      { name: "note", label: t("qc note"), maxlength: 500, hint: t("reject needs reason") },
    ],
    submit: (values) => sync.api(`${path}/lines/${l.line}/inspect`, { method: "POST", body: {
      accepted: values.accepted || "0", rejected: values.rejected || "0", note: values.note || "" } }),
    saved: async () => {
      say("ok", `${t("line")} ${l.line} · ${t("saved")}`);
      await again();
    },
  }))] : null;
  put(panel,
    back("receipts"),
    heading(`${r.number} · ${r.po}`),
    facts([[t("status"), known("state", r.status), { "data-field": "status" }], [t("po"), link("purchase-orders", r.po)], [t("warehouse"), r.warehouse],
      [t("dock"), r.dock], [t("note"), r.note], [t("created"), when(r.created_at)]]),
    documentActions(r, { path, done: again, skip: ["inspect"] }),
    printLink(`${path}/pdf`, t("print grn")),
    h("h4", {}, t("lines")),
    grid([num(t("line")), num(t("po line")), t("sku"), t("lot"), t("expiry"), t("serials"), num(t("received")), num(t("accepted")), num(t("rejected")),
      t("inspection"), t("qc note")],
    r.lines.map((l) => row({ "data-line": l.line, "data-sku": l.sku }, [num(String(l.line)), num(String(l.po_line)), link("items", l.sku), l.lot || "",
      l.expiry || "", { text: l.serials.join(", "), wrap: true }, num(l.qty), num(l.accepted), num(l.rejected), known("qc", l.qc_status),
      { text: l.qc_note, wrap: true }])), { id: "receipt-lines" }),
    inspection,
    r.putaway.length ? [h("h4", {}, t("putaway")), grid([t("sku"), t("lot"), num(t("qty")), t("from"), t("suggested"), t("put to"), t("status")],
      r.putaway.map((p) => row({ "data-task": p.id, "data-sku": p.sku }, [p.sku, p.lot || "", num(p.qty), p.from, p.suggested || "", p.to || "",
        known("task", p.status)])), { id: "receipt-putaway" })] : null,
    history("receipt", r.number));
}

// Supplier bills ---------------------------------------------------------------------------------

async function bills(here, panel, number, po) {
  if (number === "new") return billForm(here, panel, po);
  if (number) return bill(here, panel, number);
  const start = may("purchase.bill") ? h("form", { class: "filters", id: "bill-start", "aria-label": t("enter bill for"), onsubmit: (event) => {
    event.preventDefault();
    const code = new FormData(event.currentTarget).get("po").trim();
    if (code) go(`#/office/bills/new/${enc(code)}`);
  } }, formField({ name: "po", label: t("po number"), placeholder: "PO-…", required: true }),
  h("button", { type: "submit", "data-action": "enter-bill" }, t("enter bill"))) : null;
  put(panel, start, pagedList(here, {
    key: "bills",
    filters: [{ name: "status", label: t("status"), options: stateOptions(BILL_STATES) },
      { name: "kind", label: t("kind"), options: [["", t("all")], ["bill", t("kind bill")], ["debit_note", t("kind debit_note")], ["opening", t("kind opening")]] },
      { name: "supplier", label: t("supplier"), placeholder: t("code") }, { name: "po", label: t("po"), placeholder: "PO-…" }],
    columns: [by("number", t("number")), by("kind", t("kind")), by("status", t("status")), by("supplier", t("supplier")), by("po", t("po")),
      by("supplier_ref", t("supplier ref")), by("bill_date", t("bill date")), by("due_date", t("due date")), by("total", num(t("total"))),
      by("open", num(t("open"))), t("currency")],
    fetchPage: (params) => sync.api("/api/v1/bills", { params }),
    draw: (b) => row({ "data-bill": b.number }, [link("bills", b.number), known("kind", b.kind), known("state", b.status), b.supplier,
      link("purchase-orders", b.po), b.supplier_ref, b.bill_date, b.due_date, amount(b.total), amount(b.open), b.currency]),
  }));
}

// A bill line's quantity and price count in its order line's unit (cartons, when the order counts in them), or in the
// item's own unit when what is left to bill is not a whole number of them (5 pens of a carton line): that unit is sent.
const BILL_LINE_COLUMNS = () => [
  { name: "qty", label: t("qty"), inputmode: "decimal", size: 8 },
  { name: "unit", label: t("unit"), shown: (values) => [values.unit_text,
    values.unit ? h("input", { type: "hidden", "data-name": "unit", "data-label": t("unit"), value: values.unit }) : null] },
  { name: "unit_price", label: t("unit price"), inputmode: "decimal", size: 14 }, { name: "vat_rate", label: t("vat rate"), inputmode: "decimal", size: 6 },
];

/** A bill entered from its purchase order: a line for each order line with something received and not billed, counted in
 *  the order line's unit at the order's price net of its discounts; the clerk types what the supplier's bill says. */
async function billForm(here, panel, number) {
  const po = number && await load(here, panel, sync.api(`/api/v1/purchase-orders/${enc(number)}`));
  if (!po) return;
  const open = po.lines.filter((l) => l.to_bill !== "0");
  const orderLine = (values) => {
    const l = po.lines.find((x) => String(x.line) === String(values.fixed));
    return l ? `${l.line} · ${l.sku} · ${named(l)}` : values.fixed;
  };
  const editor = lineEditor({ id: "bill-form-lines", columns: BILL_LINE_COLUMNS(), addable: false, fixed: orderLine,
    rows: open.map((l) => {
      const price = l.net_price ?? "";  // the order's price per its unit, net of its discounts
      const counted = Number(l.to_bill) / Number(l.unit_factor || 1);
      if (Math.abs(counted * 10000 - Math.round(counted * 10000)) < 1e-6) {
        return { fixed: l.line, qty: inUnit(l.to_bill, l.unit_factor), unit_text: unitText(l.unit, l.unit_factor, l.base_unit), unit_price: price,
          vat_rate: l.vat_rate };
      }
      return { fixed: l.line, qty: l.to_bill, unit: l.base_unit, unit_text: l.base_unit, vat_rate: l.vat_rate,
        unit_price: price === "" ? "" : figure(Number(price) / Number(l.unit_factor || 1)) };
    }) });
  put(panel, back("bills"), open.length ? recordForm({
    id: "bill-form",
    title: `${t("enter bill")} · ${po.number} · ${po.supplier} · ${po.currency}`,
    label: t("create"),
    fields: [
      { name: "supplier_ref", label: t("supplier ref") },
      { name: "bill_date", label: t("bill date"), type: "date" },
      { name: "due_date", label: t("due date"), type: "date" },
      po.currency !== YUAN ? { name: "exchange_rate", label: `${t("bill rate")} · ${po.currency}`, inputmode: "decimal", hint: t("bill rate hint"), size: 12 }
        : null,
      { name: "note", label: t("note"), type: "textarea" },
      editor.element,
    ].filter(Boolean),
    submit: (values) => {
      const { lines, rows } = editor.read();
      const body = { po: po.number, lines };
      for (const key of ["supplier_ref", "bill_date", "due_date", "exchange_rate", "note"]) if (values[key]) body[key] = values[key];
      return sending(sync.api("/api/v1/bills", { method: "POST", body }), rows);
    },
    saved: (b) => {
      say("ok", `${b.number} · ${t("saved")}`);
      go(`#/office/bills/${enc(b.number)}`);
    },
    cancel: () => go(`#/office/purchase-orders/${enc(po.number)}`),
  }) : [heading(`${t("enter bill")} · ${po.number}`), h("p", { class: "muted", "data-field": "nothing-billable" }, t("nothing billable"))]);
  panel.querySelector("[name=supplier_ref]")?.focus();
}

function billEditForm(b, saved, cancel) {
  const editor = lineEditor({ id: "bill-edit-lines", columns: BILL_LINE_COLUMNS(), addable: false, fixed: (values) => `${values.fixed} · ${values.sku}`,
    rows: b.lines.map((l) => ({ fixed: l.po_line, sku: l.sku, qty: l.unit_qty, unit: l.unit, unit_text: l.unit, unit_price: l.unit_price ?? "", vat_rate: l.vat_rate })) });
  return recordForm({
    id: "bill-edit",
    title: t("edit bill"),
    fields: [
      { name: "supplier_ref", label: t("supplier ref"), value: b.supplier_ref },
      { name: "due_date", label: t("due date"), type: "date", value: b.due_date },
      { name: "note", label: t("note"), type: "textarea", value: b.note },
      editor.element,
    ],
    submit: (values) => {
      const { lines, rows } = editor.read();
      const body = { version: b.version, lines, supplier_ref: values.supplier_ref || "", note: values.note || "" };
      if (values.due_date) body.due_date = values.due_date;
      return sending(sync.api(`/api/v1/bills/${enc(b.number)}`, { method: "PATCH", body }), rows);
    },
    saved,
    cancel,
  });
}

async function bill(here, panel, number) {
  const path = `/api/v1/bills/${enc(number)}`;
  const b = await load(here, panel, sync.api(path));
  if (!b) return;
  const again = async () => {
    await bill(here, panel, number);
    focusTitle(panel);
  };
  const editing = h("div", { id: "bill-editing" });
  const correct = () => {
    put(editing, billEditForm(b, async (saved) => {
      say("ok", `${saved.number} · ${t("saved")}`);
      await again();
    }, () => put(editing)));
    editing.querySelector("[name^=line-]")?.focus();  // the lines are what a blocked bill needs corrected
  };
  // Posting a bill that does not match blocks it (the server keeps why): the page then shows the reasons.
  const post = async () => {
    try {
      await sync.api(`${path}/post`, { method: "POST", body: { version: b.version } });
      say("ok", `${t("action post")} · ${t("done")}`);
    } catch (error) {
      fail(error);
      if (error.body?.error !== "bill_mismatch") return;
    }
    if (showing(here)) await again();
  };
  const packedBill = inPacks(b.lines);
  const issuesOf = (line) => b.match_issues.filter((i) => i.line === line.line).map((i) => said(i.message_zh, i.message_en)).join(" ");
  put(panel,
    back("bills"),
    heading(`${b.number} · ${b.supplier}`),
    facts([[t("status"), known("state", b.status), { "data-field": "status" }], [t("kind"), known("kind", b.kind), { "data-field": "kind" }],
      b.credits ? [t("credits"), link("bills", b.credits), { "data-field": "credits" }] : null, [t("supplier"), link("partners", b.supplier)],
      [t("po"), link("purchase-orders", b.po)], [t("currency"), b.currency, { "data-field": "currency" }], ...inYuan(b),
      [t("supplier ref"), b.supplier_ref], [t("bill date"), b.bill_date], [t("due date"), b.due_date],
      [t("paid"), amount(b.paid).text], b.credited && b.credited !== "0" ? [t("credited"), amount(b.credited).text, { "data-field": "credited" }] : null,
      [t("open"), amount(b.open).text, { "data-field": "open" }], [t("note"), b.note], [t("version"), b.version]].filter(Boolean)),
    b.match_issues.length ? h("section", { class: "form-error", id: "bill-issues", "aria-labelledby": "bill-issues-title" },
      h("h4", { id: "bill-issues-title" }, t("why blocked")),
      h("ul", {}, b.match_issues.map((i) => h("li", { "data-issue": i.kind, "data-line": i.line }, said(i.message_zh, i.message_en)))),
      h("p", { "data-field": "what-to-do" }, t("what to do")),
      b.actions.includes("edit") ? h("p", {}, h("button", { type: "button", class: "primary", "data-action": "correct", onclick: correct }, t("correct lines"))) : null)
      : null,
    documentActions(b, { path, run: { edit: correct, post }, done: again, skip: ["record-payment", ...(b.match_issues.length ? ["edit"] : [])] }),
    editing,
    h("h4", {}, t("lines")),
    grid([num(t("line")), num(t("po line")), t("sku"), num(t("qty")), num(t("price")), num(t("vat")), num(t("net")), num(t("tax")), t("problem")],
      b.lines.map((l) => row({ "data-line": l.line, "data-sku": l.sku, "data-unit": l.unit, class: issuesOf(l) ? "pending" : null }, [num(String(l.line)),
        num(String(l.po_line)), link("items", l.sku), qtyCell(l, packedBill), amount(l.unit_price), num(l.vat_rate), amount(l.net), amount(l.tax),
        { text: issuesOf(l), wrap: true }])),
      { id: "bill-lines" }),
    totals(b),
    b.actions.includes("record-payment") ? h("p", {}, h("a", { href: "#/office/payments", "data-action": "record-payment" }, t("record payment"))) : null,
    // A debit note with something left (its goods went back after their bill was paid) settles the supplier's next bill.
    b.kind === "debit_note" && Number(b.open) > 0 && may("payments.write") ? recordForm({
      id: "apply-note", title: t("apply note"), label: t("apply"),
      fields: [{ name: "bill", label: t("bill number"), required: true, placeholder: "BILL-…", hint: t("apply note hint") },
        { name: "amount", label: t("amount optional"), inputmode: "decimal", size: 10 }],
      submit: (values) => sync.api(`${path}/apply`, { method: "POST", body: { bill: values.bill, ...(values.amount ? { amount: values.amount } : {}) } }),
      saved: async () => {
        say("ok", `${b.number} · ${t("saved")}`);
        await again();
      },
    }) : null,
    history("bill", b.number));
}

// Purchase returns ---------------------------------------------------------------------------------

async function purchaseReturns(here, panel, number, po) {
  if (number === "new") return newPurchaseReturn(here, panel, po);
  if (number) return purchaseReturn(here, panel, number);
  put(panel,
    may("purchase.write") ? h("p", { class: "actions" }, h("a", { href: "#/office/purchase-returns/new", class: "button", "data-action": "new" },
      t("new purchase return"))) : null,
    pagedList(here, {
      key: "purchase-returns",
      filters: [{ name: "status", label: t("status"), options: stateOptions(RETURN_STATES) }, { name: "supplier", label: t("supplier"), placeholder: t("code") },
        { name: "po", label: t("po"), placeholder: "PO-…" }],
      columns: [by("number", t("number")), by("status", t("status")), by("po", t("po")), by("supplier", t("supplier")), by("warehouse", t("warehouse")),
        by("supplier_ref", t("return ref")), t("lines"), t("debit note"), by("created_at", t("created"))],
      fetchPage: (params) => sync.api("/api/v1/purchase-returns", { params }),
      draw: (r) => row({ "data-return": r.number }, [link("purchase-returns", r.number), known("state", r.status), link("purchase-orders", r.po), r.supplier,
        r.warehouse, r.supplier_ref, { text: linesText(r.lines), wrap: true }, r.debit_note || "", when(r.created_at)]),
    }));
}

/** What of an order may go back, where it is now: a row for each place (and lot) holding the item in the order's warehouse,
 *  goods in quarantine from what inspection rejected, the rest from what it accepted. */
async function returnCandidates(here, into, po) {
  const lines = po.lines.filter((l) => l.may_return_rejected !== "0" || l.may_return_accepted !== "0");
  const [stock, items] = await Promise.all([
    Promise.all(lines.map((l) => sync.api("/api/v1/stock/balances", { params: { sku: l.sku, warehouse: po.warehouse, limit: 500 } })
      .catch(() => ({ items: [] })))),
    Promise.all(lines.map((l) => sync.api(`/api/v1/items/${enc(l.sku)}`).catch(() => null))),
  ]);
  if (!showing(here)) return [];
  return lines.flatMap((l, i) => stock[i].items.filter((b) => Number(b.qty) > 0)
    .map((b) => ({ line: l, place: b, may: b.quarantine ? l.may_return_rejected : l.may_return_accepted, serial: items[i]?.tracking === "serial" }))
    .filter((c) => c.may !== "0"));
}

async function newPurchaseReturn(here, panel, number) {
  const choice = h("div", { id: "purchase-return-choice" });
  let shown = null;  // the order whose lines are showing
  let candidates = [];
  const showLines = async () => {
    const code = form.querySelector("[name=po]").value.trim();
    if (!code || code === shown?.number) return;
    put(choice, h("p", { class: "muted" }, t("loading")));
    const po = await load(here, choice, sync.api(`/api/v1/purchase-orders/${enc(code)}`));
    if (!po) return;
    shown = po;
    candidates = await returnCandidates(here, choice, po);
    const serials = candidates.some((c) => c.serial);
    put(choice, candidates.length ? grid([num(t("po line")), t("sku"), t("name"), t("pool"), t("where now"), t("lot"), num(t("on hand")), num(t("may return")),
      t("qty to return"), ...(serials ? [t("serials")] : []), t("reason")],
    candidates.map((c, i) => row({ "data-line": c.line.line, "data-sku": c.line.sku, "data-location": c.place.location }, [num(String(c.line.line)), c.line.sku,
      named(c.line), t(c.place.quarantine ? "from quarantine" : "from stock"), c.place.location, c.place.lot || "", num(c.place.qty), num(c.may),
      h("input", { name: `qty-${i}`, inputmode: "decimal", size: 6, autocomplete: "off",
        "aria-label": `${t("qty to return")} ${c.line.sku} ${c.place.location}${c.place.lot ? ` ${c.place.lot}` : ""}` }),
      // A serial-numbered item goes back by its serials: the quantity is how many are named.
      ...(serials ? [c.serial ? h("input", { name: `serials-${i}`, size: 18, autocomplete: "off", placeholder: t("serials hint"),
        "aria-label": `${t("serials")} ${c.line.sku} ${c.place.location}` }) : ""] : []),
      h("input", { name: `reason-${i}`, maxlength: 200, autocomplete: "off", "aria-label": `${t("reason")} ${c.line.sku} ${c.place.location}` })])),
    { id: "purchase-return-candidates" }) : h("p", { class: "muted" }, t("nothing to return")));
  };
  const form = recordForm({
    id: "purchase-return-form", title: t("new purchase return"), label: t("create purchase return"),
    fields: [formField({ name: "po", label: t("po number"), required: true, value: number ?? "", autocomplete: "off", placeholder: "PO-…" }),
      h("p", {}, h("button", { type: "button", "data-action": "show-lines", onclick: () => showLines() }, t("show lines"))),
      formField({ name: "supplier_ref", label: t("return ref"), maxlength: 64 }),
      formField({ name: "note", label: t("note"), type: "textarea" })],
    submit: async (values) => {
      await showLines();
      const field = (name, i) => choice.querySelector(`[name=${name}-${i}]`)?.value.trim() || "";
      const lines = candidates.map((c, i) => {
        const serials = field("serials", i).split(/[\s,，;；]+/).filter(Boolean);
        return { c, serials, qty: field("qty", i) || (serials.length ? String(serials.length) : ""), reason: field("reason", i) };
      }).filter((x) => x.qty).map(({ c, qty, serials, reason }) => ({ line: c.line.line, qty, location: c.place.location,
        ...(c.place.lot ? { lot: c.place.lot } : {}), ...(serials.length ? { serials } : {}), ...(reason ? { reason } : {}) }));
      return sync.api("/api/v1/purchase-returns", { method: "POST", body: { po: values.po ?? "", lines, supplier_ref: values.supplier_ref || "",
        ...(values.note ? { note: values.note } : {}) } });
    },
    saved: (rma) => {
      say("ok", `${rma.number} · ${t("saved")}`);
      go(`#/office/purchase-returns/${enc(rma.number)}`);
    },
  });
  form.querySelector("[name=po]").addEventListener("change", showLines);
  form.querySelector(".fields").after(choice);
  put(panel, back("purchase-returns"), form);
  if (number) {
    await showLines();
    choice.querySelector("input")?.focus();
  } else {
    form.querySelector("[name=po]").focus();
  }
}

async function purchaseReturn(here, panel, number) {
  const rma = await load(here, panel, sync.api(`/api/v1/purchase-returns/${enc(number)}`));
  if (!rma) return;
  const again = async () => {
    await purchaseReturn(here, panel, number);
    focusTitle(panel);
  };
  put(panel,
    back("purchase-returns"),
    heading(`${rma.number} · ${rma.supplier}`),
    facts([[t("status"), known("state", rma.status), { "data-field": "status" }], [t("po"), link("purchase-orders", rma.po)],
      [t("supplier"), link("partners", rma.supplier)], [t("warehouse"), rma.warehouse], [t("return ref"), rma.supplier_ref],
      [t("debit note"), rma.debit_note ? (may("prices.read") ? link("bills", rma.debit_note) : rma.debit_note) : null, { "data-field": "debit-note" }],
      rma.value !== null ? [t("return value"), `${money(rma.value)} ${YUAN}`, { "data-field": "value" }] : null,
      [t("note"), rma.note], [t("created by"), rma.created_by], [t("created"), when(rma.created_at)],
      rma.shipped_at ? [t("shipped"), when(rma.shipped_at), { "data-field": "shipped-at" }] : null, [t("version"), rma.version]].filter(Boolean)),
    documentActions(rma, { path: `/api/v1/purchase-returns/${enc(rma.number)}`, done: again }),
    h("h4", {}, t("lines")),
    grid([num(t("line")), num(t("po line")), t("sku"), t("name"), t("pool"), t("where now"), t("lot"), num(t("qty")), t("reason"), num(t("debited")),
      ...(rma.value !== null ? [num(t("return value"))] : [])],
    rma.lines.map((l) => row({ "data-line": l.line, "data-sku": l.sku }, [num(String(l.line)), num(String(l.po_line)), link("items", l.sku), named(l),
      t(l.rejected ? "from quarantine" : "from stock"), l.location, l.lot || "", num(l.qty), { text: l.reason, wrap: true }, num(l.debited),
      ...(rma.value !== null ? [amount(l.value)] : [])])), { id: "purchase-return-lines" }),
    history("purchase_return", rma.number));
}

/** The purchasing sections of the back office: each draws into `panel`; `may` says who sees it in the menu. */
export const sections = {
  requisitions: { draw: requisitions, group: "purchasing", may: () => may("purchase.request") || may("purchase.write"), label: () => t("requisitions") },
  "purchase-orders": { draw: purchaseOrders, group: "purchasing", label: () => t("purchase-orders") },
  receipts: { draw: receipts, group: "purchasing", label: () => t("receipts") },
  bills: { draw: bills, group: "purchasing", may: () => may("prices.read"), label: () => t("bills") },
  "purchase-returns": { draw: purchaseReturns, group: "purchasing", label: () => t("purchase-returns") },
};
