// Sales in the back office: quotes, sales orders (credit hold and release), pick waves, invoices and credit notes, returns.

import * as sync from "../sync.js";
import { said } from "../i18n.js";
import { h, go, say, showing, money, scroller } from "../ui.js";
import {
  amount, back, deskTexts, documentActions, enc, facts, fail, formField, grid, link, load, may, named, num, pagedList, put, recordForm, row,
  totals, when, history, by,
} from "../desk.js";
import { printLink } from "./print.js";
import { emailPanel } from "./email.js";
import { discounted, inPacks, offerUnits as offerUnitsOf, qtyCell, unitChoices, unitText } from "./units.js";
import { contractFacts, contractField, contractPriceHint, contractWarnings, watchContracts } from "./contracts.js";

const { t, known, stateOptions } = deskTexts({
  "online shop": ["电商店铺", "Online shop"],
  "shop order": ["电商订单号", "Shop order"],
  quotes: ["报价单", "Quotes"],
  waves: ["拣货波次", "Pick waves"],
  invoices: ["销售发票", "Invoices"],
  returns: ["退货单", "Returns"],
  "new quote": ["新建报价单", "New quote"],
  "create quote": ["创建报价单", "Create the quote"],
  "new sales order": ["新建销售订单", "New sales order"],
  "create sales order": ["创建销售订单", "Create the sales order"],
  "edit sales order": ["修改销售订单", "Change the sales order"],
  "new wave": ["新建拣货波次", "New pick wave"],
  "create wave": ["创建波次", "Create the wave"],
  "new return": ["新建退货单", "New return"],
  "create return": ["创建退货单", "Create the return"],
  "valid until": ["有效期至", "Valid until"],
  "sales order": ["销售订单", "Sales order"],
  quote: ["报价单", "Quote"],
  "add line": ["添加一行", "Add a line"],
  "remove line": ["删除第几行：", "Remove line"],
  "item rate": ["按商品税率", "Item's rate"],
  "from price list": ["按价目表", "From the price list"],
  "list price": ["价目表价格", "List price"],
  "no list price": ["价目表中没有此商品，请填写单价", "Not on the price list: type a price"],
  "choose": ["请选择", "Choose…"],
  "credit hold": ["超出信用额度，订单未确认", "Over the credit limit: the order is not confirmed"],
  "credit who": ["财务（或总监、管理员）可以放行：打开本订单，点击“信用放行”并填写原因；放行后由销售再点“确认”。",
    "Finance (or a director or an administrator) can release it: they open this order, choose “Release credit hold” and give a reason; then sales confirms it again."],
  "this order": ["本单", "This order"],
  "customer credit": ["客户信用", "Customer's credit"],
  "available before": ["本单之前的可用额度", "Available before this order"],
  "no orders to pick": ["该仓库没有待拣货的已确认订单", "This warehouse has no confirmed order waiting to be picked"],
  "orders to pick": ["已确认、尚未进入波次的订单", "Confirmed orders not yet in a wave"],
  "add to wave": ["加入波次：", "Add to the wave:"],
  orders: ["订单", "Orders"],
  tasks: ["拣货任务", "Pick tasks"],
  progress: ["进度", "Progress"],
  "tasks open": ["待拣", "To pick"],
  "tasks done": ["已拣足", "Picked in full"],
  "tasks short": ["少拣", "Picked short"],
  "tasks cancelled": ["已取消", "Cancelled"],
  seq: ["顺序", "Order"],
  "short reason": ["少拣原因", "Short reason"],
  "picked by": ["拣货人", "Picked by"],
  "picked at": ["拣货时间", "Picked at"],
  "task open": ["待拣", "To pick"],
  "task done": ["已拣", "Picked"],
  "task short": ["少拣", "Short"],
  "task cancelled": ["已取消", "Cancelled"],
  "invoice date": ["开票日期", "Invoice date"],
  due: ["到期日", "Due"],
  paid: ["已收款", "Paid"],
  credited: ["已冲红", "Credited"],
  open: ["未收", "Open"],
  "order line": ["订单行", "Order line"],
  credits: ["冲红发票", "Credits invoice"],
  "kind invoice": ["发票", "Invoice"],
  "kind credit_note": ["红字发票（贷项通知）", "Credit note"],
  "kind opening": ["期初应收", "Opening balance"],
  "original document": ["原单据号", "Original document"],
  "record payment": ["登记收款", "Record a payment"],
  "credit note": ["红字发票", "Credit note"],
  order: ["销售订单", "Sales order"],
  "show lines": ["显示已发货明细", "Show the shipped lines"],
  "nothing to return": ["该订单没有可退的已发货商品", "Nothing shipped on this order can come back"],
  returnable: ["可退", "Can return"],
  "qty to return": ["退货数量", "Quantity to return"],
  reason: ["原因", "Reason"],
  disposition: ["处理", "Disposition"],
  "disposition pending": ["待处理", "Pending"],
  "disposition restock": ["重新入库", "Restocked"],
  "disposition scrap": ["报废", "Scrapped"],
  restock: ["重新入库到货位", "Restock to a bin"],
  scrap: ["报废", "Scrap"],
  bin: ["货位", "Bin"],
  apply: ["执行", "Apply"],
  "apply to line": ["处理第几行：", "Apply to line"],
  "returned to": ["退回库位", "Returned to"],
  "invoices of order": ["本订单的发票", "Invoices of this order"],
  "returns of order": ["本订单的退货", "Returns of this order"],
  "state sent": ["已发送", "Sent"],
  "state accepted": ["已接受", "Accepted"],
  "state expired": ["已过期", "Expired"],
  "state posted": ["已过账", "Posted"],
  "state partially_paid": ["部分收款", "Partially paid"],
  "state paid": ["已结清", "Paid"],
  "state open": ["进行中", "Open"],
  "state done": ["已完成", "Done"],
  "state received": ["已收货", "Received"],
  "print delivery note": ["打印送货单", "Print the delivery note"],
  "print picking list": ["打印拣货单", "Print the picking list"],
  "print invoice": ["打印发票", "Print the invoice"],
  "print credit note": ["打印红字发票", "Print the credit note"],
}, "sales");
const SHIPPED_STATES = ["shipped", "invoiced", "closed"];  // an order's delivery note is printed once it has shipped

