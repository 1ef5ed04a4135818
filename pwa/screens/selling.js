// A salesperson on the road, on the phone: their customers (credit and recent orders), a quote or an order taken on
// the spot (items scanned or typed, prices from the customer's price list), and where each order stands. These
// screens ask the server directly: an order is a promise to a customer, so it is placed while the server can say yes
// (stock reserved, credit checked); without a signal the phone says so and keeps what was typed.

import * as sync from "../sync.js";
import * as scan from "../scan.js";
import { addText, language, said, t } from "../i18n.js";
import { h, say, quiet, screen, working, showing, go, table, money } from "../ui.js";
import { known } from "../desk.js";

addText({
  customers: ["客户", "Customers"],
  "my orders": ["销售订单", "Sales orders"],
  "new order": ["下单 / 报价", "New order or quote"],
  "find customer": ["客户编码或名称", "Customer code or name"],
  "no customers": ["没有找到客户", "No customer found"],
  "credit limit": ["信用额度", "Credit limit"],
  "open receivables": ["未收应收款", "Open receivables"],
  "available credit": ["可用额度", "Available credit"],
  "no limit": ["不限", "No limit"],
  "recent orders": ["最近订单", "Recent orders"],
  "no sales orders": ["还没有订单", "No orders yet"],
  "order for": ["为此客户下单", "New order for this customer"],
  customer: ["客户", "Customer"],
  "choose customer": ["请选择客户", "Choose a customer"],
  "add item": ["添加商品（扫码或输入编码）", "Add an item (scan or type its code)"],
  add: ["添加", "Add"],
  remove: ["移除", "Remove"],
  "no lines": ["扫描或输入商品以添加明细", "Scan or type items to add lines"],
  "place order": ["下单（确认并预留库存）", "Place the order (confirm and reserve)"],
  "save quote": ["保存为报价单", "Save as a quote"],
  "order placed": ["已下单", "Order placed"],
  "quote saved": ["已保存报价单", "Quote saved"],
  "waiting for credit": ["超出客户信用额度：等待财务放行后再确认", "Over the customer's credit limit: it waits for finance to release it, then confirm it"],
  "needs signal": ["需要网络：请在有信号时再试，已填写的内容保留", "This needs a connection: try again with a signal; what you typed is kept"],
  "line price": ["单价", "Price"],
  total: ["合计", "Total"],
  status: ["状态", "Status"],
  "confirm order": ["确认订单", "Confirm the order"],
  "not an item": ["不是商品条码", "Not an item"],
  phone: ["电话", "Phone"],
  contact: ["联系人", "Contact"],
});

const state = (value) => known("state", value);  // the back office's names of document states
// An amount with its currency, as the desk shows one ("1,234.00 USD"): an order is in its customer's currency, credit
// figures are in the books' own, yuan.
const YUAN = "CNY";
const priced = (value, currency = YUAN) => `${money(value)} ${currency || YUAN}`;
const nameOf = (row) => (language() === "zh" ? row.name_zh || row.name_en : row.name_en || row.name_zh) || "";
const tell = (error) => say("error", error.status === 0 ? t("needs signal") : said(error));

/** #/customers, or #/customers/<code>: the list to search, or one customer with credit and recent orders. */
export async function customers(code) {
  const here = location.hash;
  working(null);
  if (code) return customer(here, code);
  const results = h("div", { id: "customer-list" });
  const search = h("input", { name: "search", type: "search", autocomplete: "off", "aria-label": t("find customer") });
  const find = async () => {
    let page;
    try {
      page = await sync.api("/api/v1/partners", { params: { kind: "customer", limit: 50, ...(search.value.trim() ? { search: search.value.trim() } : {}) } });
    } catch (error) {
      return tell(error);
    }
    if (!showing(here)) return;
    results.replaceChildren(page.items.length
      ? h("ul", { class: "tiles list" }, page.items.map((c) => h("li", {}, h("button", { "data-customer": c.code, onclick: () => go(`#/customers/${encodeURIComponent(c.code)}`) },
        h("strong", {}, c.code), " ", nameOf(c)))))
      : h("p", { class: "muted" }, t("no customers")));
  };
  screen(t("customers"), h("form", { class: "stack", role: "search", onsubmit: (event) => { event.preventDefault(); find(); } },
    h("label", {}, t("find customer"), search)), results);
  await find();
}