const QUOTE_STATES = ["draft", "sent", "accepted", "expired", "cancelled"];
const SO_STATES = ["draft", "confirmed", "picking", "packed", "shipped", "invoiced", "closed", "cancelled"];
const INVOICE_STATES = ["draft", "posted", "partially_paid", "paid", "cancelled"];
const RETURN_STATES = ["open", "received", "done", "cancelled"];
const VAT_RATES = ["13", "9", "6", "3", "1", "0"];

const api = sync.api;
const redraw = () => go(location.hash);
const newButton = (section, label) => h("p", { class: "actions" }, h("a", { href: `#/office/${section}/new`, class: "button", "data-action": "new" }, label));
const list = (numbers, section) => (numbers.length ? numbers.flatMap((n, i) => [i ? ", " : "", link(section, n)]) : null);

// Choices the forms offer (customers, warehouses, items), fetched once per form.
async function choices() {
  const [customers, warehouses, items] = await Promise.all([
    api("/api/v1/partners", { params: { kind: "customer", limit: 500 } }),
    api("/api/v1/locations", { params: { kind: "warehouse", limit: 100 } }),
    api("/api/v1/items", { params: { active: true, limit: 500 } }),
  ]);
  return { customers: customers.items, warehouses: warehouses.items, items: items.items };
}

const datalist = (id, rows, label) => h("datalist", { id }, rows.map((r) => h("option", { value: r.code ?? r.sku }, label(r))));
const warehouseField = (warehouses, value) => formField({ name: "warehouse", label: t("warehouse"), required: true, value: value ?? (warehouses.length === 1 ? warehouses[0].code : ""),
  options: [["", t("choose")], ...warehouses.map((w) => [w.code, `${w.code} · ${named(w)}`])] });

/** The lines of a quote or order being written: SKU, quantity and the unit it counts in (the item's own or a pack), price
 *  per that unit (proposed from the customer's price list), the line's discount and VAT; rows added and removed.
 *  `customer()` names the customer whose list proposes the prices; `items`, those the form knows already; `contract()`, the
 *  sales contract whose agreed prices come first. */
function lineEditor(initial, customer, items = [], contract = () => "") {
  const body = h("tbody");
  const unitsOf = unitChoices(items);
  const offerUnits = (tr) => offerUnitsOf(unitsOf, tr.querySelector("[data-field=unit]"), tr.querySelector("[data-field=sku]"));
  const renumber = () => [...body.rows].forEach((tr, i) => {
    tr.dataset.row = String(i + 1);
    tr.cells[0].textContent = String(i + 1);
    for (const input of tr.querySelectorAll("[data-label]")) input.setAttribute("aria-label", `${t(input.dataset.label)} ${i + 1}`);
    tr.querySelector("[data-action=remove-line]").setAttribute("aria-label", `${t("remove line")} ${i + 1}`);
  });
  const propose = async (tr) => {
    const asked = () => [tr.querySelector("[data-field=sku]").value.trim(), tr.querySelector("[data-field=qty]").value.trim() || "1",
      tr.querySelector("[data-field=unit]").value, customer(), contract()].join("|");
    const question = asked();
    const sku = tr.querySelector("[data-field=sku]").value.trim();
    const qty = tr.querySelector("[data-field=qty]").value.trim() || "1";
    const unit = tr.querySelector("[data-field=unit]").value;
    const price = tr.querySelector("[data-field=unit_price]");
    const vat = tr.querySelector("[data-field=vat_rate]");
    const hint = tr.querySelector("[data-field=price-hint]");
    const who = customer();
    if (!sku || !who || !may("prices.read")) return;
    let answer;
    try {
      answer = await api(`/api/v1/customers/${enc(who)}/price`, { params: { sku, qty, ...(unit ? { unit } : {}), ...(contract() ? { contract: contract() } : {}) } });
    } catch {
      hint.textContent = "";  // an unknown SKU or customer: the server says so when the form is saved
      return;
    }
    if (asked() !== question) return;  // the line changed while the server was asked: a later answer is coming
    if (answer.unit_price === null) {
      hint.textContent = t("no list price");
      if (price.dataset.proposed) price.value = "";
    } else {
      hint.textContent = answer.contract ? contractPriceHint(answer, unit)
        : `${t("list price")} ${money(answer.unit_price)}${answer.price_list ? ` (${answer.price_list})` : ""}${unit ? ` / ${unit}` : ""}`;
      if (!price.dataset.typed) {
        price.value = answer.unit_price;
        price.dataset.proposed = "1";
      }
    }
    if (!vat.dataset.typed && VAT_RATES.includes(answer.vat_rate)) vat.value = answer.vat_rate;
  };
  const add = (line = {}) => {
    const typed = (event) => { event.currentTarget.dataset.typed = "1"; delete event.currentTarget.dataset.proposed; };
    const tr = h("tr", { "data-row": "" },
      h("td", { class: "num" }),
      h("td", {}, h("input", { "data-field": "sku", "data-label": "sku", list: "sales-items", required: true, autocomplete: "off", value: line.sku ?? "", size: 10,
        onchange: async () => {
          await offerUnits(tr);
          propose(tr);
        } })),
      h("td", {}, h("input", { "data-field": "qty", "data-label": "qty", inputmode: "decimal", required: true, autocomplete: "off", value: line.qty ?? "", size: 6,
        onchange: () => propose(tr) })),
      // Quantity and price count in the unit chosen; empty is the item's own.
      h("td", {}, h("select", { "data-field": "unit", "data-label": "unit", onfocus: () => offerUnits(tr), onchange: () => propose(tr) },
        h("option", { value: "" }, line.base_unit || t("item unit")),
        line.unit ? h("option", { value: line.unit, selected: true }, unitText(line.unit, line.unit_factor, line.base_unit)) : null)),
      h("td", {}, h("input", { "data-field": "unit_price", "data-label": "price", inputmode: "decimal", autocomplete: "off", value: line.unit_price ?? "", size: 8,
        placeholder: t("from price list"), oninput: typed, "data-typed": line.unit_price ? "1" : null }),
      h("small", { class: "muted", "data-field": "price-hint" })),
      h("td", {}, h("input", { "data-field": "discount", "data-label": "discount", inputmode: "decimal", autocomplete: "off", value: line.discount ?? "", size: 5 })),
      h("td", {}, h("select", { "data-field": "vat_rate", "data-label": "vat", onchange: typed, "data-typed": line.vat_rate ? "1" : null },
        h("option", { value: "" }, t("item rate")), VAT_RATES.map((r) => h("option", { value: r, selected: line.vat_rate === r }, `${r} %`)))),
      h("td", {}, h("button", { type: "button", "data-action": "remove-line", onclick: () => {
        const next = tr.nextElementSibling || tr.previousElementSibling;
        tr.remove();
        renumber();
        (next?.querySelector("[data-field=sku]") || addButton).focus();
      } }, "✕")));
    body.append(tr);
    renumber();
    if (line.sku) offerUnits(tr);
    return tr;
  };
  const addButton = h("button", { type: "button", "data-action": "add-line", onclick: () => add().querySelector("[data-field=sku]").focus() }, t("add line"));
  (initial.length ? initial : [{}]).forEach(add);
  const element = h("div", { class: "line-editor", id: "line-editor", role: "group", "aria-labelledby": "line-editor-title" },
    h("h4", { id: "line-editor-title" }, t("lines")),
    scroller(h("table", {},
      h("thead", {}, h("tr", {}, [num(t("line")), t("sku"), t("qty"), t("unit"), t("price"), t("discount"), t("vat"), ""].map((c) => h("th", { scope: "col", class: c?.num ? "num" : null }, c?.text ?? c)))),
      body)),
    h("p", {}, addButton));
  const values = () => [...body.rows].map((tr) => {
    const line = {};
    for (const input of tr.querySelectorAll("[data-field]:is(input, select)")) if (input.value.trim()) line[input.dataset.field] = input.value.trim();
    return line;
  });
  /** Mark the line a refusal is about ($.lines[1].qty, lines[0].unit, or the SKU the server names) after the form has said it. */
  const mark = (error) => setTimeout(() => {
    const details = error?.body?.details || {};
    const key = String(details.errors?.[0]?.key || details.field || "");
    const at = /lines\[(\d+)\](?:\.(\w+))?/.exec(key);
    const tr = at ? body.rows[Number(at[1])] : [...body.rows].find((r) => details.sku && r.querySelector("[data-field=sku]").value.trim() === details.sku);
    const input = (at?.[2] && tr?.querySelector(`[data-field="${at[2]}"]`)) || tr?.querySelector("[data-field=sku]");
    if (input) {
      input.setAttribute("aria-invalid", "true");
      input.focus();
    }
  }, 0);
  return { element, values, mark, proposeAll: () => [...body.rows].forEach(propose) };
}

/** The document's discount (整单折扣): per cent off every line, on top of the line's own. */
const orderDiscountField = (value = "") => formField({ name: "discount", label: t("order discount"), inputmode: "decimal", size: 6, value,
  hint: t("discount hint") });

/** A document's discount among its facts, when it has one. */
const discountFact = (doc) => (discounted(doc.discount) ? [t("order discount"), doc.discount, { "data-field": "discount" }] : null);

/** A new quote or order: customer, warehouse, the document's own fields, and its lines. */
async function documentForm(here, panel, { section, id, title, label, extra, post, open, ready }) {
  const known_ = await load(here, panel, choices());
  if (!known_) return;
  const editor = lineEditor([], () => form.querySelector("[name=customer]").value.trim(), known_.items,
    () => form.querySelector("[name=contract]")?.value || "");
  const form = recordForm({
    id, title, label,
    fields: [
      formField({ name: "customer", label: t("customer"), required: true, list: "sales-customers" }),
      warehouseField(known_.warehouses),
      ...extra,
      orderDiscountField(),
      formField({ name: "note", label: t("note"), type: "textarea" }),
    ],
    submit: async (values) => {
      try {
        return await post({ ...values, lines: editor.values() });
      } catch (error) {
        editor.mark(error);
        throw error;
      }
    },
    saved: (doc) => {
      say("ok", `${doc.number} · ${t("saved")}`);
      go(open(doc));
    },
  });
  form.querySelector("[name=customer]").addEventListener("change", editor.proposeAll);
  ready?.(form, editor);
  form.querySelector(".fields").after(editor.element);
  put(panel, back(section), form, datalist("sales-customers", known_.customers, named), datalist("sales-items", known_.items, named));
  form.querySelector("[name=customer]").focus();
}

// Quotes -----------------------------------------------------------------------------------------

async function quotes(here, panel, number) {
  if (number === "new") {
    return documentForm(here, panel, {
      section: "quotes", id: "quote-form", title: t("new quote"), label: t("create quote"),
      extra: [formField({ name: "valid_until", label: t("valid until"), type: "date" })],
      post: (body) => api("/api/v1/quotes", { method: "POST", body }),
      open: (q) => `#/office/quotes/${enc(q.number)}`,
    });
  }
  if (number) return quote(here, panel, number);
  put(panel,
    may("sales.write") ? newButton("quotes", t("new quote")) : null,
    pagedList(here, {
      key: "quotes",
      filters: [{ name: "status", label: t("status"), options: stateOptions(QUOTE_STATES) }, { name: "customer", label: t("customer"), placeholder: t("code") }],
      columns: [by("number", t("number")), by("status", t("status")), by("customer", t("customer")), by("warehouse", t("warehouse")),
        by("valid_until", t("valid until")), by("total", num(t("total"))), by("sales_order", t("sales order"))],
      fetchPage: (params) => api("/api/v1/quotes", { params }),
      draw: (q) => row({ "data-quote": q.number }, [link("quotes", q.number), known("state", q.status), q.customer, q.warehouse, q.valid_until || "",
        amount(q.total), q.sales_order ? link("sales-orders", q.sales_order) : ""]),
    }));
}