async function customer(here, code) {
  let found;
  let credit = null;
  let recent = { items: [] };
  try {
    [found, credit, recent] = await Promise.all([
      sync.api(`/api/v1/partners/${encodeURIComponent(code)}`),
      sync.api(`/api/v1/customers/${encodeURIComponent(code)}/credit`).catch(() => null),
      sync.api("/api/v1/sales-orders", { params: { customer: code, limit: 10 } }),
    ]);
  } catch (error) {
    return tell(error);
  }
  if (!showing(here)) return;
  const limit = (value) => (value === null || value === undefined ? t("no limit") : priced(value));
  screen(`${found.code} · ${nameOf(found)}`,
    table([t("contact"), t("phone")], [[found.contact || "—", found.phone ? h("a", { href: `tel:${found.phone}` }, found.phone) : "—"]]),
    credit ? table([t("credit limit"), t("open receivables"), t("available credit")],
      [[limit(credit.credit_limit), { text: credit.open_receivables === null ? "—" : priced(credit.open_receivables), num: true },
        { text: limit(credit.available_credit), num: true }]], { id: "customer-credit" }) : null,
    h("div", { class: "actions" }, h("button", { class: "primary", "data-action": "new-order", onclick: () => go(`#/order/${encodeURIComponent(found.code)}`) }, t("order for"))),
    h("h3", {}, t("recent orders")),
    orderList(recent.items));
}

function orderList(orders) {
  return orders.length
    ? table([t("my orders"), t("status"), { text: t("total"), num: true }], orders.map((so) => h("tr", { "data-so": so.number },
      h("td", {}, h("a", { href: `#/orders/${encodeURIComponent(so.number)}` }, so.number), h("div", { class: "muted" }, so.customer)),
      h("td", { "data-field": "status" }, state(so.status)), h("td", { class: "num", "data-field": "total" }, so.total === null ? "—" : priced(so.total, so.currency)))))
    : h("p", { class: "muted" }, t("no sales orders"));
}

/** #/orders, or #/orders/<number>: the latest orders and where each stands, or one of them line by line. */
export async function orders(number) {
  const here = location.hash;
  working(null);
  if (number) return order(here, number);
  let page;
  try {
    page = await sync.api("/api/v1/sales-orders", { params: { limit: 30 } });
  } catch (error) {
    screen(t("my orders"));
    return tell(error);
  }
  if (!showing(here)) return;
  screen(t("my orders"), h("div", { class: "actions" }, h("button", { class: "primary", "data-action": "new-order", onclick: () => go("#/order") }, t("new order"))),
    orderList(page.items));
}

async function order(here, number) {
  let so;
  try {
    so = await sync.api(`/api/v1/sales-orders/${encodeURIComponent(number)}`);
  } catch (error) {
    screen(number);
    return tell(error);
  }
  if (!showing(here)) return;
  const confirm = async (event) => {
    event.currentTarget.disabled = true;
    try {
      await sync.api(`/api/v1/sales-orders/${encodeURIComponent(number)}/confirm`, { method: "POST", body: { version: so.version } });
      say("ok", `${t("order placed")} ${number}`);
    } catch (error) {
      tell(error);
    }
    if (showing(here)) order(here, number);
  };
  screen(`${so.number} · ${so.customer}`,
    h("p", {}, `${t("status")}: `, h("strong", { "data-field": "status" }, state(so.status))),
    so.credit_hold ? h("p", { class: "pending", role: "status", "data-field": "credit" }, t("waiting for credit")) : null,
    table([t("item"), { text: t("qty"), num: true }, { text: t("reserved"), num: true }, { text: t("shipped"), num: true }],
      so.lines.map((line) => h("tr", { "data-sku": line.sku },
        h("td", {}, line.sku, h("div", { class: "muted" }, nameOf(line))), h("td", { class: "num" }, line.qty),
        h("td", { class: "num", "data-field": "reserved" }, line.reserved), h("td", { class: "num", "data-field": "shipped" }, line.shipped)))),
    so.total === null ? null : h("p", { "data-field": "total" }, `${t("total")}: ${priced(so.total, so.currency)}`),
    // An order in another currency: what it comes to in yuan too, at its rate (what credit is judged in).
    so.total_cny === null || so.total_cny === undefined || !so.currency || so.currency === YUAN ? null
      : h("p", { class: "muted", "data-field": "total-cny" }, `≈ ${priced(so.total_cny)} (1 ${so.currency} = ${so.exchange_rate} ${YUAN})`),
    (so.actions || []).includes("confirm")
      ? h("div", { class: "actions" }, h("button", { class: "primary", "data-action": "confirm", onclick: confirm }, t("confirm order"))) : null);
}