async function quote(here, panel, number) {
  const q = await load(here, panel, api(`/api/v1/quotes/${enc(number)}`));
  if (!q) return;
  const packed = inPacks(q.lines);
  const lineDiscounts = q.lines.some((l) => discounted(l.discount));
  put(panel,
    back("quotes"),
    h("h3", {}, `${q.number} · ${q.customer}`),
    facts([[t("status"), known("state", q.status), { "data-field": "status" }], [t("customer"), link("partners", q.customer)], [t("warehouse"), q.warehouse],
      discountFact(q), [t("valid until"), q.valid_until], [t("note"), q.note], [t("version"), q.version],
      q.sales_order ? [t("sales order"), link("sales-orders", q.sales_order), { "data-field": "sales-order" }] : null]),
    documentActions(q, {
      path: `/api/v1/quotes/${enc(q.number)}`,
      done: (answer, action) => (action === "accept" ? go(`#/office/sales-orders/${enc(answer.number)}`) : redraw()),
    }),
    h("h4", {}, t("lines")),
    grid([num(t("line")), t("sku"), t("name"), num(t("qty")), num(t("price")), ...(lineDiscounts ? [num(t("discount"))] : []), num(t("vat")), num(t("net"))],
      q.lines.map((l) => row({ "data-sku": l.sku, "data-line": l.line, "data-unit": l.unit }, [num(String(l.line)), link("items", l.sku), named(l),
        qtyCell(l, packed), amount(l.unit_price), ...(lineDiscounts ? [num(l.discount)] : []), num(l.vat_rate), amount(l.net)])), { id: "quote-lines" }),
    totals(q),
    history("quote", q.number));
}

// Sales orders -----------------------------------------------------------------------------------

async function salesOrders(here, panel, number) {
  if (number === "new") {
    return documentForm(here, panel, {
      section: "sales-orders", id: "so-form", title: t("new sales order"), label: t("create sales order"),
      extra: [formField({ name: "ship_to", label: t("ship to") }), contractField()],
      post: (body) => api("/api/v1/sales-orders", { method: "POST", body }),
      open: (so) => `#/office/sales-orders/${enc(so.number)}`,
      ready: watchContracts,
    });
  }
  if (number) return salesOrder(here, panel, number);
  put(panel,
    may("sales.write") ? newButton("sales-orders", t("new sales order")) : null,
    pagedList(here, {
      key: "sales-orders",
      filters: [{ name: "status", label: t("status"), options: stateOptions(SO_STATES) }, { name: "customer", label: t("customer"), placeholder: t("code") },
        { name: "warehouse", label: t("warehouse"), placeholder: t("code") }, { name: "shop", label: t("online shop"), placeholder: t("code") }],
      columns: [by("number", t("number")), by("status", t("status")), by("customer", t("customer")), by("warehouse", t("warehouse")),
        by("total", num(t("total")), may("prices.read")), by("created_at", t("created"))],
      fetchPage: (params) => api("/api/v1/sales-orders", { params }),
      draw: (so) => row({ "data-so": so.number }, [link("sales-orders", so.number), known("state", so.status),
        so.shop ? `${so.customer} · ${so.shop} ${so.shop_order_id}` : so.customer, so.warehouse, amount(so.total), when(so.created_at)]),
    }));
}

/** The figures of a credit refusal (or of the customer's credit now): limit, open receivables, open orders, this order. */
const exposureFacts = (figures) => facts([[t("credit limit"), figures.limit === null ? t("no limit") : money(figures.limit), { "data-field": "limit" }],
  [t("receivables"), money(figures.open_ar), { "data-field": "open-receivables" }], [t("open orders"), money(figures.open_orders), { "data-field": "open-orders" }],
  [t("this order"), money(figures.this_order), { "data-field": "this-order" }], [t("exposure"), money(figures.exposure), { "data-field": "exposure" }]]);

async function salesOrder(here, panel, number) {
  const so = await load(here, panel, api(`/api/v1/sales-orders/${enc(number)}`));
  if (!so) return;
  const path = `/api/v1/sales-orders/${enc(so.number)}`;
  const notice = h("div", { id: "so-notice" });
  const editing = h("div", { id: "so-edit" });
  const related = h("div", { id: "so-related" });
  const confirm = async (doc) => {
    const button = panel.querySelector("[data-action=confirm]");
    button.disabled = true;
    try {
      await api(`${path}/confirm`, { method: "POST", body: { version: doc.version } });
    } catch (error) {
      button.disabled = false;
      fail(error);
      if (error.body?.error === "below_cost") {
        put(notice, h("section", { class: "below-cost-notice", id: "below-cost-refusal", role: "alert", "aria-labelledby": "below-cost-refusal-title" },
          h("h4", { id: "below-cost-refusal-title", tabindex: "-1" }, t("below cost refused")),
          h("p", { "data-field": "message" }, said(error))));
        return notice.querySelector("h4").focus();
      }
      if (error.body?.error !== "credit_limit_exceeded") return put(notice, h("p", { class: "form-error", role: "alert" }, said(error)));
      put(notice, h("section", { class: "credit-hold", id: "credit-refusal", role: "alert", "aria-labelledby": "credit-refusal-title" },
        h("h4", { id: "credit-refusal-title", tabindex: "-1" }, t("credit hold")),
        exposureFacts(error.body.details),
        h("p", { "data-field": "who-releases" }, t("credit who"))));
      return notice.querySelector("h4").focus?.();
    }
    say("ok", `${t("action confirm")} · ${t("done")}`);
    redraw();
  };
  const invoice = async () => {
    const button = panel.querySelector("[data-action=invoice]");
    button.disabled = true;
    let made;
    try {
      made = await api(`${path}/invoice`, { method: "POST", body: { post: false } });
    } catch (error) {
      button.disabled = false;
      return fail(error);
    }
    say("ok", `${made.number} · ${t("saved")}`);
    go(`#/office/invoices/${enc(made.number)}`);
  };
  const edit = () => editOrder(here, editing, so, path);
  const returnable = so.lines.some((l) => Number(l.returnable) > 0) && may("sales.write");
  const packed = inPacks(so.lines);
  const lineDiscounts = so.lines.some((l) => discounted(l.discount));
  // A draft selling below cost says so before anyone confirms it: only an administrator may.
  const low = so.status === "draft" ? so.lines.filter((l) => l.below_cost) : [];
  const belowCost = low.length ? h("section", { class: "below-cost-notice", id: "below-cost-warning", "aria-labelledby": "below-cost-title" },
    h("h4", { id: "below-cost-title" }, t("below cost title")),
    h("p", { "data-field": "lines" }, `${t("below cost lines")} ${low.map((l) => t("below cost line").replace("{n}", l.line).replace("{sku}", l.sku)).join(", ")}`),
    h("p", { "data-field": "who-confirms" }, t(may("sales.below_cost") ? "below cost you may" : "below cost admin only"))) : null;
  put(panel,
    back("sales-orders"),
    h("h3", {}, `${so.number} · ${so.customer}`),
    facts([[t("status"), known("state", so.status), { "data-field": "status" }], [t("customer"), link("partners", so.customer)],
      [t("warehouse"), so.warehouse], so.shop ? [t("shop order"), `${so.shop} ${so.shop_order_id}`, { "data-field": "shop-order" }] : null,
      [t("ship to"), so.ship_to], [t("note"), so.note], [t("version"), so.version], [t("created"), when(so.created_at)],
      discountFact(so),
      so.credit_released_by ? [t("credit released by"), `${so.credit_released_by}: ${so.credit_release_reason}`, { "data-field": "credit-released" }] : null,
      so.below_cost_confirmed_by ? [t("below cost confirmed by"), so.below_cost_confirmed_by, { "data-field": "below-cost-confirmed" }] : null,
      so.backorder_of ? [t("backorder of"), link("sales-orders", so.backorder_of), { "data-field": "backorder-of" }] : null,
      so.backorders.length ? [t("backorders"), list(so.backorders, "sales-orders"), { "data-field": "backorders" }] : null, ...contractFacts(so)]),
    documentActions(so, { path, ask: { "credit-release": "reason", cancel: "reason" }, run: { confirm, invoice, edit }, done: redraw }),
    returnable ? h("p", {}, h("a", { href: `#/office/returns/new/${enc(so.number)}`, "data-action": "new-return" }, t("new return"))) : null,
    SHIPPED_STATES.includes(so.status) ? printLink(`${path}/delivery-note.pdf`, t("print delivery note")) : null,
    SHIPPED_STATES.includes(so.status) ? emailPanel("delivery_note", so.number, { status: so.status }) : null,
    belowCost,
    contractWarnings(so),
    notice,
    editing,
    h("h4", {}, t("lines")),
    // Reserved, picked, shipped and what follows count in the item's own unit, as the warehouse counts them.
    grid([num(t("line")), t("sku"), t("name"), num(t("qty")), num(t("price")), ...(lineDiscounts ? [num(t("discount"))] : []), num(t("net")),
      num(t("reserved")), num(t("picked")), num(t("shipped")), num(t("invoiced")), num(t("returned")), num(t("backordered")), num(t("cancelled"))],
    so.lines.map((l) => row({ "data-sku": l.sku, "data-line": l.line, "data-unit": l.unit, class: low.includes(l) ? "below-cost" : null },
      [num(String(l.line)), link("items", l.sku),
        low.includes(l) ? h("span", {}, named(l), " ", h("strong", { class: "below-cost-mark", "data-field": "below-cost" }, `⚠ ${t("below cost")}`)) : named(l),
        qtyCell(l, packed), amount(l.unit_price), ...(lineDiscounts ? [num(l.discount)] : []), amount(l.net), num(l.reserved), num(l.picked), num(l.shipped),
        num(l.invoiced), num(l.returned), num(l.backordered), num(l.cancelled)])),
    { id: "so-lines" }),
    totals(so),
    so.packages.length ? [h("h4", {}, t("packages")), grid([t("sscc"), num(t("weight")), t("contents")],
      so.packages.map((p) => row({ "data-sscc": p.sscc }, [p.sscc, num(p.weight_kg ?? ""),
        p.contents.map((c) => `${c.sku ?? ""} × ${c.qty ?? ""}`).join(", ")])))] : null,
    related,
    history("so", so.number));
  // While the order can still be confirmed, whoever sees prices sees the customer's credit as it stands.
  if (may("prices.read") && (so.actions.includes("confirm") || so.actions.includes("credit-release"))) {
    const credit = await load(here, h("div"), api(`/api/v1/customers/${enc(so.customer)}/credit`).catch(() => null));
    if (credit && !notice.firstChild) {
      put(notice, h("section", { id: "so-credit" }, h("h4", {}, t("customer credit")), facts([
        [t("credit limit"), credit.credit_limit === null ? t("no limit") : money(credit.credit_limit), { "data-field": "limit" }],
        [t("receivables"), money(credit.open_receivables), { "data-field": "open-receivables" }],
        [t("open orders"), money(credit.open_orders), { "data-field": "open-orders" }],
        [t("this order"), money(so.total), { "data-field": "this-order" }],
        [t("available before"), credit.available_credit === null ? t("no limit") : money(credit.available_credit), { "data-field": "available" }]])));
    }
  }
  await orderDocuments(here, related, so);
}

/** The invoices and returns of an order, linked. */
async function orderDocuments(here, element, so) {
  const [invoices, rmas] = await Promise.all([
    may("prices.read") ? api("/api/v1/invoices", { params: { order: so.number, limit: 100 } }).catch(() => ({ items: [] })) : { items: [] },
    api("/api/v1/returns", { params: { order: so.number, limit: 100 } }).catch(() => ({ items: [] })),
  ]);
  if (!showing(here)) return;
  put(element,
    invoices.items.length ? [h("h4", {}, t("invoices of order")), grid([t("number"), t("kind"), t("status"), num(t("total")), num(t("open"))],
      invoices.items.map((i) => row({ "data-invoice": i.number }, [link("invoices", i.number), known("kind", i.kind), known("state", i.status), amount(i.total),
        amount(i.open)])), { id: "so-invoices" })] : null,
    rmas.items.length ? [h("h4", {}, t("returns of order")), grid([t("number"), t("status"), t("credit note")],
      rmas.items.map((r) => row({ "data-return": r.number }, [link("returns", r.number), known("state", r.status), r.credit_note ? link("invoices", r.credit_note) : ""])),
      { id: "so-returns" })] : null);
}