/** #/order or #/order/<customer>: a new order (or quote) — the customer, then items scanned or typed, then place it. */
export async function newOrder(forCustomer) {
  const here = location.hash;
  let choices;
  try {
    choices = await Promise.all([
      sync.api("/api/v1/partners", { params: { kind: "customer", limit: 200 } }),
      sync.api("/api/v1/locations", { params: { kind: "warehouse", limit: 100 } }),
    ]);
  } catch (error) {
    screen(t("new order"));
    return tell(error);
  }
  if (!showing(here)) return;
  const [{ items: people }, { items: places }] = choices;
  const lines = new Map();  // sku -> {sku, name, qty}
  const customerField = h("select", { name: "customer", required: true },
    h("option", { value: "" }, t("choose customer")),
    people.map((c) => h("option", { value: c.code, selected: c.code === forCustomer }, `${c.code} · ${nameOf(c)}`)));
  const warehouseField = h("select", { name: "warehouse", required: true }, places.map((w) => h("option", { value: w.code }, `${w.code} · ${nameOf(w)}`)));
  const code = h("input", { name: "item", autocomplete: "off", autocapitalize: "characters", spellcheck: "false" });
  const body = h("tbody");
  const draw = () => {
    body.replaceChildren(...(lines.size ? [...lines.values()].map((line) => h("tr", { "data-sku": line.sku },
      h("td", {}, line.sku, h("div", { class: "muted" }, line.name)),
      h("td", { class: "num" }, h("input", { name: `qty-${line.sku}`, inputmode: "decimal", value: String(line.qty), size: 4, "aria-label": `${t("qty")} ${line.sku}`,
        onchange: (event) => { line.qty = event.currentTarget.value.trim(); } })),
      h("td", {}, h("button", { type: "button", "data-action": "remove", "aria-label": `${t("remove")} ${line.sku}`,
        onclick: () => { lines.delete(line.sku); draw(); } }, "✕"))))
      : [h("tr", {}, h("td", { colspan: 3, class: "muted" }, t("no lines")))]));
  };
  const add = async (typed) => {
    const found = await scan.resolve(typed);
    if (!showing(here)) return;
    if (found.kind !== "item" && found.kind !== "lot") {
      scan.error();
      return say("error", `${t("not an item")}: ${typed}`);
    }
    const line = lines.get(found.sku) || { sku: found.sku, name: found.item ? nameOf(found.item) : "", qty: 0 };
    line.qty = Number(line.qty || 0) + Number(found.qty || 1);
    lines.set(found.sku, line);
    scan.ok();
    quiet();
    draw();
  };
  const send = async (kind, button) => {
    const form = button.form;
    if (!form.reportValidity()) return;
    if (!lines.size) {
      code.focus();
      return say("error", t("no lines"));
    }
    const payload = { customer: customerField.value, warehouse: warehouseField.value,
      lines: [...lines.values()].map((line) => ({ sku: line.sku, qty: String(line.qty) })) };
    button.disabled = true;
    try {
      if (kind === "quote") {
        const quote = await sync.api("/api/v1/quotes", { method: "POST", body: payload });
        say("ok", `${t("quote saved")} ${quote.number}`);
        return go("#/orders");
      }
      const so = await sync.api("/api/v1/sales-orders", { method: "POST", body: payload });
      try {
        await sync.api(`/api/v1/sales-orders/${encodeURIComponent(so.number)}/confirm`, { method: "POST", body: { version: so.version } });
        say("ok", `${t("order placed")} ${so.number}`);
      } catch (error) {
        if (error.body?.error !== "credit_limit_exceeded") tell(error);  // over the limit: the order's page says it waits
      }
      go(`#/orders/${encodeURIComponent(so.number)}`);
    } catch (error) {
      button.disabled = false;
      tell(error);
    }
  };
  working(add);  // the scan bar (or a wedge scanner) adds items too
  screen(t("new order"),
    h("form", { class: "stack", id: "new-order", onsubmit: (event) => { event.preventDefault(); send("order", event.submitter || event.currentTarget.querySelector("[data-action=place-order]")); } },
      h("label", {}, t("customer"), customerField),
      h("label", {}, t("warehouse"), warehouseField),
      h("label", {}, t("add item"), code),
      h("button", { type: "button", "data-action": "add-item", onclick: () => { if (code.value.trim()) add(code.value.trim()); code.value = ""; code.focus(); } }, t("add")),
      table([t("item"), { text: t("qty"), num: true }, ""], [], { id: "order-lines" }),
      h("div", { class: "actions" },
        h("button", { class: "primary", type: "submit", "data-action": "place-order" }, t("place order")),
        h("button", { type: "button", "data-action": "save-quote", onclick: (event) => send("quote", event.currentTarget) }, t("save quote")))));
  document.querySelector("#order-lines tbody").replaceWith(body);
  code.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault();
    if (code.value.trim()) add(code.value.trim());
    code.value = "";
  });
  draw();
  (forCustomer ? code : customerField).focus();
}