/** Change an order while the server allows: only what was changed is sent, so a frozen field is refused by name. */
function editOrder(here, element, so, path) {
  // Each line as the editor reads it back (its fields in the editor's order): counted in its unit, none when that is the
  // item's own; its discount when it has one.
  const initial = so.lines.map((l) => ({ sku: l.sku, qty: l.unit_qty, ...(l.unit && l.unit !== l.base_unit ? { unit: l.unit } : {}),
    ...(l.unit_price === null ? {} : { unit_price: l.unit_price }), ...(discounted(l.discount) ? { discount: l.discount } : {}), vat_rate: l.vat_rate }));
  const shown = so.lines.map((l, i) => ({ ...initial[i], base_unit: l.base_unit, unit_factor: l.unit_factor }));
  const editor = lineEditor(shown, () => so.customer, [], () => so.contract || "");
  const hasPrices = so.discount !== null && so.discount !== undefined;
  const form = recordForm({
    id: "so-edit-form", title: t("edit sales order"),
    fields: [formField({ name: "ship_to", label: t("ship to"), value: so.ship_to }),
      hasPrices ? orderDiscountField(discounted(so.discount) ? so.discount : "") : null,
      formField({ name: "note", label: t("note"), type: "textarea", value: so.note })].filter(Boolean),
    submit: async (values) => {
      const body = { version: so.version };
      if ((values.ship_to ?? "") !== so.ship_to) body.ship_to = values.ship_to ?? "";
      if ((values.note ?? "") !== so.note) body.note = values.note ?? "";
      if (hasPrices && Number(values.discount ?? 0) !== Number(so.discount)) body.discount = values.discount ?? "0";
      const lines = editor.values();
      if (JSON.stringify(lines) !== JSON.stringify(initial)) body.lines = lines;
      try {
        return await api(path, { method: "PATCH", body });
      } catch (error) {
        editor.mark(error);
        throw error;
      }
    },
    saved: () => {
      say("ok", t("saved"));
      redraw();
    },
    cancel: () => {
      put(element);
      document.querySelector("[data-action=edit]")?.focus();
    },
  });
  form.querySelector(".fields").after(editor.element);
  put(element, form);
  form.querySelector("[name=ship_to]").focus();
}

// Waves ------------------------------------------------------------------------------------------

async function waves(here, panel, number) {
  if (number === "new") return newWave(here, panel);
  if (number) return wave(here, panel, number);
  const warehouses = await load(here, panel, api("/api/v1/locations", { params: { kind: "warehouse", limit: 100 } }));
  if (!warehouses) return;
  put(panel,
    may("sales.fulfil") ? newButton("waves", t("new wave")) : null,
    pagedList(here, {
      key: "waves",
      filters: [{ name: "warehouse", label: t("warehouse"), options: [["", t("all")], ...warehouses.items.map((w) => [w.code, w.code])] },
        { name: "status", label: t("status"), options: [["open", known("state", "open")], ["done", known("state", "done")]] }],
      columns: [t("number"), t("warehouse"), t("status"), t("orders"), num(t("tasks open")), num(t("tasks done")), num(t("tasks short")), t("created")],
      // The API answers a warehouse's waves oldest first, without pages: one page of them.
      fetchPage: async ({ warehouse, status, limit }) => {
        const answer = await api("/api/v1/waves", { params: { ...(warehouse ? { warehouse } : {}), ...(status ? { status } : {}), limit } });
        return { items: answer.items, total: answer.items.length };
      },
      draw: (w) => row({ "data-wave": w.number }, [link("waves", w.number), w.warehouse, known("state", w.status), w.orders.join(", "),
        num(String(w.tasks_open)), num(String(w.tasks_done)), num(String(w.tasks_short)), when(w.created_at)]),
    }));
}

async function newWave(here, panel) {
  const warehouses = await load(here, panel, api("/api/v1/locations", { params: { kind: "warehouse", limit: 100 } }));
  if (!warehouses) return;
  const orders = h("div", { id: "wave-orders" });
  const showOrders = async (code) => {
    if (!code) return put(orders);
    put(orders, h("p", { class: "muted" }, t("loading")));
    const page = await load(here, orders, api("/api/v1/sales-orders", { params: { status: "confirmed", warehouse: code, limit: 500 } }));
    if (!page || form.querySelector("[name=warehouse]").value !== code) return;
    put(orders, h("h4", {}, t("orders to pick")), page.items.length
      ? grid(["", t("number"), t("customer"), t("ship to"), num(t("lines")), t("created")], page.items.map((so) => row({ "data-so": so.number }, [
        h("input", { type: "checkbox", name: "order", value: so.number, "aria-label": `${t("add to wave")} ${so.number}` }),
        link("sales-orders", so.number), so.customer, { text: so.ship_to, wrap: true }, num(String(so.lines.length)), when(so.created_at)])), { id: "wave-candidates" })
      : h("p", { class: "muted" }, t("no orders to pick")));
  };
  const form = recordForm({
    id: "wave-form", title: t("new wave"), label: t("create wave"),
    fields: [warehouseField(warehouses.items)],
    submit: (values, element) => api("/api/v1/waves", { method: "POST", body: {
      warehouse: values.warehouse ?? "", orders: [...element.querySelectorAll("input[name=order]:checked")].map((box) => box.value) } }),
    saved: (w) => {
      say("ok", `${w.number} · ${t("saved")}`);
      go(`#/office/waves/${enc(w.number)}`);
    },
  });
  const select = form.querySelector("[name=warehouse]");
  select.addEventListener("change", () => showOrders(select.value));
  form.querySelector(".fields").after(orders);
  put(panel, back("waves"), form);
  select.focus();
  await showOrders(select.value);
}

async function wave(here, panel, number) {
  const w = await load(here, panel, api(`/api/v1/waves/${enc(number)}`));
  if (!w) return;
  put(panel,
    back("waves"),
    h("h3", {}, `${w.number} · ${w.warehouse}`),
    facts([[t("status"), known("state", w.status), { "data-field": "status" }], [t("warehouse"), w.warehouse], [t("created"), when(w.created_at)],
      [t("orders"), list(w.orders, "sales-orders"), { "data-field": "orders" }],
      [t("progress"), `${t("tasks done")} ${w.tasks_done} · ${t("tasks short")} ${w.tasks_short} · ${t("tasks open")} ${w.tasks_open}`
        + (w.tasks_cancelled ? ` · ${t("tasks cancelled")} ${w.tasks_cancelled}` : ""), { "data-field": "progress" }]]),
    printLink(`/api/v1/waves/${enc(w.number)}/pdf`, t("print picking list")),
    h("h4", {}, t("tasks")),
    grid([num(t("seq")), t("location"), t("sku"), t("name"), t("lot"), t("expiry"), num(t("qty")), num(t("picked")), t("status"), t("short reason"), t("order"),
      t("picked by"), t("picked at")],
    w.tasks.map((task) => row({ "data-task-id": task.id, "data-location": task.location }, [num(String(task.seq)), task.location, link("items", task.sku), named(task),
      task.lot || "", task.expiry || "", num(task.qty), num(task.picked), known("task", task.status), task.short_reason, `${task.order} / ${task.order_line}`,
      task.done_by || "", when(task.done_at)])), { id: "wave-tasks" }),
    history("wave", w.number));
}

// Invoices ---------------------------------------------------------------------------------------

async function invoices(here, panel, number) {
  if (number) return invoice(here, panel, number);
  put(panel, pagedList(here, {
    key: "invoices",
    filters: [{ name: "status", label: t("status"), options: stateOptions(INVOICE_STATES) },
      { name: "kind", label: t("kind"), options: [["", t("all")], ["invoice", t("kind invoice")], ["credit_note", t("kind credit_note")],
        ["opening", t("kind opening")]] },
      { name: "customer", label: t("customer"), placeholder: t("code") }],
    columns: [by("number", t("number")), by("kind", t("kind")), by("status", t("status")), by("customer", t("customer")), by("order", t("order")),
      by("invoice_date", t("invoice date")), by("due_date", t("due")), by("total", num(t("total"))), by("open", num(t("open")))],
    fetchPage: (params) => api("/api/v1/invoices", { params }),
    draw: (i) => row({ "data-invoice": i.number, class: i.kind === "credit_note" ? "credit-note" : null }, [link("invoices", i.number), known("kind", i.kind),
      known("state", i.status), i.customer, i.order ? link("sales-orders", i.order) : "", i.invoice_date, i.due_date, amount(i.total), amount(i.open)]),
  }));
}

async function invoice(here, panel, number) {
  const inv = await load(here, panel, api(`/api/v1/invoices/${enc(number)}`));
  if (!inv) return;
  put(panel,
    back("invoices"),
    h("h3", { "data-kind": inv.kind }, `${known("kind", inv.kind)} ${inv.number} · ${inv.customer}`),
    facts([[t("kind"), known("kind", inv.kind), { "data-field": "kind" }], [t("status"), known("state", inv.status), { "data-field": "status" }],
      [t("customer"), link("partners", inv.customer)], [t("order"), inv.order ? link("sales-orders", inv.order) : null, { "data-field": "order" }],
      inv.credits ? [t("credits"), link("invoices", inv.credits), { "data-field": "credits" }] : null,
      // An opening invoice keeps the number it had in the books it came from in its note.
      inv.note ? [t(inv.kind === "opening" ? "original document" : "note"), inv.note, { "data-field": "note" }] : null,
      [t("invoice date"), inv.invoice_date], [t("due"), inv.due_date],
      [t("paid"), money(inv.paid), { "data-field": "paid" }], [t("credited"), money(inv.credited), { "data-field": "credited" }],
      [t("open"), money(inv.open), { "data-field": "open" }], [t("version"), inv.version]]),
    documentActions(inv, { path: `/api/v1/invoices/${enc(inv.number)}`, done: redraw, skip: ["record-payment"] }),
    inv.actions.includes("record-payment") ? h("p", {}, h("a", { href: "#/office/payments", "data-action": "record-payment" }, t("record payment"))) : null,
    printLink(`/api/v1/invoices/${enc(inv.number)}/pdf`, t(inv.kind === "credit_note" ? "print credit note" : "print invoice")),
    emailPanel("invoice", inv.number, { status: inv.status }),
    inv.lines.length ? [h("h4", {}, t("lines")),  // an opening invoice has none: only what was still open of it
      // Counted in the order line's unit, at its price net of the order's discounts.
      grid([num(t("line")), num(t("order line")), t("sku"), num(t("qty")), num(t("price")), num(t("vat")), num(t("net")), num(t("tax"))],
        inv.lines.map((l) => row({ "data-sku": l.sku, "data-line": l.line, "data-unit": l.unit }, [num(String(l.line)), num(String(l.order_line)),
          link("items", l.sku), qtyCell(l, inPacks(inv.lines)), amount(l.unit_price), num(l.vat_rate), amount(l.net), amount(l.tax)])),
        { id: "invoice-lines" })] : null,
    totals(inv),
    history("invoice", inv.number));
}

// Returns ----------------------------------------------------------------------------------------

async function returns(here, panel, number, order) {
  if (number === "new") return newReturn(here, panel, order);
  if (number) return customerReturn(here, panel, number);
  put(panel,
    may("sales.write") ? newButton("returns", t("new return")) : null,
    pagedList(here, {
      key: "returns",
      filters: [{ name: "status", label: t("status"), options: stateOptions(RETURN_STATES) }, { name: "customer", label: t("customer"), placeholder: t("code") }],
      columns: [by("number", t("number")), by("status", t("status")), by("order", t("order")), by("customer", t("customer")), by("warehouse", t("warehouse")),
        num(t("lines")), by("credit_note", t("credit note"))],
      fetchPage: (params) => api("/api/v1/returns", { params }),
      draw: (r) => row({ "data-return": r.number }, [link("returns", r.number), known("state", r.status), link("sales-orders", r.order), r.customer, r.warehouse,
        num(String(r.lines.length)), r.credit_note ? link("invoices", r.credit_note) : ""]),
    }));
}

/** A return from a shipped order: each line up to what was shipped and not yet returned (the server's `returnable`). */
async function newReturn(here, panel, order) {
  const lines = h("div", { id: "return-choice" });
  let shown = null;  // the order whose lines are showing
  const showLines = async () => {
    const code = form.querySelector("[name=order]").value.trim();
    if (!code || code === shown?.number) return;
    put(lines, h("p", { class: "muted" }, t("loading")));
    const so = await load(here, lines, api(`/api/v1/sales-orders/${enc(code)}`));
    if (!so) return;
    shown = so;
    const open = so.lines.filter((l) => Number(l.returnable) > 0);
    put(lines, open.length ? grid([num(t("line")), t("sku"), t("name"), num(t("shipped")), num(t("returned")), num(t("returnable")), t("qty to return"), t("reason")],
      open.map((l) => row({ "data-line": l.line, "data-sku": l.sku }, [num(String(l.line)), l.sku, named(l), num(l.shipped), num(l.returned), num(l.returnable),
        h("input", { name: `qty-${l.line}`, "data-line": l.line, inputmode: "decimal", size: 6, autocomplete: "off", "aria-label": `${t("qty to return")} ${l.line} ${l.sku}` }),
        h("input", { name: `reason-${l.line}`, maxlength: 200, autocomplete: "off", "aria-label": `${t("reason")} ${l.line} ${l.sku}` })])), { id: "return-candidates" })
      : h("p", { class: "muted" }, t("nothing to return")));
  };
  const form = recordForm({
    id: "return-form", title: t("new return"), label: t("create return"),
    fields: [formField({ name: "order", label: t("order"), required: true, value: order ?? "", autocomplete: "off" }),
      h("p", {}, h("button", { type: "button", "data-action": "show-lines", onclick: () => showLines() }, t("show lines"))),
      formField({ name: "note", label: t("note"), type: "textarea" })],
    submit: async (values) => {
      await showLines();
      const chosen = [...lines.querySelectorAll("input[name^=qty-]")].filter((input) => input.value.trim()).map((input) => ({
        line: Number(input.dataset.line), qty: input.value.trim(), reason: lines.querySelector(`[name=reason-${input.dataset.line}]`).value.trim() }));
      return api("/api/v1/returns", { method: "POST", body: { order: values.order ?? "", lines: chosen, ...(values.note ? { note: values.note } : {}) } });
    },
    saved: (rma) => {
      say("ok", `${rma.number} · ${t("saved")}`);
      go(`#/office/returns/${enc(rma.number)}`);
    },
  });
  form.querySelector("[name=order]").addEventListener("change", showLines);
  form.querySelector(".fields").after(lines);
  put(panel, back("returns"), form);
  if (order) {
    await showLines();
    lines.querySelector("input")?.focus();
  } else {
    form.querySelector("[name=order]").focus();
  }
}

async function customerReturn(here, panel, number) {
  const rma = await load(here, panel, api(`/api/v1/returns/${enc(number)}`));
  if (!rma) return;
  const path = `/api/v1/returns/${enc(rma.number)}`;
  const disposing = rma.actions.includes("dispose");
  const bins = disposing ? await load(here, panel, api("/api/v1/locations", { params: { kind: "bin", warehouse: rma.warehouse, limit: 500 } })) : null;
  if (disposing && !bins) return;
  const dispose = (line) => {
    const problem = h("span", { class: "form-error", role: "alert", hidden: true });
    return h("form", { class: "dispose", "data-line": line.line, onsubmit: async (event) => {
      event.preventDefault();
      const form = event.currentTarget;
      const how = form.querySelector("[name=disposition]").value;
      const bin = form.querySelector("[name=location]");
      const button = form.querySelector("button");
      button.disabled = true;
      try {
        await api(`${path}/lines/${line.line}/dispose`, { method: "POST", body: { disposition: how, ...(how === "restock" ? { location: bin.value.trim() } : {}) } });
      } catch (error) {
        button.disabled = false;
        fail(error);
        problem.textContent = said(error);
        problem.hidden = false;
        bin.setAttribute("aria-invalid", "true");
        return bin.focus();
      }
      say("ok", `${t("action dispose")} · ${t("done")}`);
      redraw();
    } },
    h("select", { name: "disposition", "aria-label": `${t("disposition")} ${line.line}` }, h("option", { value: "restock" }, t("restock")), h("option", { value: "scrap" }, t("scrap"))),
    h("input", { name: "location", list: "return-bins", size: 8, autocomplete: "off", "aria-label": `${t("bin")} ${line.line}`, placeholder: t("bin") }),
    h("button", { type: "submit", "data-action": "dispose", "aria-label": `${t("apply to line")} ${line.line} ${line.sku}` }, t("apply")),
    problem);
  };
  put(panel,
    back("returns"),
    h("h3", {}, `${rma.number} · ${rma.customer}`),
    facts([[t("status"), known("state", rma.status), { "data-field": "status" }], [t("order"), link("sales-orders", rma.order)], [t("customer"), link("partners", rma.customer)],
      [t("warehouse"), rma.warehouse], [t("returned to"), rma.location],
      [t("credit note"), rma.credit_note ? link("invoices", rma.credit_note) : null, { "data-field": "credit-note" }], [t("version"), rma.version]]),
    documentActions(rma, { path, skip: ["dispose"], done: redraw }),
    h("h4", {}, t("lines")),
    grid([num(t("line")), num(t("order line")), t("sku"), t("lot"), num(t("qty")), t("reason"), t("disposition"), disposing ? t("actions") : null].filter(Boolean),
      rma.lines.map((l) => row({ "data-line": l.line, "data-sku": l.sku }, [num(String(l.line)), num(String(l.order_line)), link("items", l.sku), l.lot || "", num(l.qty),
        l.reason, known("disposition", l.disposition), ...(disposing ? [l.disposition === "pending" ? dispose(l) : ""] : [])])), { id: "return-lines" }),
    bins ? datalist("return-bins", bins.items, named) : null,
    history("return", rma.number));
}

/** The sales sections of the back office, in the menu's order. */
export const sections = {
  quotes: { draw: quotes, group: "sales", may: () => may("prices.read"), label: () => t("quotes") },
  "sales-orders": { draw: salesOrders, group: "sales", label: () => t("sales-orders") },
  waves: { draw: waves, group: "sales", may: () => may("sales.fulfil") || may("sales.write"), label: () => t("waves") },
  invoices: { draw: invoices, group: "sales", may: () => may("prices.read"), label: () => t("invoices") },
  returns: { draw: returns, group: "sales", label: () => t("returns") },
};
